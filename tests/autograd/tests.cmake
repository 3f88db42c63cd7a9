tapegrad_test_suite(autograd
  autograd/smoke_test.cpp
)
