# training.cmake: the encoder of train/ (issue 6): gradient check in double
# precision, quantized products by category, data and AUC.
add_executable(test_training ${CMAKE_CURRENT_LIST_DIR}/test_training.c)
target_link_libraries(test_training PRIVATE mqtrain m)
add_test(NAME training COMMAND test_training)

# The Table I script, quick: every cell with a tiny model (a minute or so).
add_test(NAME training_table1_quick COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/training_test.sh
         $<TARGET_FILE:metriq> ${CMAKE_SOURCE_DIR} ${CMAKE_CURRENT_BINARY_DIR}/training-out)
set_tests_properties(training_table1_quick PROPERTIES TIMEOUT 900)

# The training product (train/tgemm.h) on every ISA path the CPU has, bit
# for bit against its specification.
add_executable(test_tgemm ${CMAKE_CURRENT_LIST_DIR}/test_tgemm.c)
target_link_libraries(test_tgemm PRIVATE mqtrain m)
add_test(NAME training_tgemm COMMAND test_tgemm)

# The default run's AUC as recorded (issue 18), on the chosen path and on
# AVX2: a minute or two each, so labelled long.
add_test(NAME training_baseline COMMAND test_training baseline)
add_test(NAME training_baseline_avx2 COMMAND test_training baseline)
set_tests_properties(training_baseline_avx2 PROPERTIES ENVIRONMENT METRIQ_ISA=avx2)
set_tests_properties(training_baseline training_baseline_avx2 PROPERTIES TIMEOUT 900 LABELS long)
