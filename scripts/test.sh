#!/usr/bin/env bash
# The test command: installs what is missing (with the Fashion-MNIST data, so the real-data
# tests run rather than skip), builds (Release), and runs every test with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh dataset-fashion-mnist  # the real-data tests and the main example's smoke run
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DTAPEGRAD_BUILD_BENCH=OFF
cmake --build build -j2
ctest --test-dir build -j2 --output-on-failure
