# The tape page and the tools around gradcheck.
tapegrad_test_suite(tooling
  tooling/tape_html_test.cpp
)

# The tape page in a real browser: Debian's headless Chromium, driven over the DevTools
# protocol by a small Node.js script with no dependencies, clicks through every step and checks
# that the gradients the page ends on are x.grad(). Skipped (exit 77) where Chromium or Node.js
# is missing, except in CI (CI=true), where scripts/install_deps.sh has installed both.
add_executable(tape_demo tooling/tape_demo.cpp)
target_link_libraries(tape_demo PRIVATE tapegrad::tapegrad)
if(NOT TAPEGRAD_SANITIZE)
  add_test(NAME tooling/tape_html_in_chromium
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/tooling/tape_html_browser.sh
                   $<TARGET_FILE:tape_demo> ${CMAKE_CURRENT_BINARY_DIR}/tape_html_browser)
  set_tests_properties(tooling/tape_html_in_chromium PROPERTIES
                       SKIP_RETURN_CODE 77 TIMEOUT 300 ENVIRONMENT "OPENBLAS_NUM_THREADS=1")
endif()
