# Recurrent benchmark (issue 18): W8 of rnn_common.hpp (bench_rnn_tapegrad, and its twin
# bench_rnn_torch when LibTorch is found).
add_executable(bench_rnn_tapegrad bench_rnn_tapegrad.cpp)
target_link_libraries(bench_rnn_tapegrad PRIVATE tapegrad::tapegrad)
target_include_directories(bench_rnn_tapegrad PRIVATE ${PROJECT_SOURCE_DIR})

if(Torch_FOUND)
  add_executable(bench_rnn_torch bench_rnn_torch.cpp)
  target_link_libraries(bench_rnn_torch PRIVATE ${TORCH_LIBRARIES} BLAS::BLAS)
  target_include_directories(bench_rnn_torch PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_options(bench_rnn_torch PRIVATE ${TAPEGRAD_TORCH_FLAGS})
endif()
