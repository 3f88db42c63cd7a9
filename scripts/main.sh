#!/usr/bin/env bash
# The main job: installs what is missing (with the Fashion-MNIST data package), builds
# (Release), and trains the Fashion-MNIST classifier. Arguments go to the example.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh dataset-fashion-mnist
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build -j2 --target fashion_mnist
./build/examples/fashion_mnist "$@"
