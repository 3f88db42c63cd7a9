#!/usr/bin/env bash
# Installs the Debian packages tapegrad needs that are missing (plus any named as arguments).
# A no-op, without touching the network, when everything is already installed.
#   build:    cmake ninja-build g++ libxtensor-dev libxsimd-dev (XSIMD's vector math for
#             xtensor: only recommended by libxtensor-dev) libxtensor-blas-dev libopenblas-dev
#             doctest-dev zlib1g-dev
#   pictures: gnuplot-nox (History::plot's training curves) and graphviz (dot, which draws
#             the autograd graph: autograd::render, the inspect_graph example)
#   distributed: libopenmpi-dev openmpi-bin (Open MPI, for tapegrad::distributed and its
#             mpirun tests)
#   bfloat16: libdnnl-dev (oneDNN: autocast's bfloat16 matrix products; without it autocast is
#             a no-op)
#   consumer test: libgtest-dev (the GoogleTest gradcheck assertions in
#             examples/gradcheck_project) and pkg-config (building through tapegrad.pc)
set -euo pipefail
packages=(cmake ninja-build g++ libxtensor-dev libxsimd-dev libxtensor-blas-dev libopenblas-dev
          doctest-dev zlib1g-dev libdnnl-dev gnuplot-nox graphviz libgtest-dev pkg-config
          libopenmpi-dev openmpi-bin "$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -ne 0 ] && sudo=sudo
echo "installing: ${missing[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
