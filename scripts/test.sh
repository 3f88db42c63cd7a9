#!/usr/bin/env bash
# The test command: installs what is missing, builds (Release), and runs every test with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DTAPEGRAD_BUILD_BENCH=OFF
cmake --build build -j2
ctest --test-dir build -j2 --output-on-failure
