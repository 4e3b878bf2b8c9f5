# The accumulator model (kernels/accum.c, issue 8).  CPU only: the model
# was fitted on a GPU (docs/gpu.md) but runs and is tested anywhere.
# kernels/accum.c joins the test directly unless mqkernels already has it.
add_executable(test_accum ${CMAKE_CURRENT_LIST_DIR}/test_accum.c)
get_target_property(_mq_kernel_sources mqkernels SOURCES)
if(NOT "${_mq_kernel_sources}" MATCHES "accum\\.c")
  target_sources(test_accum PRIVATE ${PROJECT_SOURCE_DIR}/kernels/accum.c)
endif()
target_link_libraries(test_accum PRIVATE mqkernels Threads::Threads m)
add_test(NAME accum COMMAND test_accum)
