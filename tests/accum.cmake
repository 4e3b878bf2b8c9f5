# The accumulator model (kernels/accum.c, issue 8), part of mqkernels.
# CPU only: the model was fitted on a GPU (docs/gpu.md) but runs and is
# tested anywhere.
add_executable(test_accum ${CMAKE_CURRENT_LIST_DIR}/test_accum.c)
target_link_libraries(test_accum PRIVATE mqkernels Threads::Threads m)
add_test(NAME accum COMMAND test_accum)

# mq_qmatmul under the model (MQ_ACCUM_MODEL of kernels/qgemm.h).
add_executable(test_qmm_model ${CMAKE_CURRENT_LIST_DIR}/test_qmm_model.c)
target_link_libraries(test_qmm_model PRIVATE mqkernels Threads::Threads m)
add_test(NAME qmatmul_model COMMAND test_qmm_model)
