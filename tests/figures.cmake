# figures.cmake: small runs of the paper's figure scripts and their checks.
add_test(NAME figures COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/figures_test.sh
         $<TARGET_FILE:metriq> ${CMAKE_SOURCE_DIR} ${CMAKE_CURRENT_BINARY_DIR}/figures-out)
set_tests_properties(figures PROPERTIES TIMEOUT 600)
