tapegrad_test_suite(reliability
  reliability/misuse_test.cpp
  reliability/memory_test.cpp
  reliability/deep_test.cpp
  reliability/threads_test.cpp
  reliability/numerics_test.cpp
  reliability/limits_test.cpp
  reliability/fuzz_regression_test.cpp
  reliability/files_test.cpp
  reliability/archive_header_seeds_test.cpp
)
# The thread test alone, for the ThreadSanitizer job (.ci/run), which builds nothing else.
find_package(Threads REQUIRED)
target_link_libraries(test_reliability PRIVATE Threads::Threads)
target_compile_definitions(test_reliability PRIVATE
  TAPEGRAD_FUZZ_CORPUS_DIR="${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus")
add_executable(test_reliability_threads EXCLUDE_FROM_ALL $<TARGET_OBJECTS:tapegrad_test_main>
               reliability/threads_test.cpp)
target_link_libraries(test_reliability_threads PRIVATE tapegrad::tapegrad doctest::doctest Threads::Threads)
target_include_directories(test_reliability_threads PRIVATE ${PROJECT_SOURCE_DIR})
target_compile_definitions(test_reliability_threads PRIVATE
  TAPEGRAD_GOLDEN_DIR="${CMAKE_CURRENT_SOURCE_DIR}/golden")
target_compile_options(test_reliability_threads PRIVATE -Wall -Wextra)
