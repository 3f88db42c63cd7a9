# Convolution benchmarks (issue 17): W6 and W7 of conv_common.hpp (bench_conv_tapegrad, and its
# twin bench_conv_torch when LibTorch is found), and conv_kernels, which compares the kernels
# with xtensor versions and the direct lowerings with im2col.
add_executable(bench_conv_tapegrad bench_conv_tapegrad.cpp)
target_link_libraries(bench_conv_tapegrad PRIVATE tapegrad::tapegrad ZLIB::ZLIB)

find_package(xtensor QUIET)
if(xtensor_FOUND)
  add_executable(conv_kernels conv_kernels.cpp)
  target_link_libraries(conv_kernels PRIVATE tapegrad::tapegrad xtensor)
  # the settings TOOLCHAIN.md gives for xtensor with xsimd
  # (a function-style macro: CMake drops it from compile definitions, so pass it as an option)
  target_compile_definitions(conv_kernels PRIVATE XTENSOR_USE_XSIMD)
  target_compile_options(conv_kernels PRIVATE "-DXTENSOR_DEFAULT_ALLOCATOR(T)=std::allocator<T>")
endif()

if(Torch_FOUND)
  add_executable(bench_conv_torch bench_conv_torch.cpp)
  target_link_libraries(bench_conv_torch PRIVATE ${TORCH_LIBRARIES} BLAS::BLAS ZLIB::ZLIB)
  target_include_directories(bench_conv_torch PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_options(bench_conv_torch PRIVATE ${TAPEGRAD_TORCH_FLAGS})
endif()
