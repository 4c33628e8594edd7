#!/usr/bin/env bash
# Starts `allot serve` on the demo store and walks it in headless Chromium (serve-check.mjs):
# overview down to a person, screenshots of each page, no console error, nothing fetched from
# elsewhere. Installs Debian's chromium and playwright-core (into ~/.cache/allot-node) on first use.
# Usage: serve-check.sh ALLOT_BIN OUT_DIR
set -euo pipefail
allot=${1:?usage: serve-check.sh ALLOT_BIN OUT_DIR}
out=${2:?usage: serve-check.sh ALLOT_BIN OUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=browser-setup.sh
. "$here/browser-setup.sh"
mkdir -p "$out/serve"
[ -f "$out/demo/store/store.json" ] || "$allot" -q demo --as-of 2026-11-23 --out "$out/demo"
"$allot" -q serve --store "$out/demo/store" --cost "$out/demo/input/bedrock-focus.csv" --focus-tag team --mapping "$out/demo/input/org-mapping.csv" \
  --budgets "$out/demo/input/budgets.csv" --as-of 2026-11-23 --port 0 >"$out/serve/url" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do [ -s "$out/serve/url" ] && break; sleep 0.2; done
url=$(head -n1 "$out/serve/url")
[ -n "$url" ] || { echo "serve-check: allot serve printed no URL"; exit 1; }
ALLOT_NODE="$node_home" node "$here/serve-check.mjs" "${url%/}" "$out/serve"
