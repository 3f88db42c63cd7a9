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
