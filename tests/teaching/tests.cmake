tapegrad_test_suite(teaching
  teaching/graph_test.cpp
  teaching/tape_test.cpp
  teaching/anomaly_test.cpp
  teaching/hooks_test.cpp
  teaching/function_test.cpp
)
