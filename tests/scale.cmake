add_executable(test_scale tests/test_scale.c)
target_link_libraries(test_scale PRIVATE mqkernels)
add_test(NAME scale COMMAND test_scale)
