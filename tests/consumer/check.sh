#!/usr/bin/env bash
# check.sh SOURCE_DIR BUILD_DIR WORK_DIR: every way a project can use tapegrad, each built
# and run:
#   1. `cmake --install` into WORK_DIR/prefix, then tests/consumer with find_package and with
#      pkg-config, and examples/gradcheck_project (GoogleTest and doctest cases, including a
#      deliberately wrong backward that must fail with gradcheck's report) with its CTest;
#   2. the libtapegrad-dev package from `cpack -G DEB`: its fields and files checked, unpacked
#      with dpkg-deb into a scratch root and used from there with find_package and pkg-config;
#      in CI (CI=true, as root) also installed with `dpkg -i`, used from /usr, and removed;
#   3. add_subdirectory of the source tree, checking that tapegrad's tests, examples and
#      benchmarks stay out of that build.
#   With MPI (mpirun on PATH), each way also builds app_distributed against
#   tapegrad::distributed (find_package, pkg-config tapegrad-distributed, add_subdirectory)
#   and runs it on 2 processes.
set -euo pipefail
src=$1 build=$2 work=$3
mpi=false
command -v mpirun > /dev/null && mpi=true
mpirun2() {  # as the CTests do: oversubscribed, and as root with --allow-run-as-root
  local root=()
  [ "$(id -u)" = 0 ] && root=(--allow-run-as-root)
  OPENBLAS_NUM_THREADS=1 mpirun -np 2 --oversubscribe "${root[@]}" "$@"
}
# distributed_app BINARY: run it on 2 processes when there is MPI
distributed_app() {
  "$mpi" || return 0
  [ -x "$1" ] || { echo "MPI is here, but $1 was not built (no tapegrad::distributed?)" >&2; exit 1; }
  mpirun2 "$1"
}
rm -rf "$work" && mkdir -p "$work"
configure() {  # configure SOURCE BINARY [cmake args...]
  local from=$1 to=$2
  shift 2
  cmake -S "$from" -B "$to" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" > "$to.log" 2>&1 ||
    { cat "$to.log"; exit 1; }
}
# uses_prefix NAME PREFIX: the consumer against tapegrad under PREFIX, with find_package and
# with pkg-config (PKG_CONFIG_PATH pointing at PREFIX/lib/pkgconfig, or the default path when
# PREFIX is /usr)
uses_prefix() {
  local name=$1 prefix=$2 flags
  echo "--- $name: find_package(tapegrad)"
  configure "$src/tests/consumer" "$work/$name-cmake" -DCMAKE_PREFIX_PATH="$prefix"
  cmake --build "$work/$name-cmake" > /dev/null
  "$work/$name-cmake/app"
  distributed_app "$work/$name-cmake/app_distributed"
  echo "--- $name: pkg-config tapegrad"
  if [ "$prefix" = /usr ]; then
    flags=$(pkg-config --cflags --libs tapegrad)
  else
    flags=$(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs tapegrad)
  fi
  case "$flags" in *"-I$prefix/include/tapegrad"* | *"-I$prefix/lib/pkgconfig/../../include/tapegrad"*) ;;
    *) echo "pkg-config gave '$flags', which does not point into $prefix" >&2; exit 1 ;;
  esac
  # shellcheck disable=SC2086  # the flags are words
  g++ -std=c++17 -O1 "$src/tests/consumer/app.cpp" $flags -o "$work/$name-pkgconfig-app"
  "$work/$name-pkgconfig-app"
  if "$mpi"; then
    echo "--- $name: pkg-config tapegrad-distributed"
    # shellcheck disable=SC2046  # the flags are words
    g++ -std=c++17 -O1 "$src/tests/consumer/app_distributed.cpp" \
      $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs tapegrad-distributed) \
      -o "$work/$name-pkgconfig-app_distributed"
    distributed_app "$work/$name-pkgconfig-app_distributed"
  fi
}

echo "=== 1. cmake --install"
cmake --install "$build" --prefix "$work/prefix" > /dev/null
uses_prefix installed "$work/prefix"
echo "--- installed: examples/gradcheck_project (GoogleTest and doctest, find_package)"
configure "$src/examples/gradcheck_project" "$work/gradcheck_project" \
  -DCMAKE_PREFIX_PATH="$work/prefix"
cmake --build "$work/gradcheck_project" -j2 > /dev/null
ctest --test-dir "$work/gradcheck_project" --output-on-failure
ran=$(ctest --test-dir "$work/gradcheck_project" -N | sed -n 's/^Total Tests: //p')
[ "$ran" = 4 ] || { echo "gradcheck_project has $ran tests, expected 4" >&2; exit 1; }

echo "=== 2. cpack -G DEB"
(cd "$build" && cpack -G DEB -B "$work/deb" > "$work/cpack.log") || { cat "$work/cpack.log"; exit 1; }
deb=$(ls "$work"/deb/libtapegrad-dev_*.deb)
echo "built $(basename "$deb")"
[ "$(dpkg-deb -f "$deb" Package)" = libtapegrad-dev ]
dpkg-deb -f "$deb" Depends | grep -q libopenblas-dev
contents=$(dpkg-deb -c "$deb")
for f in ./usr/include/tapegrad/tapegrad.hpp ./usr/include/tapegrad/autograd/gradcheck_gtest.hpp \
         ./usr/lib/libtapegrad.a ./usr/lib/cmake/tapegrad/tapegradConfig.cmake \
         ./usr/lib/pkgconfig/tapegrad.pc ./usr/include/tapegrad/distributed/process_group.hpp; do
  grep -q " $f\$" <<< "$contents" || { echo "the package lacks $f" >&2; exit 1; }
done
if "$mpi"; then
  grep -q " ./usr/lib/libtapegrad_distributed.a\$" <<< "$contents" ||
    { echo "the package lacks libtapegrad_distributed.a" >&2; exit 1; }
fi
dpkg-deb -x "$deb" "$work/root"
uses_prefix unpacked "$work/root/usr"
if [ "${CI:-}" = true ] && [ "$(id -u)" = 0 ]; then
  echo "--- CI: dpkg -i, use it from /usr, dpkg -r"
  if dpkg-query -W -f='${Status}' libtapegrad-dev 2> /dev/null | grep -q "install ok installed"; then
    echo "libtapegrad-dev is installed already; not touching it" >&2
    exit 1
  fi
  trap 'dpkg -r libtapegrad-dev > /dev/null 2>&1 || true' EXIT
  dpkg -i "$deb" > /dev/null
  uses_prefix system /usr
  dpkg -r libtapegrad-dev > /dev/null
  trap - EXIT
fi

echo "=== 3. add_subdirectory"
configure "$src/tests/consumer" "$work/subdir" -DTAPEGRAD_SOURCE_DIR="$src"
if cmake --build "$work/subdir" --target help | grep -E "test_autograd|fashion_mnist|bench_"; then
  echo "add_subdirectory built tapegrad's own tests, examples or benchmarks" >&2
  exit 1
fi
cmake --build "$work/subdir" -j2 --target app > /dev/null
"$work/subdir/app"
if "$mpi"; then
  cmake --build "$work/subdir" -j2 --target app_distributed > /dev/null
  distributed_app "$work/subdir/app_distributed"
fi
rm -rf "$work"
