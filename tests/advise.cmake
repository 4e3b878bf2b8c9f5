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

# metriq.advise: every number equal to `metriq advise`'s CSV files on the
# same tensors at six option sets (case ok), and bad arguments
set(MQ_ADVISE_LUA_DIR ${CMAKE_CURRENT_BINARY_DIR}/advise-lua)
mq_run_test(advise_lua ../advise_api.lua ARGS --quiet --set metriq=$<TARGET_FILE:metriq>
            --set gen=$<TARGET_FILE:advise_gen> --set dir=${MQ_ADVISE_LUA_DIR}
            MANIFEST "\"status\": \"done\"")
function(mq_advise_bad case msg)
  mq_run_test(advise_lua_${case} ../advise_api.lua RC 1 ARGS --quiet --set case=${case}
              ERR "${msg}")
endfunction()
mq_advise_bad(gran_unknown "bad argument #2 to 'advise' (unknown granularity 'rows'; known: tensor, channel, fine, block:N (N >= 1))")
mq_advise_bad(gran_type "bad argument #2 to 'advise' ('granularity' must be a string, not number)")
mq_advise_bad(role_unknown "bad argument #2 to 'advise' (unknown role 'middle'; known: lhs, rhs)")
mq_advise_bad(format_unknown "bad argument #2 to 'advise' (unknown format 'e9m9'; known: int8, ")
mq_advise_bad(format_e8m0 "bad argument #2 to 'advise' (format 'e8m0' is a scale format")
mq_advise_bad(formats_type "bad argument #2 to 'advise' ('formats' must be a list of names or a comma string, not number)")
mq_advise_bad(rounding_unknown "bad argument #2 to 'advise' (unknown rounding 'up'; known: rtne")
mq_advise_bad(budget_range "bad argument #2 to 'advise' ('underflow_budget' must be a fraction in [0, 1])")
mq_advise_bad(margin_type "bad argument #2 to 'advise' ('margin' must be a number of dB >= 0)")
mq_advise_bad(seed_type "bad argument #2 to 'advise' ('seed' must be an integer)")
mq_advise_bad(field_unknown "bad argument #2 to 'advise' (unknown field 'granularty' (known: granularity, role, ")
mq_advise_bad(opts_type "bad argument #2 to 'advise' (table expected, got string)")
mq_advise_bad(tensor_type "bad argument #1 to 'advise' (metriq.tensor expected, got table)")
mq_advise_bad(nan "bad argument #1 to 'advise' (NaN or Inf in the tensor")
