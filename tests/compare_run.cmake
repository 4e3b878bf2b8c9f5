# compare_run.cmake: one `metriq compare` run checked from outside.
#
#   cmake -DMETRIQ=path -DARGS="a@@b" [-DRC=n] [-DOUT="re1@@re2"] [-DERR=text]
#         [-DNOOUT=1] -P compare_run.cmake
#
# ARGS and OUT are lists joined by "@@" (a ';' would split the command
# line).  RC: the exit status wanted (default 0).  OUT: regular
# expressions that must each match stdout.  ERR: a substring of stderr.
# NOOUT: stdout must be empty (no table when any file is bad).
string(REPLACE "@@" ";" args "${ARGS}")
execute_process(COMMAND "${METRIQ}" compare ${args}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT DEFINED RC)
  set(RC 0)
endif()
if(NOT rc EQUAL RC)
  message(FATAL_ERROR "exit status ${rc}, want ${RC}\nstdout:\n${out}\nstderr:\n${err}")
endif()
if(DEFINED OUT)
  string(REPLACE "@@" ";" res "${OUT}")
  foreach(re IN LISTS res)
    if(NOT out MATCHES "${re}")
      message(FATAL_ERROR "stdout does not match '${re}':\n${out}")
    endif()
  endforeach()
endif()
if(DEFINED ERR)
  string(FIND "${err}" "${ERR}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "stderr lacks '${ERR}':\n${err}")
  endif()
endif()
if(NOOUT AND NOT out STREQUAL "")
  message(FATAL_ERROR "stdout should be empty:\n${out}")
endif()
