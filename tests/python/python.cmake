# python.cmake: the Python module's tests (pytest), one ctest per file,
# run by Debian's python3 (Python3_EXECUTABLE), with the built module, the
# metriq program and tests/ref's reference quantizer (as a shared library
# for ctypes) named in the environment.
if(NOT METRIQ_PYTHON)
  return()
endif()
execute_process(COMMAND ${Python3_EXECUTABLE} -c "import pytest"
                RESULT_VARIABLE MQ_NO_PYTEST OUTPUT_QUIET ERROR_QUIET)
if(MQ_NO_PYTEST)
  message(STATUS "python3-pytest not found: the Python tests are not registered")
  return()
endif()
add_library(mqpyref SHARED ${CMAKE_CURRENT_LIST_DIR}/ref_helper.c
            ${CMAKE_SOURCE_DIR}/tests/ref/ref.c)
target_include_directories(mqpyref PRIVATE ${CMAKE_SOURCE_DIR}/tests/ref)
set_target_properties(mqpyref PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/python)
add_dependencies(mqpython mqpyref)

set(MQ_PY_ENV
  PYTHONPATH=${CMAKE_BINARY_DIR}/python
  METRIQ_BIN=$<TARGET_FILE:metriq>
  METRIQ_PYREF=$<TARGET_FILE:mqpyref>
  METRIQ_SOURCE_DIR=${CMAKE_SOURCE_DIR}
  PYTHONDONTWRITEBYTECODE=1)
if(METRIQ_SANITIZE)
  # the interpreter is not instrumented: the sanitizer runtimes must come
  # first, and CPython's own allocations at exit are not the module's leaks
  execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=libasan.so
                  OUTPUT_VARIABLE MQ_LIBASAN OUTPUT_STRIP_TRAILING_WHITESPACE)
  execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=libubsan.so
                  OUTPUT_VARIABLE MQ_LIBUBSAN OUTPUT_STRIP_TRAILING_WHITESPACE)
  list(APPEND MQ_PY_ENV "LD_PRELOAD=${MQ_LIBASAN}:${MQ_LIBUBSAN}" ASAN_OPTIONS=detect_leaks=0)
endif()
foreach(t values ref args torch)
  add_test(NAME python_${t}
           COMMAND ${Python3_EXECUTABLE} -m pytest -q -rs -p no:cacheprovider
                   ${CMAKE_CURRENT_LIST_DIR}/test_${t}.py)
  set_tests_properties(python_${t} PROPERTIES ENVIRONMENT "${MQ_PY_ENV}" TIMEOUT 300)
endforeach()
