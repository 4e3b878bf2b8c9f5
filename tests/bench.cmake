# bench.cmake: `metriq bench` (harness/cli/cmd_bench.c).  bench_run.cmake runs
# it from outside and reads the JSON it stored.
set(MQ_BENCH_RUN ${CMAKE_CURRENT_LIST_DIR}/bench_run.cmake)

# A real run of one benchmark (metriq-bench must be built): the file is
# there under its host-and-date name, holds BM_copy, and its context
# carries the machine and the library versions.
if(METRIQ_BENCH)  # (the target itself is defined after the tests)
  add_test(NAME bench_run COMMAND ${CMAKE_COMMAND} -DMETRIQ=$<TARGET_FILE:metriq>
           -DCASE=run -DWORK=${CMAKE_CURRENT_BINARY_DIR}/bench_run -P ${MQ_BENCH_RUN})
  # metriq-bench is what runs, and bench_run must not race a rebuild of it
  set_tests_properties(bench_run PROPERTIES RUN_SERIAL TRUE)
endif()
# A metriq with no metriq-bench beside it (a copy in a folder of its own).
add_test(NAME bench_missing COMMAND ${CMAKE_COMMAND} -DMETRIQ=$<TARGET_FILE:metriq>
         -DCASE=missing -DWORK=${CMAKE_CURRENT_BINARY_DIR}/bench_missing -P ${MQ_BENCH_RUN})
# An output folder that cannot be created (its parent is a regular file:
# unlike a chmod, this also stops root).  metriq bench looks for
# metriq-bench first, so only where it is built (not in the sanitizer
# build, METRIQ_BENCH=OFF).
if(METRIQ_BENCH)
  add_test(NAME bench_unwritable COMMAND ${CMAKE_COMMAND} -DMETRIQ=$<TARGET_FILE:metriq>
           -DCASE=unwritable -DWORK=${CMAKE_CURRENT_BINARY_DIR}/bench_unwritable
           -P ${MQ_BENCH_RUN})
endif()
# Flags metriq bench sets itself, and stray arguments.
add_test(NAME bench_bad_args COMMAND ${CMAKE_COMMAND} -DMETRIQ=$<TARGET_FILE:metriq>
         -DCASE=bad_args -DWORK=${CMAKE_CURRENT_BINARY_DIR}/bench_bad_args -P ${MQ_BENCH_RUN})
# metriq compare --plot: the ratios as CSV and a gnuplot bar chart (png, svg);
# one file, or a folder that cannot be made, is an error.
add_test(NAME compare_plot COMMAND ${CMAKE_COMMAND} -DMETRIQ=$<TARGET_FILE:metriq> -DCASE=plot
         -DDATA=${CMAKE_CURRENT_LIST_DIR}/data -DWORK=${CMAKE_CURRENT_BINARY_DIR}/compare_plot
         -P ${MQ_BENCH_RUN})
add_test(NAME compare_plot_bad COMMAND ${CMAKE_COMMAND} -DMETRIQ=$<TARGET_FILE:metriq>
         -DCASE=plot_bad -DDATA=${CMAKE_CURRENT_LIST_DIR}/data
         -DWORK=${CMAKE_CURRENT_BINARY_DIR}/compare_plot_bad -P ${MQ_BENCH_RUN})
