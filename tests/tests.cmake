# Test registry.  Each area keeps its tests in its own .cmake file so that
# work on one area does not touch another's list.
foreach(part core scale kernels cli numerics harness figures accum advise compare training corr sampling bench tquant install reliability)
  if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/${part}.cmake)
    include(${CMAKE_CURRENT_LIST_DIR}/${part}.cmake)
  endif()
endforeach()
