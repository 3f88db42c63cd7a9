# The README's first program, extracted at configure time, built, and run by CTest: it must
# print what the README's comments say it prints, so the front page cannot drift from the code.
set(readme ${PROJECT_SOURCE_DIR}/README.md)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${readme})
file(READ ${readme} text)
string(REGEX MATCH "```cpp\n([^`]*)```" block "${text}")
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/readme_first_program.cpp.new "${CMAKE_MATCH_1}")
configure_file(${CMAKE_CURRENT_BINARY_DIR}/readme_first_program.cpp.new
               ${CMAKE_CURRENT_BINARY_DIR}/readme_first_program.cpp COPYONLY)  # touched on change only
add_executable(readme_first_program ${CMAKE_CURRENT_BINARY_DIR}/readme_first_program.cpp)
target_link_libraries(readme_first_program PRIVATE tapegrad::tapegrad)
add_test(NAME example/readme_first_program
         COMMAND ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:readme_first_program>
                 -DSOURCE=${CMAKE_CURRENT_BINARY_DIR}/readme_first_program.cpp
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/check_printed.cmake)
