# The distributed tests run under mpirun with 2 processes (oversubscribed: CI machines may have
# fewer cores; as root, Open MPI needs --allow-run-as-root). Each CTest is one doctest suite run
# on both ranks; any failing rank makes mpirun exit non-zero. TAPEGRAD_DISTRIBUTED_TIMEOUT bounds
# every wait, so a broken test fails instead of hanging.
if(NOT TARGET tapegrad_distributed)
  return()
endif()
set(tapegrad_mpirun ${TAPEGRAD_MPIRUN})  # distributed/CMakeLists.txt
# LeakSanitizer: Open MPI keeps allocations it never frees, many of them in its plugins, which it
# unloads before exit, so LeakSanitizer sees them as "<unknown module>" and no suppression by
# library name can match them. Under sanitizers these tests therefore run with leak detection
# off (address and undefined-behaviour checks stay on); the rest of the suite checks tapegrad's
# own code for leaks.
set(tapegrad_mpi_env "OPENBLAS_NUM_THREADS=1" "TAPEGRAD_DISTRIBUTED_TIMEOUT=60"
    "LSAN_OPTIONS=suppressions=${CMAKE_CURRENT_SOURCE_DIR}/distributed/lsan_mpi.supp")
if(TAPEGRAD_SANITIZE)
  list(APPEND tapegrad_mpi_env "ASAN_OPTIONS=detect_leaks=0:abort_on_error=1")
endif()

add_executable(test_distributed $<TARGET_OBJECTS:tapegrad_test_main>
  distributed/test_process_group.cpp
  distributed/test_ddp.cpp
  distributed/test_fit.cpp
  distributed/test_samplers.cpp)
target_link_libraries(test_distributed PRIVATE tapegrad::distributed doctest::doctest)
target_include_directories(test_distributed PRIVATE ${PROJECT_SOURCE_DIR})
target_compile_options(test_distributed PRIVATE -Wall -Wextra)
target_compile_definitions(test_distributed PRIVATE
  TAPEGRAD_FIT_DIR="${CMAKE_CURRENT_BINARY_DIR}/distributed_fit")

foreach(suite collectives ddp samplers fit)
  add_test(NAME distributed_${suite}
           COMMAND ${tapegrad_mpirun} $<TARGET_FILE:test_distributed> -ts=distributed/${suite})
  set_tests_properties(distributed_${suite} PROPERTIES ENVIRONMENT "${tapegrad_mpi_env}" TIMEOUT 300)
endforeach()

# The checkpoint rank 0 wrote in distributed_fit, loaded by one process.
list(TRANSFORM tapegrad_mpirun REPLACE "^2$" "1" OUTPUT_VARIABLE tapegrad_mpirun_1)
add_test(NAME distributed_fit_load
         COMMAND ${tapegrad_mpirun_1} $<TARGET_FILE:test_distributed> -ts=distributed/fit_load)
set_tests_properties(distributed_fit PROPERTIES FIXTURES_SETUP distributed_fit_checkpoint)
set_tests_properties(distributed_fit_load PROPERTIES ENVIRONMENT "${tapegrad_mpi_env}" TIMEOUT 300
                     FIXTURES_REQUIRED distributed_fit_checkpoint)

# A rank that dies mid-training (SIGKILL) must end the whole job non-zero within 60 s.
add_executable(distributed_failure_prog distributed/failure_prog.cpp)
target_link_libraries(distributed_failure_prog PRIVATE tapegrad::distributed)
target_include_directories(distributed_failure_prog PRIVATE ${PROJECT_SOURCE_DIR})
foreach(mode kill throw)
  add_test(NAME distributed_failure_${mode}
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/distributed/expect_failure.sh 60 ${mode}
                   ${tapegrad_mpirun} $<TARGET_FILE:distributed_failure_prog> ${mode})
  set_tests_properties(distributed_failure_${mode} PROPERTIES ENVIRONMENT "${tapegrad_mpi_env}" TIMEOUT 120)
endforeach()
