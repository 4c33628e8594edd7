#!/usr/bin/env bash
# Renders the demo's HTML report in headless Chromium, as a person would see it, and checks
# that the page has its charts: the SVG charts are in the file, and the screenshot is not a
# blank page. Usage: render-html.sh ALLOT_BIN OUT_DIR
set -euo pipefail
allot=${1:?usage: render-html.sh ALLOT_BIN OUT_DIR}
out=${2:?usage: render-html.sh ALLOT_BIN OUT_DIR}
if ! command -v chromium >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
mkdir -p "$out"
"$allot" -q demo --as-of 2026-11-23 --out "$out/demo"
"$allot" -q chargeback --month 2026-09 --mapping "$out/demo/input/org-mapping.csv" \
  --store "$out/demo/store" --as-of 2026-11-23 --out "$out/html" --format html,xlsx
page="$out/html/chargeback.html"
charts=$(grep -o '<svg class="chart"' "$page" | wc -l)
[ "$charts" -ge 5 ] || { echo "render-html: expected 5 charts in $page, found $charts"; exit 1; }
if grep -Eq '<script|https?://' "$page"; then echo "render-html: $page is not self-contained"; exit 1; fi
png="$out/html/chargeback.png"
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --user-data-dir="$(mktemp -d)" --hide-scrollbars \
  --window-size=1280,2400 --screenshot="$png" "file://$(cd "$(dirname "$page")" && pwd)/$(basename "$page")" >/dev/null 2>&1
python3 - "$png" <<'PY'
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
echo "render-html: $charts charts, screenshot $png"
