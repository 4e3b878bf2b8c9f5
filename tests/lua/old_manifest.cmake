# old_manifest.cmake: manifests written by the harness before it read them
# with jansson (tests/data/engine/, with infinite params written 1e999) still
# resume, and still merge, to the CSV files of an uninterrupted run.
#
#   cmake -DMETRIQ=path -DDATA=tests/data/engine -DOUT=dir -P old_manifest.cmake
file(REMOVE_RECURSE "${OUT}")
file(MAKE_DIRECTORY "${OUT}")
set(SCRIPT "${DATA}/old.lua")

function(metriq)
  execute_process(COMMAND "${METRIQ}" ${ARGN} --quiet RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "metriq ${ARGN}: exit ${rc}:\n${err}")
  endif()
endfunction()

function(check_same dir)
  foreach(f old.csv other.csv)
    execute_process(COMMAND "${CMAKE_COMMAND}" -E compare_files "${DATA}/expect/${f}"
                    "${dir}/${f}" RESULT_VARIABLE diff)
    if(NOT diff EQUAL 0)
      file(READ "${DATA}/expect/${f}" a)
      file(READ "${dir}/${f}" b)
      message(FATAL_ERROR "${dir}/${f} differs from the uninterrupted run's:\n${a}\n---\n${b}")
    endif()
  endforeach()
endfunction()

# a killed run (3 of 6 cells done): resumed, it skips them and ends the same
file(COPY "${DATA}/killed/" DESTINATION "${OUT}/killed")
metriq(run "${SCRIPT}" --out "${OUT}/killed" --resume)
check_same("${OUT}/killed")
file(READ "${OUT}/killed/manifest.json" man)
string(REGEX MATCHALL "\"status\": \"done\"" done "${man}")
list(LENGTH done n)
if(NOT n EQUAL 7 OR NOT man MATCHES "\"params\": {\"cap\":1e999,\"low\":-1e999,\"n\":3,\"nus\":\\[1,1e999\\],\"tag\":\"x\"}"
   OR NOT man MATCHES "\"resumed\": \\[\"")
  message(FATAL_ERROR "the resumed manifest:\n${man}")
endif()

# shard 1/2 killed after one cell, resumed; shard 0/2 done; merged
file(COPY "${DATA}/shard1/" DESTINATION "${OUT}/sh/shard-1-of-2")
file(COPY "${DATA}/shard0/" DESTINATION "${OUT}/sh/shard-0-of-2")
metriq(run "${SCRIPT}" --out "${OUT}/sh" --shard 1/2 --resume)
metriq(merge "${OUT}/merged" "${OUT}/sh/shard-0-of-2" "${OUT}/sh/shard-1-of-2")
check_same("${OUT}/merged")
