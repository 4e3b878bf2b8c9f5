# reliability.cmake: issue 15's promises (README, Reliability), through
# reliability_test.sh, one ctest a case.
foreach(case lock empty_out signals exit xfsz stdout quantize_input plot_path compare_rates cell_coords nan utf8 manifest_size)
  add_test(NAME reliability_${case} COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/reliability_test.sh
           $<TARGET_FILE:metriq> ${CMAKE_SOURCE_DIR} ${CMAKE_CURRENT_BINARY_DIR}/reliability-out
           ${case})
  set_tests_properties(reliability_${case} PROPERTIES TIMEOUT 60)
endforeach()
