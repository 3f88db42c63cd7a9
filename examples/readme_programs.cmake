# The README's complete programs (its ```cpp blocks with a main), extracted at configure time,
# built, and run by CTest, so the front page cannot drift from the code. The first one must
# also print what its comments say it prints.
set(readme ${PROJECT_SOURCE_DIR}/README.md)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${readme})
file(READ ${readme} text)
string(REPLACE ";" "<semicolon>" text "${text}")  # CMake lists split on ';'
string(REGEX MATCHALL "```cpp\n[^`]*```" blocks "${text}")
set(n 0)
foreach(block IN LISTS blocks)
  if(NOT block MATCHES "int main\\(")
    continue()
  endif()
  math(EXPR n "${n} + 1")
  string(REGEX REPLACE "^```cpp\n" "" code "${block}")
  string(REGEX REPLACE "```$" "" code "${code}")
  string(REPLACE "<semicolon>" ";" code "${code}")
  set(src ${CMAKE_CURRENT_BINARY_DIR}/readme_program_${n}.cpp)
  file(WRITE ${src}.new "${code}")
  configure_file(${src}.new ${src} COPYONLY)  # touched only when the README's code changed
  add_executable(readme_program_${n} ${src})
  target_link_libraries(readme_program_${n} PRIVATE tapegrad::tapegrad)
  if(n EQUAL 1)
    add_test(NAME example/readme_program_1
             COMMAND ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:readme_program_1> -DSOURCE=${src}
                     -P ${CMAKE_CURRENT_SOURCE_DIR}/check_printed.cmake)
  else()
    add_test(NAME example/readme_program_${n} COMMAND readme_program_${n})
  endif()
  set_tests_properties(example/readme_program_${n} PROPERTIES
                       ENVIRONMENT "OPENBLAS_NUM_THREADS=1" TIMEOUT 300)
endforeach()
if(n LESS 2)
  message(FATAL_ERROR "README.md: expected at least two complete programs, found ${n}")
endif()
