#!/usr/bin/env bash
# Exports the demo month as FOCUS 1.2 and checks it with the FinOps Foundation's validator
# (shared/tools/focus-validate: focus-validator 2.2.1, installed into a venv on first use).
# Usage: focus-validate.sh ALLOT_BIN OUT_DIR
set -euo pipefail
allot=${1:?usage: focus-validate.sh ALLOT_BIN OUT_DIR}
out=${2:?usage: focus-validate.sh ALLOT_BIN OUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
validator=${FOCUS_VALIDATE:-$here/../../../shared/tools/focus-validate}
mkdir -p "$out"
[ -f "$out/demo/store/state.json" ] || "$allot" -q demo --as-of 2026-11-23 --out "$out/demo"
"$allot" -q chargeback --month 2026-09 --mapping "$out/demo/input/org-mapping.csv" \
  --store "$out/demo/store" --as-of 2026-11-23 --out "$out/focus" --format focus
"$validator" "$out/focus/focus.csv"
