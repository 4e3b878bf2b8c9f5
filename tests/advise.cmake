# advise.cmake: the tensor file readers (io/) and `metriq advise` (issue 7).
set(MQ_FUZZ_CORPUS ${CMAKE_CURRENT_LIST_DIR}/fuzz/corpus)

# Readers: NumPy-written files, every float16/bfloat16 pattern, float64
# rounding, and malformed input one defect at a time.
add_executable(test_io ${CMAKE_CURRENT_LIST_DIR}/test_io.c)
target_link_libraries(test_io PRIVATE mqio m)
add_test(NAME io COMMAND test_io ${MQ_FUZZ_CORPUS} ${CMAKE_CURRENT_BINARY_DIR})

# The fuzz corpus (tests/fuzz/corpus: seeds and what libFuzzer kept),
# replayed through both readers in every build, so that an input that once
# crashed stays fixed.  The targets are the fuzzers' own sources with a
# plain main (tests/fuzz/replay.c) instead of libFuzzer.
foreach(reader npy safetensors)
  add_executable(replay_${reader} ${CMAKE_CURRENT_LIST_DIR}/fuzz/replay.c
                 ${CMAKE_CURRENT_LIST_DIR}/fuzz/fuzz_${reader}.c)
  target_link_libraries(replay_${reader} PRIVATE mqio)
  add_test(NAME fuzz_replay_${reader}
           COMMAND replay_${reader} ${MQ_FUZZ_CORPUS}/npy ${MQ_FUZZ_CORPUS}/safetensors)
endforeach()

# metriq advise on fixtures drawn at test time (advise_gen: normal weights,
# log-normal-magnitude gradients, bad files), checked by advise_test.sh.
add_executable(advise_gen ${CMAKE_CURRENT_LIST_DIR}/advise_gen.c)
target_link_libraries(advise_gen PRIVATE mqkernels m)
add_test(NAME advise COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/advise_test.sh
         $<TARGET_FILE:metriq> $<TARGET_FILE:advise_gen> ${CMAKE_CURRENT_BINARY_DIR}/advise-out)

# kernels/advise.h: Hill's estimator, the measures and the rule, in C
add_executable(test_advise ${CMAKE_CURRENT_LIST_DIR}/test_advise.c)
target_link_libraries(test_advise PRIVATE mqkernels m)
add_test(NAME advise_kernel COMMAND test_advise)
