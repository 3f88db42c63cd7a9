tapegrad_test_suite(train
  train/fit_test.cpp
  train/history_test.cpp
  train/metrics_test.cpp
)
