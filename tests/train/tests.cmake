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

# The pictures of the main job (issue 21): run the Fashion-MNIST example briefly and check that
# both SVG files it writes are non-empty, well-formed and draw something. Skipped without the
# data package; fails without gnuplot (scripts/install_deps.sh installs it).
if(TAPEGRAD_BUILD_EXAMPLES)
  add_executable(svg_check train/svg_check_main.cpp)
  target_include_directories(svg_check PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_options(svg_check PRIVATE -Wall -Wextra)
  add_test(NAME train/main_job_writes_valid_svg
           COMMAND ${CMAKE_COMMAND} -DEXAMPLE=$<TARGET_FILE:fashion_mnist>
                   -DCHECK=$<TARGET_FILE:svg_check>
                   -DOUT=${CMAKE_CURRENT_BINARY_DIR}/main_job_pictures
                   -P ${CMAKE_CURRENT_SOURCE_DIR}/train/main_job_pictures.cmake)
  set_tests_properties(train/main_job_writes_valid_svg PROPERTIES
                       ENVIRONMENT "OPENBLAS_NUM_THREADS=1" TIMEOUT 300
                       SKIP_REGULAR_EXPRESSION "no Fashion-MNIST")
endif()
