# Runs FIRST and SECOND (two builds of one program) and fails unless both succeed and print the
# same standard output. Usage: cmake -DFIRST=a -DSECOND=b -P same_output.cmake
foreach(program FIRST SECOND)
  execute_process(COMMAND ${${program}} OUTPUT_VARIABLE out_${program} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${${program}} failed (${rc})")
  endif()
endforeach()
if(NOT out_FIRST STREQUAL out_SECOND)
  file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/first.txt "${out_FIRST}")
  file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/second.txt "${out_SECOND}")
  message(FATAL_ERROR "the outputs differ:\n--- ${FIRST}\n${out_FIRST}\n--- ${SECOND}\n${out_SECOND}")
endif()
message(STATUS "same output (${FIRST} and ${SECOND})")
