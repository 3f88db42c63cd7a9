#!/usr/bin/env bash
# check.sh SOURCE_DIR BUILD_DIR WORK_DIR: installs the built library into WORK_DIR/prefix and
# builds tests/consumer against it with find_package, then again with add_subdirectory of the
# source tree, checking that tapegrad's tests, examples and benchmarks stay out of that build.
set -euo pipefail
src=$1 build=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
echo "--- find_package after cmake --install"
cmake --install "$build" --prefix "$work/prefix" > /dev/null
cmake -S "$src/tests/consumer" -B "$work/installed" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$work/prefix" > /dev/null
cmake --build "$work/installed" > /dev/null
"$work/installed/app"
echo "--- add_subdirectory"
cmake -S "$src/tests/consumer" -B "$work/subdir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DTAPEGRAD_SOURCE_DIR="$src" > /dev/null
if cmake --build "$work/subdir" --target help | grep -E "test_autograd|fashion_mnist|bench_"; then
  echo "add_subdirectory built tapegrad's own tests, examples or benchmarks" >&2
  exit 1
fi
cmake --build "$work/subdir" -j2 --target app > /dev/null
"$work/subdir/app"
rm -rf "$work"
