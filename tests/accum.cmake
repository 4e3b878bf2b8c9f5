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

# ... and against the H100's own outputs, committed in results/gpu/raw
# (docs/gpu.md): the operands are drawn again on the CPU by
# gpu/mqgpu_host.c (plain C, no CUDA).  Held-out configurations with
# K <= 1024 keep it to seconds; the full table is
# results/gpu/qmatmul_model_check.csv (docs/gpu.md says how).
add_executable(test_qmm_h100 ${CMAKE_CURRENT_LIST_DIR}/test_qmm_h100.c
               ${PROJECT_SOURCE_DIR}/gpu/mqgpu_host.c)
target_include_directories(test_qmm_h100 PRIVATE ${PROJECT_SOURCE_DIR}/gpu)
target_link_libraries(test_qmm_h100 PRIVATE mqkernels Threads::Threads m)
add_test(NAME qmatmul_model_h100
         COMMAND test_qmm_h100 --split heldout --maxK 1024
                 ${PROJECT_SOURCE_DIR}/results/gpu/raw/run1)

# ... and from Lua: metriq.qmatmul(L, R, {accum = "h100-fp8" | "h100-fp8-fast"})
# (mq_run_test and the script folder come from harness.cmake).
if(COMMAND mq_run_test)
  mq_run_test(lua_qmatmul_model qmatmul_model.lua ARGS --quiet)
  foreach(c "int8;accum 'h100-fp8' models an FP8 tensor core: both operands must be e4m3 or e5m2, got int8 x int8"
            "rhs_fp16;accum 'h100-fp8-fast' models an FP8 tensor core: both operands must be e4m3 or e5m2, got e4m3 x fp16"
            "name;unknown accum 'h100'\\; known: exact, fp32, h100-fp8, h100-fp8-fast")
    list(GET c 0 case)
    list(GET c 1 msg)
    mq_run_test(lua_qmatmul_model_bad_${case} qmatmul_model.lua RC 1
                ARGS --quiet --set case=${case} ERR "${msg}")
  endforeach()
endif()
