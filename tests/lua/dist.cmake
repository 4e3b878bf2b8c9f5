# dist.cmake: runs split over shards or MPI ranks write the CSV files of
# one process, byte for byte; bad merges are refused (cmake -P driver).
#
#   cmake -DMETRIQ=path -DSCRIPT=dist.lua -DOTHER=resume.lua
#         -DBREAK=dist_break.lua -DOUT=dir
#         -DCASE=shards|shard_resume|refuse|mpi|mpi_kill|mpi_fail
#         [-DMPIEXEC=mpirun] -P dist.cmake
#
# Every case first runs the script plainly into OUT/full, the reference.
file(REMOVE_RECURSE "${OUT}")
set(FILES dist.csv log.csv)
# Open MPI refuses root unless told (CI runs as root); one host, so no
# network transport is needed; more ranks than cores is allowed
set(MPIENV OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl=self,vader)
# when a rank dies, mpirun's SIGTERM gives rank 0 a second (by default)
# before SIGKILL to write its record and say what is left: more on a
# machine loaded with other tests
list(APPEND MPIENV OMPI_MCA_odls_base_sigkill_timeout=3)
# LeakSanitizer (the --sanitize build) would report what Open MPI keeps
# until exit by design: mpi.supp names its libraries, and the slow unwinder
# finds them in stacks that pass through code without frame pointers
list(APPEND MPIENV "LSAN_OPTIONS=suppressions=${CMAKE_CURRENT_LIST_DIR}/mpi.supp")
if(DEFINED ENV{ASAN_OPTIONS})
  list(APPEND MPIENV "ASAN_OPTIONS=$ENV{ASAN_OPTIONS}:fast_unwind_on_malloc=0")
endif()

# run(dir rc_want [ENV k=v...] [ARGS ...] [MPI n] [SCRIPT s]): stderr in ${dir}_err
function(run dir rc_want)
  cmake_parse_arguments(R "" "MPI;SCRIPT" "ENV;ARGS" ${ARGN})
  if(NOT R_SCRIPT)
    set(R_SCRIPT "${SCRIPT}")
  endif()
  set(cmd "${METRIQ}" run "${R_SCRIPT}" --out "${OUT}/${dir}" --quiet ${R_ARGS})
  if(R_MPI)
    set(cmd "${MPIEXEC}" -n ${R_MPI} ${cmd})
    list(APPEND R_ENV ${MPIENV})
  endif()
  execute_process(COMMAND "${CMAKE_COMMAND}" -E env ${R_ENV} ${cmd}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 120)
  set(${dir}_err "${out}${err}" PARENT_SCOPE)
  if(rc_want STREQUAL "nonzero")
    if(rc EQUAL 0)
      message(FATAL_ERROR "${dir}: exit 0, want non-zero:\n${out}${err}")
    endif()
  elseif(NOT rc EQUAL rc_want)
    message(FATAL_ERROR "${dir} (${cmd}): exit ${rc}, want ${rc_want}:\n${out}${err}")
  endif()
endfunction()

function(merge into rc_want)
  execute_process(COMMAND "${METRIQ}" merge "${OUT}/${into}" ${ARGN} --quiet
                  RESULT_VARIABLE rc ERROR_VARIABLE err)
  set(merge_err "${err}" PARENT_SCOPE)
  if(NOT rc EQUAL rc_want)
    message(FATAL_ERROR "merge into ${into} (${ARGN}): exit ${rc}, want ${rc_want}:\n${err}")
  endif()
endfunction()

function(check_same dir)
  foreach(f ${FILES})
    execute_process(COMMAND "${CMAKE_COMMAND}" -E compare_files "${OUT}/full/${f}"
                    "${OUT}/${dir}/${f}" RESULT_VARIABLE diff)
    if(NOT diff EQUAL 0)
      file(READ "${OUT}/full/${f}" a)
      if(EXISTS "${OUT}/${dir}/${f}")
        file(READ "${OUT}/${dir}/${f}" b)
      else()
        set(b "(missing)")
      endif()
      message(FATAL_ERROR "${dir}/${f} differs from one process's:\n${a}\n---\n${b}")
    endif()
  endforeach()
endfunction()

