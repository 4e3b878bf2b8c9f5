# advise.cmake: the tensor file readers (io/) and `metriq advise` (issue 7).
set(MQ_FUZZ_CORPUS ${CMAKE_CURRENT_LIST_DIR}/fuzz/corpus)

# Readers: NumPy-written files, every float16/bfloat16 pattern, float64
# rounding, and malformed input one defect at a time.
add_executable(test_io ${CMAKE_CURRENT_LIST_DIR}/test_io.c)
target_link_libraries(test_io PRIVATE mqio m)
add_test(NAME io COMMAND test_io ${MQ_FUZZ_CORPUS} ${CMAKE_CURRENT_BINARY_DIR})
