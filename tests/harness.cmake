# harness.cmake: tests of `metriq run` and its Lua API (issue 3).
# Scripts live in tests/lua; the drivers (run.cmake, same.cmake,
# resume.cmake) run metriq from `cmake -P` and check exit status, stderr,
# the CSV files and the manifest.
set(MQ_LUA ${CMAKE_CURRENT_LIST_DIR}/lua)
set(MQ_LUA_OUT ${CMAKE_CURRENT_BINARY_DIR}/lua-out)

# mq_run_test(NAME SCRIPT [RC rc] [ERR text] [LINES file:n] [MANIFEST text]
#             [HEADER file:line] [OUT dir] [KEEP] [ARGS ...])
# OUT: the output folder's name (default NAME); KEEP: do not empty it first.
function(mq_run_test name script)
  cmake_parse_arguments(T "KEEP" "RC;ERR;LINES;MANIFEST;HEADER;OUT" "ARGS" ${ARGN})
  if(NOT T_OUT)
    set(T_OUT ${name})
  endif()
  set(defs -DMETRIQ=$<TARGET_FILE:metriq> -DSCRIPT=${MQ_LUA}/${script}
           -DOUT=${MQ_LUA_OUT}/${T_OUT})
  if(NOT T_KEEP)
    list(APPEND defs -DFRESH=1)
  endif()
  if(DEFINED T_RC)
    list(APPEND defs -DRC=${T_RC})
  endif()
  # a ';' in a value would split the test's command line: escape it
  if(DEFINED T_ERR)
    string(REPLACE ";" "\\;" err "${T_ERR}")
    list(APPEND defs "-DERR=${err}")
  endif()
  if(DEFINED T_LINES)
    list(APPEND defs -DLINES=${T_LINES})
  endif()
  if(DEFINED T_MANIFEST)
    string(REPLACE ";" "\\;" man "${T_MANIFEST}")
    list(APPEND defs "-DMANIFEST=${man}")
  endif()
  if(DEFINED T_HEADER)
    list(APPEND defs "-DHEADER=${T_HEADER}")
  endif()
  if(T_ARGS)
    string(REPLACE ";" "\\;" args "${T_ARGS}")
    list(APPEND defs "-DARGS=${args}")
  endif()
  add_test(NAME ${name} COMMAND ${CMAKE_COMMAND} ${defs} -P ${MQ_LUA}/run.cmake)
endfunction()

# ---- the API, value by value ----
mq_run_test(lua_api api.lua ARGS --quiet MANIFEST "\"status\": \"done\"")
mq_run_test(lua_params params.lua ARGS --quiet --set n=1024 --set x=2.5 --set flag=false
            --set name=8 --set list=1,inf,e4m3,true --set top=-inf --set one=3)
mq_run_test(lua_example ../../experiments/example.lua ARGS --set n=32 --set nus=1,inf
            ERR "100%" MANIFEST "\"status\": \"done\"")

# ---- the command line ----
mq_run_test(lua_set_unknown params.lua RC 1 ARGS --set nope=1
            ERR "--set nope: the script declares no parameter 'nope' (declared: flag, list, n, name, one, top, untouched, x)")
mq_run_test(lua_set_type params.lua RC 1 ARGS --set n=abc ERR "parameter 'n' expects a number, got 'abc'")
mq_run_test(lua_set_undeclared threads.lua RC 1 ARGS --set n=1 ERR "declares no parameter 'n'")
mq_run_test(lua_set_noparams noparams.lua RC 1 ARGS --set x=1
            ERR "--set given but the script has not declared its params" LINES noparams.csv:0)
