# Core numerics tests: formats, rounding, stochastic rounding and the
# exhaustive float32 sweep, each against the independent reference in
# tests/ref (which shares no code with kernels/).

if(NOT DEFINED METRIQ_EXHAUSTIVE_STRIDE)
  set(METRIQ_EXHAUSTIVE_STRIDE 1 CACHE STRING
      "Exhaustive tests check every Nth float32 bit pattern (1 = all 2^32)")
endif()

add_library(mqref STATIC ${CMAKE_CURRENT_LIST_DIR}/ref/ref.c)
target_include_directories(mqref PUBLIC ${CMAKE_CURRENT_LIST_DIR}/ref)
target_link_libraries(mqref PUBLIC m)

foreach(t exhaustive formats sr)
  add_executable(test_${t} ${CMAKE_CURRENT_LIST_DIR}/test_${t}.c)
  target_link_libraries(test_${t} PRIVATE mqref mqkernels Threads::Threads m)
endforeach()

# The full sweep: 2^32 inputs x 5 formats x 2 roundings on two threads, on
# the kernel path the library picks (the widest: avx512 where the CPU has
# it) and, forced, on the other two (qkern.h); a path the CPU lacks exits
# 77, reported as skipped.  In Release on the 2-core CI machine, shared
# with other jobs: 2-3 minutes for avx512 and avx2 each, 3-7 for generic.
add_test(NAME exhaustive COMMAND test_exhaustive --stride ${METRIQ_EXHAUSTIVE_STRIDE})
add_test(NAME exhaustive_avx2 COMMAND test_exhaustive --stride ${METRIQ_EXHAUSTIVE_STRIDE} --isa avx2)
add_test(NAME exhaustive_generic COMMAND test_exhaustive --stride ${METRIQ_EXHAUSTIVE_STRIDE} --isa generic)
set_tests_properties(exhaustive exhaustive_avx2 exhaustive_generic PROPERTIES
                     TIMEOUT 1200 SKIP_RETURN_CODE 77)

# The strided sweeps of test_formats scale with the exhaustive stride, so
# that a sanitizer build (stride 257) stays quick.
math(EXPR _mq_formats_stride "101 * ${METRIQ_EXHAUSTIVE_STRIDE}")
add_test(NAME formats COMMAND test_formats --stride ${_mq_formats_stride})
add_test(NAME sr COMMAND test_sr)

# The array drivers and every kernel path against the scalar path: scales,
# SR stream offsets and lengths, per-block scales, statistics.
add_executable(test_qkern ${CMAKE_CURRENT_LIST_DIR}/test_qkern.c)
target_link_libraries(test_qkern PRIVATE mqkernels m)
add_test(NAME qkern COMMAND test_qkern)

# mq_quantize_tensor (runs of rows scaled and quantized in cache) against
# the element-wise definition, on monotone and non-monotone layouts.
add_executable(test_qtensor ${CMAKE_CURRENT_LIST_DIR}/test_qtensor.c)
target_link_libraries(test_qtensor PRIVATE mqkernels m)
add_test(NAME qtensor COMMAND test_qtensor)
