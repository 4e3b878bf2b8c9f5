# Numerics of the harness era (issue 3): samplers, reference and quantized
# matmul, error metrics.  Each test links only the kernels library (and GSL,
# which the sampler test uses as its reference).
foreach(t sample sample_philox qgemm metrics)
  add_executable(test_${t} ${CMAKE_CURRENT_LIST_DIR}/test_${t}.c)
  target_link_libraries(test_${t} PRIVATE mqkernels PkgConfig::GSL m)
  add_test(NAME ${t} COMMAND test_${t})
endforeach()
