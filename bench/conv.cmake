# Convolution benchmarks (issue 17): W6 and W7 of conv_common.hpp (bench_conv_tapegrad, and its
# twin bench_conv_torch when LibTorch is found), and conv_kernels, which compares the kernels
# with xtensor versions and the direct lowerings with im2col.
add_executable(bench_conv_tapegrad bench_conv_tapegrad.cpp)
target_link_libraries(bench_conv_tapegrad PRIVATE tapegrad::tapegrad ZLIB::ZLIB)

# xtensor with the project's settings (XSIMD, std::allocator), as bench_kernels
add_executable(conv_kernels conv_kernels.cpp)
target_link_libraries(conv_kernels PRIVATE tapegrad::tapegrad tapegrad_xtensor)

if(Torch_FOUND)
  add_executable(bench_conv_torch bench_conv_torch.cpp)
  target_link_libraries(bench_conv_torch PRIVATE ${TORCH_LIBRARIES} BLAS::BLAS ZLIB::ZLIB)
  target_include_directories(bench_conv_torch PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_options(bench_conv_torch PRIVATE ${TAPEGRAD_TORCH_FLAGS})
endif()
