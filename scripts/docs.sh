#!/usr/bin/env bash
# Builds the API reference with Doxygen (installing Debian's doxygen if it is missing) into
# build/docs/html (or the directory given as the first argument), from the public headers, and
# fails on any Doxygen warning. Open build/docs/html/index.html.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-build/docs}
command -v doxygen > /dev/null || bash scripts/install_deps.sh doxygen
mkdir -p "$out"
version=$(sed -n 's/^project(tapegrad VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
log="$out/doxygen-warnings.log"
if ! TAPEGRAD_VERSION="$version" TAPEGRAD_DOCS_OUT="$out" doxygen docs/Doxyfile 2> "$log"; then
  cat "$log" >&2
  echo "docs.sh: Doxygen warned (above); fix the doc comments it names" >&2
  exit 1
fi
if [ -s "$log" ]; then  # a warning that did not fail the run is still a warning
  cat "$log" >&2
  exit 1
fi
echo "docs.sh: API reference in $out/html/index.html (no warnings)"