function(want_in text what)
  string(FIND "${text}" "${what}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "want '${what}' in:\n${text}")
  endif()
endfunction()

run(full 0)

if(CASE STREQUAL "shards")
  # 3 shards; 1 shard; more shards than cells (most shards get none)
  foreach(n 3 1 11)
    math(EXPR last "${n} - 1")
    set(dirs "")
    foreach(k RANGE ${last})
      run(s${n} 0 ARGS --shard ${k}/${n})
      list(APPEND dirs "${OUT}/s${n}/shard-${k}-of-${n}")
    endforeach()
    list(REVERSE dirs)   # the order given does not matter
    merge(m${n} 0 ${dirs})
    check_same(m${n})
    file(READ "${OUT}/m${n}/manifest.json" man)
    want_in("${man}" "\"merged\": [")
    want_in("${man}" "\"status\": \"done\"")
    want_in("${man}" "\"shard\": 0}")
  endforeach()
  # a shard writes no CSV file: its rows wait in its manifest
  if(EXISTS "${OUT}/s3/shard-0-of-3/dist.csv")
    message(FATAL_ERROR "a shard wrote a CSV file")
  endif()

elseif(CASE STREQUAL "shard_resume")
  # shard 1/3 stopped after one cell (os.exit), then resumed
  run(s 0 ARGS --shard 0/3)
  run(s 0 ARGS --shard 2/3)
  run(s 3 ARGS --shard 1/3 ENV DIE_AFTER=1)
  merge(m 1 "${OUT}/s/shard-0-of-3" "${OUT}/s/shard-1-of-3" "${OUT}/s/shard-2-of-3")
  # os.exit ends the shard's run through the commit: its record says failed
  want_in("${merge_err}" "shard-1-of-3 (shard 1/3) is not finished (status 'failed')")
  run(s/shard-1-of-3 2 ARGS --resume)
  want_in("${s/shard-1-of-3_err}" "is shard 1/3's (resume it with --shard 1/3)")
  run(s 0 ARGS --shard 1/3 --resume)
  merge(m 0 "${OUT}/s/shard-0-of-3" "${OUT}/s/shard-1-of-3" "${OUT}/s/shard-2-of-3")
  check_same(m)

elseif(CASE STREQUAL "refuse")
  foreach(k 0 1 2)
    run(s 0 ARGS --shard ${k}/3)
  endforeach()
  set(s0 "${OUT}/s/shard-0-of-3")
  set(s1 "${OUT}/s/shard-1-of-3")
  set(s2 "${OUT}/s/shard-2-of-3")
  run(params 0 ARGS --shard 2/3 --set n=8)
  run(seed 0 ARGS --shard 2/3 --seed 7)
  run(split 0 ARGS --shard 1/2)
  run(other 0 ARGS --shard 2/3 SCRIPT "${OTHER}")
  file(COPY "${s0}/" DESTINATION "${OUT}/copy")
  # bad(what files... ): refused with what, and nothing written
  function(bad what)
    merge(never 1 ${ARGN})
    want_in("${merge_err}" "${what}")
    if(EXISTS "${OUT}/never")
      message(FATAL_ERROR "a refused merge wrote ${OUT}/never")
    endif()
  endfunction()
  bad("shard 1/3 missing (2 of 3 given)" "${s0}" "${s2}")
  bad("shards 0/3, 2/3 missing" "${s1}")
  bad("${s0} and ${OUT}/copy are both shard 0/3" "${s0}" "${s1}" "${s2}" "${OUT}/copy")
  bad("are shards of different runs: params {\"formats\":[\"int8\",\"e4m3\"],\"n\":16,"
      "${s0}" "${s1}" "${OUT}/params/shard-2-of-3")
  bad("are shards of different runs: seeds 1 and 7" "${s0}" "${s1}" "${OUT}/seed/shard-2-of-3")
  bad("are shards of different splits: 0/3 and 1/2" "${s0}" "${OUT}/split/shard-1-of-2")
  bad("are shards of different scripts (" "${s0}" "${s1}" "${OUT}/other/shard-2-of-3")
  bad("${OUT}/full is not a shard folder" "${OUT}/full")
  # damaged shard manifests: cut short; a row's field not a string
  file(READ "${s2}/manifest.json" man)
  string(SUBSTRING "${man}" 0 300 cut)
  file(WRITE "${OUT}/cut/manifest.json" "${cut}")
  bad("${OUT}/cut/manifest.json: offset " "${s0}" "${s1}" "${OUT}/cut")
  string(REGEX REPLACE "\"rows\": \[\[\"dist\", \"format\"" "\"rows\": [[\"dist\", 7"
         broken "${man}")
  if(broken STREQUAL man)
    message(FATAL_ERROR "no rows to break in ${s2}/manifest.json")
  endif()
  file(WRITE "${OUT}/broken/shard-2-of-3/manifest.json" "${broken}")
  bad("${OUT}/broken/shard-2-of-3: malformed rows of cell " "${s0}" "${s1}"
      "${OUT}/broken/shard-2-of-3")
  # ... and the shard itself will not resume from it
  run(broken 2 ARGS --shard 2/3 --resume)
  want_in("${broken_err}" "a cell with malformed rows (not a complete metriq manifest")
  bad("${OUT}/nothing/manifest.json: No such file or directory" "${OUT}/nothing")
  # a row that does not fit the header: one process stops at the write;
  # shards cannot know the header, so merge finds it, and writes nothing
  set(misfit "column 'extra' is not in the header of dist.csv (format, nu, be_max, be_mean, note)")
  run(extra 1 ENV EXTRA_INDEX=4)
  want_in("${extra_err}" "${misfit}")
  foreach(k 0 1 2)
    run(extra 0 ARGS --shard ${k}/3 ENV EXTRA_INDEX=4)
  endforeach()
  bad("cell format=int8,nu=inf: ${misfit}" "${OUT}/extra/shard-0-of-3"
      "${OUT}/extra/shard-1-of-3" "${OUT}/extra/shard-2-of-3")
  # a break cannot be honoured when cells run apart
  run(b 1 ARGS --shard 0/2 SCRIPT "${BREAK}")
  want_in("${b_err}" "break out of a grid is not supported with --shard or MPI")
  # the command line
  run(bad_shard 2 ARGS --shard 3/3)
  want_in("${bad_shard_err}" "--shard: '3/3' is not K/N with 0 <= K < N")
  run(bad_shard 2 ARGS --shard two)
  want_in("${bad_shard_err}" "--shard: 'two' is not K/N")
  execute_process(COMMAND "${METRIQ}" merge "${OUT}/never" RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 2)
    message(FATAL_ERROR "merge without shards: exit ${rc}, want 2")
  endif()

elseif(CASE STREQUAL "mpi")
  # SLOW: the first cell takes longest, so later ones end first and wait
  foreach(n 1 2 3)
    run(mpi${n} 0 MPI ${n} ENV SLOW=30)
    check_same(mpi${n})
  endforeach()
  file(READ "${OUT}/mpi3/manifest.json" man)
  want_in("${man}" "\"mpi\": {\"ranks\": 3, \"rank0\": \"coordinates\", \"hosts\": [")
  want_in("${man}" ", \"rank\": ")
  want_in("${man}" "\"rank0_cpu_seconds\": ")

elseif(CASE STREQUAL "mpi_kill")
  # the rank that runs cell 5 is killed (SIGKILL): mpirun ends the job,
  # rank 0 says which cells are left; --resume with MPI, and without,
  # completes them to the same bytes
  foreach(how mpi plain)
    run(k${how} nonzero MPI 3 ENV SLOW=40 KILL_INDEX=5)
    want_in("${k${how}_err}" "metriq run: stopped by SIGTERM")
    want_in("${k${how}_err}" "cells not done (")
    want_in("${k${how}_err}" "--resume runs them")
    file(READ "${OUT}/k${how}/manifest.json" man)
    want_in("${man}" "\"status\": \"failed\"")
    want_in("${man}" "cells not done (")
    if(how STREQUAL "mpi")
      run(k${how} 0 MPI 2 ARGS --resume)
    else()
      run(k${how} 0 ARGS --resume)
    endif()
    check_same(k${how})
  endforeach()

elseif(CASE STREQUAL "mpi_fail")
  # a cell's error on a worker fails the run, naming the cell and the rank
  run(f 1 MPI 3 ENV FAIL_INDEX=3)
  want_in("${f_err}" ": cell format=int8,nu=4 failed on rank ")
  want_in("${f_err}" "cell 3 fails on purpose")
  file(READ "${OUT}/f/manifest.json" man)
  want_in("${man}" "\"status\": \"failed\"")
  run(f 0 MPI 2 ARGS --resume)
  check_same(f)
  # rows that do not fit the header fail the run when rank 0 commits them;
  # the cell is recorded failed, so --resume runs it again
  run(x 1 MPI 3 ENV EXTRA_INDEX=4)
  want_in("${x_err}" "cell format=int8,nu=inf: column 'extra' is not in the header of dist.csv")
  file(READ "${OUT}/x/manifest.json" man)
  want_in("${man}" "{\"cell\": \"format=int8,nu=inf\", \"seed\": \"3246421910341860556\", \"status\": \"failed\"")
  run(x 0 MPI 3 ARGS --resume)
  check_same(x)
else()
  message(FATAL_ERROR "unknown CASE '${CASE}'")
endif()
