# bench_run.cmake: one `metriq bench` case, checked from outside.
#   cmake -DMETRIQ=path -DCASE=run|missing|unwritable|bad_args|plot|plot_bad -DWORK=dir
#         [-DDATA=tests/data] -P bench_run.cmake
# WORK is emptied first.  plot and plot_bad: `metriq compare --plot`.
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")

function(expect_fail what want)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 2)
    message(FATAL_ERROR "${what}: exit status ${rc}, want 2\nstdout:\n${out}\nstderr:\n${err}")
  endif()
  string(FIND "${err}" "${want}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${what}: stderr lacks '${want}':\n${err}")
  endif()
endfunction()

if(CASE STREQUAL "run")
  # Google Benchmark 1.7 takes --benchmark_min_time as plain seconds
  # (the "0.01s" form came in 1.8)
  execute_process(COMMAND "${METRIQ}" bench --out "${WORK}/out" --benchmark_filter=BM_copy
                          --benchmark_min_time=0.01
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "exit status ${rc}\nstdout:\n${out}\nstderr:\n${err}")
  endif()
  file(GLOB files RELATIVE "${WORK}/out" "${WORK}/out/*" "${WORK}/out/.*")
  list(LENGTH files n)
  string(REPEAT "[0-9]" 8 d8)  # CMake regexes have no {n}
  string(REPEAT "[0-9]" 6 d6)
  if(NOT n EQUAL 1)
    message(FATAL_ERROR "want one file in ${WORK}/out (no temp file left), found: ${files}")
  endif()
  if(NOT files MATCHES "^bench-[A-Za-z0-9._-]+-${d8}-${d6}\\.json$")
    message(FATAL_ERROR "file name ${files} is not bench-<host>-<YYYYMMDD-HHMMSS>.json")
  endif()
  if(NOT out MATCHES "metriq bench: wrote ${WORK}/out/${files}\n")
    message(FATAL_ERROR "stdout does not name the file:\n${out}")
  endif()
  file(READ "${WORK}/out/${files}" json)
  foreach(key cpu_model num_cpus metriq_isa gsl_version openblas_config benchmark_version
              lua_version compiler host_name date)
    string(JSON v ERROR_VARIABLE e GET "${json}" context ${key})
    if(e OR v STREQUAL "")
      message(FATAL_ERROR "context.${key} missing or empty: ${e}\n${json}")
    endif()
  endforeach()
  string(JSON lua GET "${json}" context lua_version)
  if(NOT lua MATCHES "^Lua 5\\.4")
    message(FATAL_ERROR "lua_version '${lua}' is not the Lua 5.4 metriq links")
  endif()
  string(JSON nb LENGTH "${json}" benchmarks)
  string(JSON name GET "${json}" benchmarks 0 name)
  string(JSON ips GET "${json}" benchmarks 0 items_per_second)
  if(NOT nb EQUAL 1 OR NOT name MATCHES "^BM_copy/" OR NOT ips GREATER 0)
    message(FATAL_ERROR "want one BM_copy entry with a rate, got ${nb}: ${name} ${ips}")
  endif()
elseif(CASE STREQUAL "missing")
  file(COPY "${METRIQ}" DESTINATION "${WORK}/bin")
  get_filename_component(exe "${METRIQ}" NAME)
  expect_fail("missing metriq-bench" "no metriq-bench next to this metriq (${WORK}/bin/metriq-bench"
              "${WORK}/bin/${exe}" bench --out "${WORK}/out")
  expect_fail("missing metriq-bench" "cmake --build build --target metriq-bench"
              "${WORK}/bin/${exe}" bench --out "${WORK}/out")
elseif(CASE STREQUAL "unwritable")
  file(WRITE "${WORK}/file" "not a folder\n")
  expect_fail("unwritable" "cannot create the output folder ${WORK}/file/out: Not a directory"
              "${METRIQ}" bench --out "${WORK}/file/out" --benchmark_filter=BM_copy)
  expect_fail("out is a file" "cannot create the output folder ${WORK}/file: Not a directory"
              "${METRIQ}" bench --out "${WORK}/file" --benchmark_filter=BM_copy)
elseif(CASE STREQUAL "bad_args")
  expect_fail("benchmark_out" "'--benchmark_out=x.json': metriq bench sets the output file"
              "${METRIQ}" bench --out "${WORK}/out" --benchmark_out=x.json)
  expect_fail("benchmark_context" "'--benchmark_context=a=b': metriq bench sets"
              "${METRIQ}" bench --out "${WORK}/out" --benchmark_context=a=b)
  expect_fail("stray" "unexpected argument 'BM_copy'" "${METRIQ}" bench BM_copy)
  expect_fail("no folder" "option '--out' needs a value" "${METRIQ}" bench --out)
  if(EXISTS "${WORK}/out")
    message(FATAL_ERROR "a refused run created ${WORK}/out")
  endif()
elseif(CASE STREQUAL "plot")
  execute_process(COMMAND "${METRIQ}" compare --plot "${WORK}/plot" "${DATA}/compare_avx512.json"
                          "${DATA}/compare_generic.json" "${DATA}/compare_reps.json"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "exit status ${rc}\nstdout:\n${out}\nstderr:\n${err}")
  endif()
  if(NOT out MATCHES "BM_quantize/e4m3/rtne/16777216/real_time +items/s +710.5M +64.37M +- +0.0906")
    message(FATAL_ERROR "the table is not there:\n${out}")
  endif()
  file(READ "${WORK}/plot/compare.csv" csv)
  # the same ratios as the table, one column per later file, '-' where none
  foreach(re "^benchmark,\\[2\\] compare_generic.json,\\[3\\] compare_reps.json\n"
             "\nBM_copy/16777216/real_time,0.775[0-9]*,0.8498[0-9]*\n"
             "\nBM_quantize/e4m3/rtne/16777216/real_time,0.0906[0-9]*,-\n")
    if(NOT csv MATCHES "${re}")
      message(FATAL_ERROR "compare.csv does not match '${re}':\n${csv}")
    endif()
  endforeach()
  foreach(f compare.png compare.svg)
    file(SIZE "${WORK}/plot/${f}" size)
    if(NOT size GREATER 1000)
      message(FATAL_ERROR "${f}: ${size} bytes")
    endif()
  endforeach()
  file(READ "${WORK}/plot/compare.svg" svg)
  if(NOT svg MATCHES "compare_reps.json")
    message(FATAL_ERROR "compare.svg has no key for the third file")
  endif()
elseif(CASE STREQUAL "plot_bad")
  expect_fail("one file" "--plot draws ratios to the first file: give two files or more"
              "${METRIQ}" compare --plot "${WORK}/p" "${DATA}/compare_avx512.json")
  file(WRITE "${WORK}/file" "not a folder\n")
  expect_fail("folder under a file" "cannot create ${WORK}/file/p: Not a directory"
              "${METRIQ}" compare --plot "${WORK}/file/p" "${DATA}/compare_avx512.json"
              "${DATA}/compare_generic.json")
  expect_fail("no folder" "option '--plot' needs a value" "${METRIQ}" compare --plot)
else()
  message(FATAL_ERROR "unknown CASE '${CASE}'")
endif()
