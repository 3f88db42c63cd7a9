# The optimizer-state reader's libFuzzer target (fuzz_optim_state.cpp), set up as the others in
# CMakeLists.txt.
add_executable(fuzz_optim_state fuzz_optim_state.cpp)
target_link_libraries(fuzz_optim_state PRIVATE tapegrad::tapegrad ZLIB::ZLIB)
target_include_directories(fuzz_optim_state PRIVATE ${PROJECT_SOURCE_DIR})
target_compile_options(fuzz_optim_state PRIVATE -Wall -Wextra)
target_link_options(fuzz_optim_state PRIVATE -fsanitize=fuzzer)
