add_test(NAME cli COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/cli_test.sh $<TARGET_FILE:metriq>)
# The option parser alone (harness/cli/opt.c has no other dependency).
add_executable(test_opt ${CMAKE_CURRENT_LIST_DIR}/test_opt.c ${PROJECT_SOURCE_DIR}/harness/cli/opt.c)
target_include_directories(test_opt PRIVATE ${PROJECT_SOURCE_DIR}/harness/cli)
add_test(NAME test_opt COMMAND test_opt)
