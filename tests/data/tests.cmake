tapegrad_test_suite(data
  data/dataset_test.cpp
  data/dataloader_test.cpp
  data/idx_test.cpp
  data/fashion_mnist_test.cpp
  data/csv_test.cpp
  data/transforms_test.cpp
  data/split_test.cpp
)
# The IDX tests write gzip files themselves.
target_link_libraries(test_data PRIVATE ZLIB::ZLIB)
