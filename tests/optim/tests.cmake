# The optim suite: optimizers, schedulers, save/load, and golden trajectories from PyTorch.
tapegrad_test_suite(optim
  optim/optimizer_test.cpp
  optim/sgd_test.cpp
  optim/adagrad_test.cpp
  optim/rmsprop_test.cpp
  optim/adam_test.cpp
  optim/adamw_test.cpp
  optim/trajectories_test.cpp
  optim/allocation_test.cpp
  optim/fused_update_test.cpp
  optim/serialize_test.cpp
  optim/scheduler_test.cpp
  optim/scheduler_golden_test.cpp
  optim/cyclic_lr_test.cpp
  optim/sequential_lr_test.cpp
  optim/lbfgs_test.cpp
  optim/to_dtype_test.cpp
  optim/checks_test.cpp
  optim/fuzz_seeds_test.cpp
  optim/training_test.cpp
)
# The optimizer-state fuzz target's seeds, replayed by fuzz_seeds_test.cpp.
target_compile_definitions(test_optim PRIVATE
  TAPEGRAD_FUZZ_CORPUS_DIR="${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus")

# A regression loop written as a LibTorch program (libtorch_style/regression_loop.cpp: SGD,
# smooth_l1_loss, the untyped item(), device boilerplate), built from a renamed copy and run:
# it must converge. With LibTorch installed, the file is also built and run against it as it is.
tapegrad_renamed_program(optim_regression_loop_renamed
  ${CMAKE_CURRENT_SOURCE_DIR}/optim/libtorch_style/regression_loop.cpp
  optim/libtorch_style_regression_loop_renamed)
find_package(Torch QUIET)
if(Torch_FOUND AND NOT TAPEGRAD_SANITIZE)
  add_executable(optim_regression_loop_libtorch optim/libtorch_style/regression_loop.cpp)
  target_link_libraries(optim_regression_loop_libtorch PRIVATE ${TORCH_LIBRARIES})
  add_test(NAME optim/libtorch_style_regression_loop_libtorch
           COMMAND optim_regression_loop_libtorch)
  set_tests_properties(optim/libtorch_style_regression_loop_libtorch PROPERTIES
    ENVIRONMENT "OPENBLAS_NUM_THREADS=1")
endif()