mq_run_test(lua_syntax_error syntax_error.lua RC 1 ERR "syntax_error.lua:4: unexpected symbol")
mq_run_test(lua_no_script api.lua RC 2 ARGS extra.lua ERR "one script at a time")
mq_run_test(lua_bad_option api.lua RC 2 ARGS --thread 2 ERR "unknown option '--thread'")
mq_run_test(lua_bad_threads api.lua RC 2 ARGS --threads 0 ERR "--threads: '0' is not an integer in 1..4096")
mq_run_test(lua_bad_threads_big api.lua RC 2 ARGS --threads=4097 ERR "--threads: '4097' is not an integer in 1..4096")
mq_run_test(lua_bad_seed api.lua RC 2 ARGS --seed -1 ERR "--seed: '-1' is not a decimal integer")
mq_run_test(lua_bad_seed_hex api.lua RC 2 ARGS --seed 0x10 ERR "--seed: '0x10' is not a decimal integer")
mq_run_test(lua_set_malformed api.lua RC 2 ARGS --set foo ERR "--set 'foo': expected key=value")
mq_run_test(lua_no_value api.lua RC 2 ARGS --out ERR "option '--out' needs a value")

# ---- the column order: the rule, or the script's own (results.h) ----
mq_run_test(lua_order_given order.lua ARGS --quiet HEADER given.csv:z,nu,format,a LINES given.csv:5)
mq_run_test(lua_order_natural order.lua ARGS --quiet HEADER natural.csv:nu,format,a,z)

# ---- bad input to every binding: message, exit status 1, and the CSV
#      holds the header and the one cell that completed ----
# mq_bad_input(CASE MESSAGE): bad_input.lua --set case=CASE
function(mq_bad_input case msg)
  mq_run_test(lua_bad_${case} bad_input.lua RC 1 ARGS --quiet --set case=${case}
              ERR "${msg}" LINES bad_input.csv:2 MANIFEST "\"status\": \"failed\"")
