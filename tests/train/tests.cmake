tapegrad_test_suite(train
  train/fit_test.cpp
  train/history_test.cpp
  train/metrics_test.cpp
  train/classification_test.cpp
  train/metric_test.cpp
  train/callbacks_test.cpp
  train/weights_test.cpp
  train/inspect_test.cpp
  train/search_test.cpp
  train/svg_test.cpp
)

