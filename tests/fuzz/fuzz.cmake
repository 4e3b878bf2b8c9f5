# fuzz.cmake: libFuzzer targets for the tensor file readers (METRIQ_FUZZ).
# libFuzzer comes with clang (Debian: clang, libclang-rt-*-dev); see
# tests/fuzz/README.md for building and running them.  The io/ sources are
# compiled into each target with the fuzzer's coverage instrumentation.
if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "METRIQ_FUZZ needs clang's libFuzzer: configure with "
                      "-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++")
endif()
foreach(reader npy safetensors)
  add_executable(fuzz_${reader} ${CMAKE_CURRENT_LIST_DIR}/fuzz_${reader}.c
                 ${CMAKE_SOURCE_DIR}/io/tensorfile.c ${CMAKE_SOURCE_DIR}/io/npy.c
                 ${CMAKE_SOURCE_DIR}/io/safetensors.c)
  target_include_directories(fuzz_${reader} PRIVATE ${CMAKE_SOURCE_DIR}/io)
  target_compile_options(fuzz_${reader} PRIVATE -g -O1
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all)
  target_link_options(fuzz_${reader} PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(fuzz_${reader} PRIVATE PkgConfig::JANSSON m)
endforeach()
