# The data-parallel example runs under mpirun with 2 processes (a smoke run on a tenth of the
# data); built only with tapegrad::distributed (TAPEGRAD_MPI).
if(TARGET tapegrad_distributed)
  add_executable(ddp_fashion_mnist ddp_fashion_mnist.cpp)
  target_link_libraries(ddp_fashion_mnist PRIVATE tapegrad::distributed)
  target_include_directories(ddp_fashion_mnist PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_options(ddp_fashion_mnist PRIVATE -Wall -Wextra)
  add_test(NAME "example: ddp_fashion_mnist"
           COMMAND ${TAPEGRAD_MPIRUN} $<TARGET_FILE:ddp_fashion_mnist> --epochs 1 --limit 6000
                   --min-accuracy 0.70)
  set_tests_properties("example: ddp_fashion_mnist" PROPERTIES
    ENVIRONMENT "OPENBLAS_NUM_THREADS=1;TAPEGRAD_DISTRIBUTED_TIMEOUT=120" TIMEOUT 300
    SKIP_RETURN_CODE 77)
endif()