endfunction()
mq_bad_input(quantize_format "bad argument #2 to 'quantize' (unknown format 'e9m9'; known: int8, ")
mq_bad_input(quantize_field "bad argument #2 to 'quantize' (unknown field 'rouding'")
mq_bad_input(quantize_rounding "bad argument #2 to 'quantize' (unknown rounding 'up'; known: rtne")
mq_bad_input(quantize_gran "bad argument #2 to 'quantize' (unknown granularity 'row'")
mq_bad_input(quantize_role "bad argument #2 to 'quantize' (unknown role 'middle'; known: lhs, rhs)")
mq_bad_input(quantize_block "'block' goes with granularity 'channel' or 'block', not 'tensor'")
mq_bad_input(quantize_overflow "format e2m1 cannot take rounding rtne with overflow 'ieee'")
mq_bad_input(quantize_tensor "bad argument #1 to 'quantize' (metriq.tensor expected, got table)")
mq_bad_input(quantize_nan "bad argument #1 to 'quantize' (NaN or Inf in the tensor")
mq_bad_input(qmatmul_shape "bad argument #2 to 'qmatmul' (shapes 4x4 and 3x2 do not fit")
mq_bad_input(qmatmul_lhs "bad argument #3 to 'qmatmul' (lhs: unknown format 'e9m9'")
mq_bad_input(qmatmul_accum "accum 'exact' is not available for fp16 x fp16")
mq_bad_input(qmatmul_accum_name "unknown accum 'int32'; known: exact, fp32")
mq_bad_input(qmatmul_field "bad argument #3 to 'qmatmul' (unknown field 'acum'")
mq_bad_input(qmatmul_role "'role' is implied by the operand in qmatmul")
mq_bad_input(matmul_shape "bad argument #2 to 'matmul' (shapes 4x4 and 5x5 do not fit")
mq_bad_input(matmul_3d "bad argument #1 to 'matmul' (expected a 2-D tensor, got a 3-D tensor (2x2x2))")
mq_bad_input(relerr_shape "bad argument #2 to 'relerr' (shape 16 differs from argument #1's 4x4)")
mq_bad_input(backward_error_shape "bad argument #3 to 'backward_error' (Q is 3x3 but the product is 4x4)")
mq_bad_input(reference_shape "bad argument #2 to 'reference' (shapes 4x4 and 2x4 do not fit")
mq_bad_input(summary_nan "bad argument #1 to 'summary' (NaN in the data)")
mq_bad_input(quantile_p "bad argument #2 to 'quantile' (p must be in [0, 1])")
mq_bad_input(moments_n "bad argument #1 to 'moments' (moments need at least 2 elements)")
mq_bad_input(histogram_bins "bad argument #2 to 'histogram' ('bins' must be an integer in 1..16777216)")
mq_bad_input(histogram_range "bad argument #2 to 'histogram' (bad range")
# every integer option states its real range; files of st_size 0 (/proc)
# are read to their end (issue 15)
mq_bad_input(histogram_bins_big "bad argument #2 to 'histogram' ('bins' must be an integer in 1..16777216)")
mq_bad_input(qmatmul_threads "bad argument #3 to 'qmatmul' ('threads' must be an integer in 1..4096)")
mq_bad_input(train_threads "bad argument #1 to 'train' ('threads' must be an integer in 1..4096)")
mq_bad_input(train_steps "bad argument #1 to 'train' ('steps' must be an integer in 1..1000000000)")
mq_bad_input(tensor_huge "tensor of 1048576x1048576 elements: at most 4294967296 elements")
mq_bad_input(load_proc "/proc/self/status: neither a .npy file")
mq_bad_input(mse_shape "bad argument #2 to 'mse' (shape 4x3 differs from argument #1's 4x4)")
mq_bad_input(sqnr_shape "bad argument #2 to 'sqnr' (shape 2 differs")
mq_bad_input(error_split_format "bad argument #3 to 'error_split' (unknown format 'e9m9'")
mq_bad_input(normal_shape "bad argument #1 to 'normal' (dimension 2 of the shape is not an integer >= 1)")
mq_bad_input(normal_sd "bad argument #3 to 'normal' (sd must be finite and >= 0)")
mq_bad_input(studentt_nu "bad argument #2 to 'studentt' (nu must be > 0")
mq_bad_input(studentt_generator "bad argument #4 to 'studentt' (invalid option 'mt')")
mq_bad_input(lognormal_sigma "bad argument #3 to 'lognormal' (sigma must be finite and >= 0)")
mq_bad_input(laplace_b "bad argument #2 to 'laplace' (b must be finite and >= 0)")
mq_bad_input(uniform_range "bad argument #3 to 'uniform' (b must be >= a)")
mq_bad_input(sample_seed "bad argument #4 to 'normal' (number has no integer representation)")
mq_bad_input(zeros_dims "bad argument #4 to 'zeros' (a shape has 1 to 3 dimensions)")
mq_bad_input(tensor_ragged "bad argument #1 to 'tensor' (table [2] has 1 elements, expected 2")
mq_bad_input(tensor_element "bad argument #1 to 'tensor' (element [2] is a string, expected a number)")
mq_bad_input(get_range "bad argument #1 to 'get' (index 5 out of range 1..4 (shape 4x4))")
mq_bad_input(get_arity "bad argument #1 to 'get' (a 2-D tensor takes 2 indices)")
mq_bad_input(set_value "bad argument #3 to 'set' (number expected, got string)")
mq_bad_input(slice_range "bad argument #1 to 'slice' (range 3..9 outside axis 1 of a 4x4 tensor)")
mq_bad_input(reshape_size "bad argument #1 to 'reshape' (cannot reshape a 4x4 tensor to 3x5)")
mq_bad_input(index_range "tensor index 17 out of range 1..16")
mq_bad_input(newindex_value "tensor elements are numbers, not string")
mq_bad_input(format_name "bad argument #1 to 'format' (unknown format 'e9m9'")
mq_bad_input(results_name "bad argument #1 to 'results' (bad results name 'a/b'")
mq_bad_input(write_column "bad argument #1 to 'write' (column 'extra' is not in the header of bad_input.csv (step, ok))")
mq_bad_input(order_lacks "bad argument #1 to 'write' (row lacks column 'ok' (ordered.csv's columns: step, ok))")
mq_bad_input(order_extra "bad argument #1 to 'write' (column 'extra' is not among ordered.csv's columns (step, ok))")
mq_bad_input(order_other "bad argument #2 to 'results' (ordered.csv has another explicit order (step, ok))")
mq_bad_input(order_header "bad argument #2 to 'results' (bad_input.csv has another header (step, ok))")
mq_bad_input(order_twice "bad argument #2 to 'results' (column 'ok' is listed twice)")
mq_bad_input(order_type "bad argument #2 to 'results' (columns[2] is a number, not a column name)")
mq_bad_input(order_option "bad argument #2 to 'results' (unknown option 'column' (known: columns))")
mq_bad_input(write_value "bad argument #1 to 'write' (column 'step' is a table")
mq_bad_input(derive_seed "bad argument #1 to 'derive' (number expected, got string)")
mq_bad_input(params_twice "params declared twice")
mq_bad_input(params_type "bad argument #1 to 'params' (table expected, got number)")
mq_bad_input(shape_self "bad argument #1 to 'shape' (metriq.tensor expected, got number)")
mq_bad_input(ndim_self "bad argument #1 to 'ndim' (metriq.tensor expected, got string)")
mq_bad_input(clone_self "bad argument #1 to 'clone' (metriq.tensor expected, got metriq.results)")
mq_bad_input(totable_self "bad argument #1 to 'totable' (metriq.tensor expected, got no value)")
mq_bad_input(rows_self "bad argument #1 to 'rows' (metriq.results expected, got metriq.tensor)")
mq_bad_input(path_self "bad argument #1 to 'path' (metriq.results expected, got no value)")
mq_bad_input(runtime_error "bad_input.lua:")
mq_bad_input(nested_grid "grid inside a grid cell (nested grids are not supported)")
mq_bad_input(grid_duplicate "bad argument #1 to 'grid' (axis 'a' has the value 1 twice)")
mq_bad_input(grid_name "bad argument #1 to 'grid' (bad axis name 'seed'")
mq_bad_input(grid_value "bad argument #1 to 'grid' (axis 'a' value #1 is a table")
mq_bad_input(grid_empty "bad argument #1 to 'grid' (axis 'a' has no values)")

