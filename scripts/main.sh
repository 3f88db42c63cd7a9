#!/usr/bin/env bash
# The main job: installs what is missing (with the Fashion-MNIST data package, gnuplot and
# Graphviz), builds (Release), trains the Fashion-MNIST classifier, and ends by listing the
# pictures it drew. Arguments go to the example (e.g. --epochs 3, --out DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh dataset-fashion-mnist
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build -j2 --target fashion_mnist
marker=build/.main_job_started
touch "$marker"
status=0
./build/examples/fashion_mnist "$@" || status=$?
# the output folder: fashion_mnist_out unless --out says otherwise
out=fashion_mnist_out
args=("$@")
for ((i = 0; i + 1 < ${#args[@]}; ++i)); do
  [ "${args[i]}" = "--out" ] && out=${args[i + 1]}
done
pictures=()
for f in "$out"/curves.svg "$out"/confusion_matrix.svg; do
  [ -s "$f" ] && [ "$f" -nt "$marker" ] && pictures+=("$(cd "$(dirname "$f")" && pwd)/$(basename "$f")")
done
if [ ${#pictures[@]} -gt 0 ]; then
  echo "pictures written:"
  printf '  %s\n' "${pictures[@]}"
else
  echo "no pictures written (see the messages above)"
fi
exit $status
