# resume.cmake: a run stopped mid-way and resumed writes the same CSV files,
# byte for byte, as a run that was never stopped.
#
#   cmake -DMETRIQ=path -DSCRIPT=path -DOUT=dir [-DFILES="a.csv;b.csv"] -P resume.cmake
#
# The script (resume.lua) exits abruptly (os.exit, no cleanup) after
# $DIE_AFTER cells, and busy-waits $SLOW milliseconds a cell.  Three ways
# to stop it: os.exit after 5 cells; os.exit twice (a resumed run stopped
# again); and SIGKILL at an arbitrary moment (execute_process's TIMEOUT).
file(REMOVE_RECURSE "${OUT}")
if(NOT FILES)
  set(FILES resume.csv other.csv)
endif()

function(run dir rc_want)
  execute_process(COMMAND "${CMAKE_COMMAND}" -E env ${ARGN} "${METRIQ}" run "${SCRIPT}"
                  --out "${OUT}/${dir}" --quiet ${RUN_ARGS}
                  RESULT_VARIABLE rc ERROR_VARIABLE err ${RUN_TIMEOUT})
  if(NOT rc_want STREQUAL "any" AND NOT rc EQUAL rc_want)
    message(FATAL_ERROR "run in ${dir} (${ARGN} ${RUN_ARGS}): exit ${rc}, want ${rc_want}:\n${err}")
  endif()
endfunction()

function(check_same dir)
  foreach(f ${FILES})
    execute_process(COMMAND "${CMAKE_COMMAND}" -E compare_files "${OUT}/full/${f}"
                    "${OUT}/${dir}/${f}" RESULT_VARIABLE diff)
    if(NOT diff EQUAL 0)
      file(READ "${OUT}/full/${f}" a)
      file(READ "${OUT}/${dir}/${f}" b)
      message(FATAL_ERROR "${dir}/${f} differs from the uninterrupted run's:\n${a}\n---\n${b}")
    endif()
  endforeach()
endfunction()

function(count_done dir var)
  file(READ "${OUT}/${dir}/manifest.json" man)
  string(REGEX MATCHALL "\"status\": \"done\"" d "${man}")
  list(LENGTH d n)
  set(${var} ${n} PARENT_SCOPE)
endfunction()

run(full 0)

# 1. os.exit after 5 cells, then resume
run(exit 3 DIE_AFTER=5)
count_done(exit n)
if(n GREATER 5)
  message(FATAL_ERROR "the stopped run records ${n} cells done, at most 5 ran")
endif()
set(RUN_ARGS --resume)
run(exit 0)
check_same(exit)

# 2. stopped twice
set(RUN_ARGS "")
run(twice 3 DIE_AFTER=4)
set(RUN_ARGS --resume)
run(twice 3 DIE_AFTER=6)
run(twice 0)
check_same(twice)
file(READ "${OUT}/twice/manifest.json" man)
string(FIND "${man}" "\"resumed\": [\"" at)
if(at EQUAL -1)
  message(FATAL_ERROR "the manifest does not record the resumes:\n${man}")
endif()

# 3. SIGKILL at some moment (whatever it is, the result must not change)
set(RUN_ARGS "")
set(RUN_TIMEOUT TIMEOUT 0.6)
run(kill any SLOW=80)   # 13 cells x 80 ms: killed well before the end
set(RUN_TIMEOUT "")
file(READ "${OUT}/kill/manifest.json" man)
string(FIND "${man}" "\"status\": \"running\"" at)
if(at EQUAL -1)
  message(FATAL_ERROR "the run meant to be killed was not:\n${man}")
endif()
foreach(f ${FILES})
  if(EXISTS "${OUT}/kill/${f}")
    file(READ "${OUT}/kill/${f}" text)
    string(REGEX MATCH "\n$" ends "${text}")
    if(text AND NOT ends)
      message(FATAL_ERROR "killed run left a partial row in ${f}:\n${text}")
    endif()
  endif()
endforeach()
set(RUN_ARGS --resume)
run(kill 0)
check_same(kill)