# ---- grids of many values (issue 15): no quadratic set-up, the cell
#      bound checked before any per-cell work ----
mq_run_test(lua_grid_big_axis grid_big.lua ARGS --quiet --set case=axis LINES grid_big.csv:4)
mq_run_test(lua_grid_big_huge grid_big.lua RC 1 ARGS --quiet --set case=huge
            ERR "bad argument #1 to 'grid' (more than 67108864 cells, the most one grid may have (axis lengths: a 100000, b 100000))")
mq_run_test(lua_grid_big_dup grid_big.lua RC 1 ARGS --quiet --set case=dup
            ERR "bad argument #1 to 'grid' (axis 'a' has the value 50000 twice)")
set_tests_properties(lua_grid_big_axis lua_grid_big_huge lua_grid_big_dup PROPERTIES TIMEOUT 20)

# ---- resume: stopped runs, resumed, equal an uninterrupted run ----
add_test(NAME lua_resume COMMAND ${CMAKE_COMMAND} -DMETRIQ=$<TARGET_FILE:metriq>
         -DSCRIPT=${MQ_LUA}/resume.lua -DOUT=${MQ_LUA_OUT}/lua_resume -P ${MQ_LUA}/resume.cmake)
# manifests an earlier harness wrote (tests/data/engine) still resume and merge
add_test(NAME lua_resume_old COMMAND ${CMAKE_COMMAND} -DMETRIQ=$<TARGET_FILE:metriq>
         -DDATA=${CMAKE_CURRENT_LIST_DIR}/data/engine -DOUT=${MQ_LUA_OUT}/lua_resume_old
         -P ${MQ_LUA}/old_manifest.cmake)
# a resume with other params refuses, and leaves the record as it was
mq_run_test(lua_resume_params_full resume.lua ARGS --quiet)
mq_run_test(lua_resume_params resume.lua OUT lua_resume_params_full KEEP RC 1
            ARGS --quiet --resume --set n=8
            ERR "cannot resume: params {\"formats\":[\"int8\",\"e4m3\",\"e5m2\"],\"n\":8} differ"
            MANIFEST "\"n\":24" LINES resume.csv:13)
