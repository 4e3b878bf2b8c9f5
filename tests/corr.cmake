# corr.cmake: does the metric predict training? (issue 7): Spearman's rho
# (kernels/rankcorr.h), the tensor-file and layout bindings, and the
# experiment on a fixture directory of sampled tensors.
add_executable(test_rankcorr ${CMAKE_CURRENT_LIST_DIR}/test_rankcorr.c)
target_link_libraries(test_rankcorr PRIVATE mqkernels m)
add_test(NAME corr_rankcorr COMMAND test_rankcorr)
# long loops stop when the interrupt flag is set (kernels/status.h, issue 15)
add_executable(test_interrupt ${CMAKE_CURRENT_LIST_DIR}/test_interrupt.c)
target_link_libraries(test_interrupt PRIVATE mqkernels Threads::Threads m)
add_test(NAME interrupt COMMAND test_interrupt)
set_tests_properties(interrupt PROPERTIES TIMEOUT 20)
add_test(NAME lua_interrupt COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/interrupt_test.sh
         $<TARGET_FILE:metriq> ${CMAKE_CURRENT_LIST_DIR}/lua/interrupt.lua
         ${CMAKE_CURRENT_BINARY_DIR}/lua-out/lua_interrupt)
set_tests_properties(lua_interrupt PROPERTIES TIMEOUT 30)

# metriq.load / quantize_layout / error_split_layout / spearman: values
# (case ok) and bad input (mq_run_test from harness.cmake)
set(MQ_CORR_DIR ${CMAKE_CURRENT_BINARY_DIR}/corr-api)
mq_run_test(corr_api ../corr_api.lua ARGS --quiet --set dir=${MQ_CORR_DIR}
            MANIFEST "\"status\": \"done\"")
function(mq_corr_bad case msg)
  mq_run_test(corr_api_${case} ../corr_api.lua RC 1 ARGS --quiet --set dir=${MQ_CORR_DIR}/${case}
              --set case=${case} ERR "${msg}")
endfunction()
mq_corr_bad(load_missing "load: ${MQ_CORR_DIR}/load_missing/nope.npy: No such file or directory")
mq_corr_bad(load_garbage "bad.npy: neither a .npy file")
mq_corr_bad(layout_size "bad argument #3 to 'quantize_layout' (layout shape holds 12 elements, the tensor 10)")
mq_corr_bad(layout_role "layout roles[2] is not one of example, batch, free, contract")
mq_corr_bad(layout_two_contract "layout roles do not make a valid layout")
mq_corr_bad(cfg_role "bad argument #2 to 'quantize_layout' ('role' is given by the layout's roles here)")
mq_corr_bad(spearman_len "bad argument #2 to 'spearman' (2 numbers, argument #1 has 3)")
mq_corr_bad(spearman_nan "bad argument #1 to 'spearman' (NaN in the data")
mq_corr_bad(spearman_opt "unknown field 'permutation' (known: permutations, seed)")

# The experiment, quick, on a fixture of synthetic sampled tensors
add_test(NAME corr_table1_metric COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/corr_test.sh
         $<TARGET_FILE:metriq> ${CMAKE_SOURCE_DIR} ${CMAKE_CURRENT_BINARY_DIR}/corr-out)
set_tests_properties(corr_table1_metric PROPERTIES TIMEOUT 300)

# sample=true: the baseline rerun with sampling is Table I's seed-1 run
# (about a minute: 600 training steps)
add_test(NAME corr_table1_metric_sample COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/corr_sample_test.sh
         $<TARGET_FILE:metriq> ${CMAKE_SOURCE_DIR} ${CMAKE_CURRENT_BINARY_DIR}/corr-sample-out)
set_tests_properties(corr_table1_metric_sample PROPERTIES TIMEOUT 600)
