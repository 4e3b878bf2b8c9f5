# sampling.cmake: matmul operands of training to .npy (issue 6, Fig. 2
# from real tensors): the .npy writer, the sampler, metriq.train's sample
# option and its errors.
add_executable(test_tsample ${CMAKE_CURRENT_LIST_DIR}/test_tsample.c)
target_link_libraries(test_tsample PRIVATE mqtrain mqio m)
add_test(NAME tsample COMMAND test_tsample ${CMAKE_CURRENT_BINARY_DIR}/tsample-out)
add_test(NAME tsample_lua COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/sampling_test.sh
         $<TARGET_FILE:metriq> ${CMAKE_CURRENT_BINARY_DIR}/tsample-lua-out)