set_tests_properties(lua_resume_params PROPERTIES DEPENDS lua_resume_params_full)

# ---- math.random follows the run seed (issue 15): two runs with one seed
#      agree, and so do a stopped-and-resumed run and an uninterrupted one ----
add_test(NAME lua_random_same COMMAND ${CMAKE_COMMAND} -DMETRIQ=$<TARGET_FILE:metriq>
         -DSCRIPT=${MQ_LUA}/random.lua -DOUT=${MQ_LUA_OUT}/lua_random_same
         "-DARGS1=--seed 5" "-DARGS2=--seed 5" -DFILES=resume.csv,other.csv
         -P ${MQ_LUA}/same.cmake)
add_test(NAME lua_random_resume COMMAND ${CMAKE_COMMAND} -DMETRIQ=$<TARGET_FILE:metriq>
         -DSCRIPT=${MQ_LUA}/random.lua -DOUT=${MQ_LUA_OUT}/lua_random_resume
         -P ${MQ_LUA}/resume.cmake)

# ---- --sandbox (issue 15): os.execute, io.popen, file opening, C modules,
#      debug and binary chunks are gone; the metriq API remains ----
mq_run_test(lua_sandbox sandbox.lua ARGS --quiet --sandbox --set dir=${MQ_LUA} LINES sandbox.csv:3)
mq_run_test(lua_sandbox_off sandbox.lua RC 1 ARGS --quiet --set dir=${MQ_LUA} ERR "not sandboxed: os.execute works")

# ---- threads: --threads 1 and 2 write the same bits ----
add_test(NAME lua_threads COMMAND ${CMAKE_COMMAND} -DMETRIQ=$<TARGET_FILE:metriq>
         -DSCRIPT=${MQ_LUA}/threads.lua -DOUT=${MQ_LUA_OUT}/lua_threads
         "-DARGS1=--threads 1" "-DARGS2=--threads 2" -DFILES=threads.csv
         -P ${MQ_LUA}/same.cmake)

# ---- beyond one process (issue 10): shards and merge always, MPI when
#      built with it; each case against a plain run of the same script ----
function(mq_dist_test name case)
  add_test(NAME ${name} COMMAND ${CMAKE_COMMAND} -DMETRIQ=$<TARGET_FILE:metriq>
           -DSCRIPT=${MQ_LUA}/dist.lua -DOTHER=${MQ_LUA}/resume.lua
           -DBREAK=${MQ_LUA}/dist_break.lua "-DMPIEXEC=${MPIEXEC_EXECUTABLE}"
           -DOUT=${MQ_LUA_OUT}/${name} -DCASE=${case} -P ${MQ_LUA}/dist.cmake)
endfunction()
mq_dist_test(lua_shard_merge shards)
mq_dist_test(lua_shard_resume shard_resume)
mq_dist_test(lua_merge_refuse refuse)
if(METRIQ_MPI)
  mq_dist_test(lua_mpi mpi)
  mq_dist_test(lua_mpi_kill mpi_kill)
  mq_dist_test(lua_mpi_fail mpi_fail)
  # up to 3 ranks each: not beside one another on a small machine
  set_tests_properties(lua_mpi lua_mpi_kill lua_mpi_fail PROPERTIES RESOURCE_LOCK mpi)
endif()

# metriq.cast: values, an unknown format, a bad scale
mq_run_test(lua_cast cast.lua)
mq_run_test(lua_cast_bad_format cast.lua RC 1 ARGS --set case=format ERR "unknown format 'e9m9'")
mq_run_test(lua_cast_bad_scale cast.lua RC 1 ARGS --set case=scale ERR "scale must be a finite number > 0")

# the engine through its C API alone (no Lua linked)
add_executable(test_engine ${CMAKE_CURRENT_LIST_DIR}/test_engine.c)
target_link_libraries(test_engine PRIVATE mqrun)
add_test(NAME engine COMMAND test_engine ${CMAKE_CURRENT_BINARY_DIR}/engine-out)
