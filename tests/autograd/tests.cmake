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
