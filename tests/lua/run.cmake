# run.cmake: one `metriq run` checked from outside (cmake -P driver).
#
#   cmake -DMETRIQ=path -DSCRIPT=path -DOUT=dir [-DARGS="a;b"] [-DENV="K=V;..."]
#         [-DRC=0|nonzero|N] [-DERR=substring] [-DLINES=name.csv:N]
#         [-DMANIFEST=substring] [-DFRESH=1] -P run.cmake
#
# RC: the exit status wanted (default 0; "nonzero" for any failure).
# ERR: a substring that must appear in stderr.  LINES: the CSV must have
# exactly N lines (header included), the check for "no partial row".
# MANIFEST: a substring that must appear in OUT/manifest.json.
# FRESH: remove OUT first.
if(FRESH)
  file(REMOVE_RECURSE "${OUT}")
endif()
set(cmd "${METRIQ}" run "${SCRIPT}" --out "${OUT}" ${ARGS})
if(ENV)
  set(cmd "${CMAKE_COMMAND}" -E env ${ENV} ${cmd})
endif()
execute_process(COMMAND ${cmd} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT DEFINED RC)
  set(RC 0)
endif()
if(RC STREQUAL "nonzero")
  if(rc EQUAL 0)
    message(FATAL_ERROR "exit status 0, want non-zero\nstderr:\n${err}")
  endif()
elseif(NOT rc EQUAL RC)
  message(FATAL_ERROR "exit status ${rc}, want ${RC}\nstdout:\n${out}\nstderr:\n${err}")
endif()
if(DEFINED ERR)
  string(FIND "${err}" "${ERR}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "stderr lacks '${ERR}':\n${err}")
  endif()
endif()
if(DEFINED LINES)
  string(REPLACE ":" ";" parts "${LINES}")
  list(GET parts 0 csv)
  list(GET parts 1 want)
  if(want EQUAL 0)
    if(EXISTS "${OUT}/${csv}")
      message(FATAL_ERROR "${OUT}/${csv} exists, want none")
    endif()
  else()
    file(READ "${OUT}/${csv}" text)
    string(REGEX MATCHALL "\n" nl "${text}")
    list(LENGTH nl n)
    if(NOT n EQUAL want)
      message(FATAL_ERROR "${csv} has ${n} lines, want ${want}:\n${text}")
    endif()
    # a partial row would be a last line without its newline
    string(REGEX MATCH "\n$" ends "${text}")
    if(NOT ends)
      message(FATAL_ERROR "${csv} does not end with a complete row:\n${text}")
    endif()
  endif()
endif()
if(DEFINED MANIFEST)
  file(READ "${OUT}/manifest.json" man)
  string(FIND "${man}" "${MANIFEST}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "manifest.json lacks '${MANIFEST}':\n${man}")
  endif()
endif()
