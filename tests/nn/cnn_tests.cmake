# The convolutional-network suite (issue 17): its own binary, so it builds and runs beside nn's.
tapegrad_test_suite(cnn
  nn/conv_test.cpp
  nn/pooling_test.cpp
  nn/normalization2d_test.cpp
  nn/image_test.cpp
  nn/cnn_training_test.cpp
  nn/cnn_print_test.cpp
)
