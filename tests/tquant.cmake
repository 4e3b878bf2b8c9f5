# tquant.c's quantized products against the computation they replaced
# (tests/test_tquant.c).
add_executable(test_tquant ${CMAKE_CURRENT_LIST_DIR}/test_tquant.c)
target_link_libraries(test_tquant PRIVATE mqtrain m)
add_test(NAME tquant COMMAND test_tquant)
