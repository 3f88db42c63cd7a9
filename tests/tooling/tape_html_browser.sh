#!/usr/bin/env bash
# tape_html_browser.sh TAPE_DEMO WORK_DIR: writes the demo's tape page and the gradients
# backward() gives, then has tape_html_browser.mjs click through the page in headless Chromium
# and compare. Exit 77 (skipped) where Chromium or Node.js is missing, unless CI=true.
set -euo pipefail
demo=$1 work=$2
here=$(cd "$(dirname "$0")" && pwd)
chromium=${CHROMIUM:-chromium}
if ! command -v node > /dev/null || ! command -v "$chromium" > /dev/null; then
  if [ "${CI:-}" = true ]; then
    echo "Chromium or Node.js is missing; scripts/install_deps.sh chromium nodejs installs them" >&2
    exit 1
  fi
  echo "skipped: needs Chromium and Node.js (apt-get install chromium nodejs)"
  exit 77
fi
rm -rf "$work" && mkdir -p "$work"
"$demo" "$work/tape.html" "$work/expected.json"
node "$here/tape_html_browser.mjs" "$work/tape.html" "$work/expected.json" "$work/tape_html.png"
