# The recurrent-network suite (issue 18): its own binary, so it builds and runs beside nn's.
tapegrad_test_suite(rnn
  nn/rnn_test.cpp
  nn/rnn_utils_test.cpp
  nn/rnn_fused_test.cpp
  autograd/rnn_cell_test.cpp
)
