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
tapegrad_renamed_program(data_mnist_loop_renamed
  ${CMAKE_CURRENT_SOURCE_DIR}/data/libtorch_style/mnist_loop.cpp
  data/libtorch_style_mnist_loop_renamed)
set_tests_properties(data/libtorch_style_mnist_loop_renamed PROPERTIES
  ENVIRONMENT "OPENBLAS_NUM_THREADS=1" SKIP_RETURN_CODE 77 TIMEOUT 600)

# A custom CRTP dataset over image files (libtorch_style/image_folder.cpp: it writes its own
# PGM images, reads one per get(), batches with Stack<> over 2 workers and trains), built from a
# renamed copy and run; with LibTorch installed, also built and run against it as it is.
tapegrad_renamed_program(data_image_folder_renamed
  ${CMAKE_CURRENT_SOURCE_DIR}/data/libtorch_style/image_folder.cpp
  data/libtorch_style_image_folder_renamed)
find_package(Torch QUIET)
if(Torch_FOUND AND NOT TAPEGRAD_SANITIZE)
  add_executable(data_image_folder_libtorch data/libtorch_style/image_folder.cpp)
  target_link_libraries(data_image_folder_libtorch PRIVATE ${TORCH_LIBRARIES})
  add_test(NAME data/libtorch_style_image_folder_libtorch COMMAND data_image_folder_libtorch)
  set_tests_properties(data/libtorch_style_image_folder_libtorch PROPERTIES
    ENVIRONMENT "OPENBLAS_NUM_THREADS=1")
endif()
