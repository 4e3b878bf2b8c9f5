# same.cmake: two runs of one script must write byte-identical CSV files.
#
#   cmake -DMETRIQ=path -DSCRIPT=path -DOUT=dir -DARGS1="--a 1" -DARGS2="--a 2"
#         -DFILES=a.csv,b.csv -P same.cmake
# (ARGS are split at spaces, FILES at commas: no ';' in a test command)
file(REMOVE_RECURSE "${OUT}")
string(REPLACE "," ";" FILES "${FILES}")
foreach(i 1 2)
  separate_arguments(args UNIX_COMMAND "${ARGS${i}}")
  execute_process(COMMAND "${METRIQ}" run "${SCRIPT}" --out "${OUT}/${i}" --quiet ${args}
                  RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "run ${i} (${ARGS${i}}) failed (${rc}):\n${err}")
  endif()
endforeach()
foreach(f ${FILES})
  execute_process(COMMAND "${CMAKE_COMMAND}" -E compare_files "${OUT}/1/${f}" "${OUT}/2/${f}"
                  RESULT_VARIABLE diff)
  if(NOT diff EQUAL 0)
    file(READ "${OUT}/1/${f}" a)
    file(READ "${OUT}/2/${f}" b)
    message(FATAL_ERROR "${f} differs between '${ARGS1}' and '${ARGS2}':\n${a}\n---\n${b}")
  endif()
endforeach()
