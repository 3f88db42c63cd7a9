tapegrad_test_suite(autograd
  autograd/golden_test.cpp
  autograd/elementwise_test.cpp
  autograd/linalg_test.cpp
  autograd/shape_test.cpp
  autograd/view_test.cpp
  autograd/reduce_test.cpp
  autograd/activation_test.cpp
  autograd/tensor_test.cpp
  autograd/factories_test.cpp
  autograd/random_test.cpp
  autograd/engine_test.cpp
  autograd/engine_sink_test.cpp
  autograd/allocator_test.cpp
  autograd/gemm_rows_test.cpp
  autograd/gradcheck_test.cpp
  autograd/platform_test.cpp
)
# LibTorch vocabulary for ports (issue 16): the added ops, printing, autograd::functional
tapegrad_test_suite(porting
  autograd/porting_test.cpp
  autograd/print_test.cpp
  autograd/functional_test.cpp
)
# tapegrad::linalg (LAPACK through xtensor-blas): its own binary, as its gradient checks are
# the slowest cases
tapegrad_test_suite(linalg autograd/linalg_decomp_test.cpp)
tapegrad_test_suite(indexing
  autograd/indexing_test.cpp
  autograd/ordering_test.cpp
  autograd/indexing_golden_test.cpp
)

# An autograd walkthrough written as a LibTorch program (libtorch_style/autograd_walkthrough.cpp),
# built from a copy with torch:: renamed to tapegrad:: and <torch/torch.h> to <tapegrad.hpp> and
# nothing else. When LibTorch is installed, the file is also built against it unchanged, and
# the two programs must print the same text.
set(walkthrough_src ${CMAKE_CURRENT_SOURCE_DIR}/autograd/libtorch_style/autograd_walkthrough.cpp)
tapegrad_renamed_program(autograd_walkthrough_renamed ${walkthrough_src}
  autograd/libtorch_style_walkthrough_renamed)

find_package(Torch QUIET)
if(Torch_FOUND AND NOT TAPEGRAD_SANITIZE)
  add_executable(autograd_walkthrough_libtorch ${walkthrough_src})
  target_link_libraries(autograd_walkthrough_libtorch PRIVATE ${TORCH_LIBRARIES})
  add_test(NAME autograd/libtorch_style_walkthrough_same_output_as_libtorch
    COMMAND ${CMAKE_COMMAND} -DFIRST=$<TARGET_FILE:autograd_walkthrough_renamed>
            -DSECOND=$<TARGET_FILE:autograd_walkthrough_libtorch>
            -P ${CMAKE_CURRENT_SOURCE_DIR}/autograd/libtorch_style/same_output.cmake)
  set_tests_properties(autograd/libtorch_style_walkthrough_same_output_as_libtorch PROPERTIES
    ENVIRONMENT "OPENBLAS_NUM_THREADS=1")
endif()
tapegrad_test_suite(parallel autograd/test_parallel.cpp)
# bfloat16 storage and autocast's bfloat16 products (oneDNN, when the build and CPU have it)
tapegrad_test_suite(bf16 autograd/bf16_test.cpp)
