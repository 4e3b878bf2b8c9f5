# compare.cmake: `metriq compare` (harness/cli/cmd_compare.c).  The files in
# tests/data are real metriq-bench outputs (compare_avx512 and
# compare_generic: one run each with METRIQ_ISA unset and =generic;
# compare_reps: --benchmark_repetitions=3; compare_aggonly: the same with
# --benchmark_report_aggregates_only) and small broken ones written by
# hand (compare_error: compare_avx512 with one entry as Google Benchmark
# writes a benchmark that failed; syntax, notbench, noname, norate, empty).
set(MQ_CMP ${CMAKE_CURRENT_LIST_DIR}/data)

# mq_compare_test(NAME [RC rc] [ERR text] [NOOUT] ARGS files... [OUT regexes...])
function(mq_compare_test name)
  cmake_parse_arguments(T "NOOUT" "RC;ERR" "ARGS;OUT" ${ARGN})
  string(REPLACE ";" "@@" args "${T_ARGS}")
  set(defs -DMETRIQ=$<TARGET_FILE:metriq> "-DARGS=${args}")
  if(DEFINED T_RC)
    list(APPEND defs -DRC=${T_RC})
  endif()
  if(T_OUT)
    string(REPLACE ";" "@@" out "${T_OUT}")
    list(APPEND defs "-DOUT=${out}")
  endif()
  if(DEFINED T_ERR)
    list(APPEND defs "-DERR=${T_ERR}")
  endif()
  if(T_NOOUT)
    list(APPEND defs -DNOOUT=1)
  endif()
  add_test(NAME compare_${name}
           COMMAND ${CMAKE_COMMAND} ${defs} -P ${CMAKE_CURRENT_LIST_DIR}/compare_run.cmake)
endfunction()

# Two CPU runs: rates and ratios (generic / avx512), each file's context.
mq_compare_test(two_cpu ARGS ${MQ_CMP}/compare_avx512.json ${MQ_CMP}/compare_generic.json
  OUT "\\[1\\] [^\n]*compare_avx512.json: host vm; CPU 2 cores @ 2596 MHz; metriq_isa avx512; date 2026-11-24T00:03:58"
      "\\[2\\] [^\n]*compare_generic.json: [^\n]*metriq_isa generic"
      "benchmark +rate +\\[1\\] +\\[2\\] +\\[2\\]/\\[1\\]\n"
      "BM_copy/16777216/real_time +items/s +1.599G +1.24G +0.775\n"
      "BM_quantize/e4m3/rtne/16777216/real_time +items/s +710.5M +64.37M +0.0906\n"
      "BM_absmax/tensor/16777216/real_time +items/s +884.6M +812.9M +0.919\n")
# GPU and CPU side by side: the GPU file's device and driver; no ratio
# between benchmarks of different names.
mq_compare_test(gpu_cpu ARGS ${PROJECT_SOURCE_DIR}/results/gpu/throughput.json ${MQ_CMP}/compare_avx512.json
  OUT "\\[1\\] [^\n]*throughput.json: host vm; GPU NVIDIA H100 80GB HBM3 \\(driver 580.159.04\\); CPU 16 cores; date"
      "gpu/gemm_fp8_e4m3/2048x2048x2048 +items/s +518.2T +- +-\n"
      "gpu/quantize_e4m3/n=2\\^28 +items/s +584.2G +- +-\n"
      "BM_copy/16777216/real_time +items/s +- +1.599G +-\n")
# Repetitions: the median of three (1.359G); aggregates only: the median
# aggregate (1.435G).
mq_compare_test(repetitions ARGS ${MQ_CMP}/compare_avx512.json ${MQ_CMP}/compare_reps.json
                                 ${MQ_CMP}/compare_aggonly.json
  OUT "BM_copy/16777216/real_time +items/s +1.599G +1.359G +1.435G +0.85 +0.897\n")
mq_compare_test(error_entry ARGS ${MQ_CMP}/compare_avx512.json ${MQ_CMP}/compare_error.json
  OUT "BM_quantize/int8/rtne/16777216/real_time +items/s +677.7M +error +-\n"
      "BM_copy/16777216/real_time +items/s +1.599G +1.599G +1\n")
mq_compare_test(one_file ARGS ${MQ_CMP}/compare_error.json
  OUT "BM_quantize/int8/rtne/16777216/real_time +- +error\n")
mq_compare_test(help ARGS --help OUT "usage: metriq compare FILE.json")

# Bad input: a message on stderr, exit status 2, and no table.
mq_compare_test(no_file RC 2 NOOUT ERR "metriq compare: no file given")
mq_compare_test(bad_option RC 2 NOOUT ARGS --csv ${MQ_CMP}/compare_avx512.json
  ERR "metriq compare: unknown option '--csv'")
mq_compare_test(missing RC 2 NOOUT ARGS ${MQ_CMP}/compare_avx512.json ${MQ_CMP}/no_such_file.json
  ERR "unable to open ${MQ_CMP}/no_such_file.json: No such file or directory")
mq_compare_test(syntax RC 2 NOOUT ARGS ${MQ_CMP}/compare_syntax.json
  ERR "compare_syntax.json:46:0: not valid JSON: ")
mq_compare_test(notbench RC 2 NOOUT ARGS ${MQ_CMP}/compare_avx512.json ${MQ_CMP}/compare_notbench.json
  ERR "compare_notbench.json: not a Google Benchmark JSON file (it needs a \"context\" object and a \"benchmarks\" array")
mq_compare_test(noname RC 2 NOOUT ARGS ${MQ_CMP}/compare_noname.json
  ERR "compare_noname.json: benchmarks[0] is not an object with a \"name\" string")
mq_compare_test(norate RC 2 NOOUT ARGS ${MQ_CMP}/compare_norate.json
  ERR "compare_norate.json: benchmark 'BM_copy/16777216' has no items_per_second, bytes_per_second or real_time")
mq_compare_test(empty RC 2 NOOUT ARGS ${MQ_CMP}/compare_empty.json
  ERR "compare_empty.json: the \"benchmarks\" array is empty")
