#!/usr/bin/env bash
# Renders report pages in headless Chromium as a person would see them, at 1280 px and at a
# phone's 390 px: the charts are there, nothing spills past the page's edge, no number is cut
# in two, no console error, no request leaves the machine, and the screenshots are not blank.
# Installs Debian's chromium and playwright-core (into ~/.cache/allot-node) on first use.
# Usage: render-html.sh ALLOT_BIN OUT_DIR
set -euo pipefail
allot=${1:?usage: render-html.sh ALLOT_BIN OUT_DIR}
out=${2:?usage: render-html.sh ALLOT_BIN OUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=browser-setup.sh
. "$here/browser-setup.sh"
mkdir -p "$out"
[ -f "$out/demo/store/store.json" ] || "$allot" -q demo --as-of 2026-11-23 --out "$out/demo"
"$allot" -q chargeback --month 2026-09 --mapping "$out/demo/input/org-mapping.csv" \
  --store "$out/demo/store" --cost "$out/demo/input/bedrock-focus.csv" --focus-tag team --as-of 2026-11-23 --out "$out/html" --format html,xlsx
"$allot" -q trend --from 2026-08-01 --to 2026-11-22 --per week --mapping "$out/demo/input/org-mapping.csv" \
  --store "$out/demo/store" --cost "$out/demo/input/bedrock-focus.csv" --focus-tag team --as-of 2026-11-23 --out "$out/html" --format html
# The daily run's page (exit 3: the demo's planted events raise alerts) and the adoption page.
rc=0
"$allot" -q alerts --mapping "$out/demo/input/org-mapping.csv" --store "$out/demo/store" --cost "$out/demo/input/bedrock-focus.csv" --focus-tag team \
  --budgets "$out/demo/input/budgets.csv" --as-of 2026-11-23 --out "$out/html" --format html || rc=$?
[ "$rc" -eq 3 ] || { echo "render-html: allot alerts exited $rc, expected 3"; exit 1; }
"$allot" -q adoption --month 2026-09 --mapping "$out/demo/input/org-mapping.csv" \
  --store "$out/demo/store" --cost "$out/demo/input/bedrock-focus.csv" --focus-tag team --as-of 2026-11-23 --out "$out/html" --format html
page="$out/html/chargeback.html"
charts=$(grep -o '<svg class="chart"' "$page" | wc -l)
[ "$charts" -ge 5 ] || { echo "render-html: expected 5 charts in $page, found $charts"; exit 1; }
for p in "$page" "$out/demo/chargeback.html" "$out/html/trend.html" "$out/html/alerts.html" "$out/html/adoption.html"; do
  if grep -Eq '<script|https?://' "$p"; then echo "render-html: $p is not self-contained"; exit 1; fi
done
ALLOT_NODE="$node_home" node "$here/page-check.mjs" "$page" "$out/demo/chargeback.html" "$out/html/trend.html" \
  "$out/html/alerts.html" "$out/html/adoption.html"
python3 - "$out/html/chargeback-desktop.png" <<'PY'
import sys, zlib, struct
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, w, h = 8, b"", 0, 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw = zlib.decompress(idat)
# Count rows of the picture that are not all one colour: a blank page has none.
bpp = {2: 3, 6: 4}.get(ctype, 3)
stride = w * bpp + 1
busy = sum(1 for r in range(h) if len(set(raw[r * stride + 1:(r + 1) * stride])) > 2)
print(f"render-html: {w}x{h} screenshot, {busy} rows with content")
assert busy > h // 10, "the rendered page looks empty"
PY
echo "render-html: $charts charts on the chargeback page; every page checked at 1280 px and 390 px"
