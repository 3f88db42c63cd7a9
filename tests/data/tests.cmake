tapegrad_test_suite(data
  data/dataset_test.cpp
  data/dataloader_test.cpp
  data/datasets_test.cpp
  data/samplers_test.cpp
  data/loader_threads_test.cpp
  data/mnist_test.cpp
  data/idx_test.cpp
  data/fashion_mnist_test.cpp
  data/csv_test.cpp
  data/standardizer_test.cpp
  data/split_test.cpp
)
# The IDX tests write gzip files themselves; the samplers and MNIST compare with LibTorch's
# values in data_golden.txt (written by gen_data_golden.cpp).
target_link_libraries(test_data PRIVATE ZLIB::ZLIB)
target_compile_definitions(test_data PRIVATE
  TAPEGRAD_DATA_GOLDEN="${CMAKE_CURRENT_SOURCE_DIR}/data/data_golden.txt")

# The threaded loader test alone, for the ThreadSanitizer job (.ci/run), which builds nothing
# else.
add_executable(test_data_threads EXCLUDE_FROM_ALL $<TARGET_OBJECTS:tapegrad_test_main>
               data/loader_threads_test.cpp)
target_link_libraries(test_data_threads PRIVATE tapegrad::tapegrad doctest::doctest)
target_include_directories(test_data_threads PRIVATE ${PROJECT_SOURCE_DIR})
target_compile_options(test_data_threads PRIVATE -Wall -Wextra)

# A LibTorch training loop (libtorch_style/mnist_loop.cpp, which compiles against LibTorch as it
# is), built from a copy with torch:: renamed to tapegrad:: and <torch/torch.h> to
# <tapegrad.hpp> and nothing else, then run on Fashion-MNIST (skipped without the data).
set(libtorch_style_src ${CMAKE_CURRENT_SOURCE_DIR}/data/libtorch_style/mnist_loop.cpp)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${libtorch_style_src})
file(READ ${libtorch_style_src} libtorch_style_text)
string(REPLACE "<torch/torch.h>" "<tapegrad.hpp>" libtorch_style_text "${libtorch_style_text}")
string(REPLACE "torch::" "tapegrad::" libtorch_style_text "${libtorch_style_text}")
set(libtorch_style_renamed ${CMAKE_CURRENT_BINARY_DIR}/data_mnist_loop_renamed.cpp)
file(WRITE ${libtorch_style_renamed}.new "${libtorch_style_text}")
configure_file(${libtorch_style_renamed}.new ${libtorch_style_renamed} COPYONLY)
add_executable(data_mnist_loop_renamed ${libtorch_style_renamed})
target_link_libraries(data_mnist_loop_renamed PRIVATE tapegrad::tapegrad)
target_compile_options(data_mnist_loop_renamed PRIVATE -Wall -Wextra)
add_test(NAME data/libtorch_style_mnist_loop_renamed COMMAND data_mnist_loop_renamed)
set_tests_properties(data/libtorch_style_mnist_loop_renamed PROPERTIES
  ENVIRONMENT "OPENBLAS_NUM_THREADS=1" SKIP_RETURN_CODE 77 TIMEOUT 600)
