#!/usr/bin/env bash
# Exports the demo month as FOCUS 1.2 and checks it with the FinOps Foundation's validator,
# focus-validator 2.2.1 from PyPI, installed into a virtual environment on first use
# (FOCUS_VALIDATOR_VENV, default ~/.cache/focus-validator-2.2.1).
#
# The validator's model carries its two InvoiceId nullability rules (InvoiceId-C-004-C "MUST be
# null when not associated with an invoice", InvoiceId-C-005-C "MUST NOT be null when
# associated") with no condition, so a file with an InvoiceId column always fails exactly one
# of them: that one is accepted, any other failure fails the check. It declares Python >= 3.12
# for one f-string only; on Python 3.11 that line is rewritten after install, and pyarrow is
# held below 20 because the validator pins numpy < 2.
# Usage: focus-validate.sh ALLOT_BIN OUT_DIR
set -euo pipefail
allot=${1:?usage: focus-validate.sh ALLOT_BIN OUT_DIR}
out=${2:?usage: focus-validate.sh ALLOT_BIN OUT_DIR}
mkdir -p "$out"
[ -f "$out/demo/store/store.json" ] || "$allot" -q demo --as-of 2026-11-23 --out "$out/demo"
"$allot" -q chargeback --month 2026-09 --mapping "$out/demo/input/org-mapping.csv" \
  --store "$out/demo/store" --cost "$out/demo/input/bedrock-focus.csv" --focus-tag team --as-of 2026-11-23 --out "$out/focus" --format focus
file=$(cd "$out/focus" && pwd)/focus.csv

venv=${FOCUS_VALIDATOR_VENV:-$HOME/.cache/focus-validator-2.2.1}
if [ ! -x "$venv/bin/focus-validator" ] || ! "$venv/bin/python" -c 'import focus_validator.main' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --ignore-requires-python "focus-validator==2.2.1" "pyarrow<20"
  "$venv/bin/python" - <<'PY'
import glob, sys
for p in glob.glob(sys.prefix + "/lib/python3*/site-packages/focus_validator/config_objects/focus_to_duckdb_converter.py"):
    s = open(p).read()
    old = "f\"'{k.replace('\\\"', '\\\"\\\"')}'\" for k in ignore_keys"
    s = s.replace(old, "\"'\" + k.replace('\"', '\"\"') + \"'\" for k in ignore_keys")
    open(p, "w").write(s)
PY
  "$venv/bin/python" -c 'import focus_validator.main' >/dev/null
fi
site=$("$venv/bin/python" -c 'import focus_validator, os; print(os.path.dirname(os.path.dirname(focus_validator.__file__)))')
result=$(cd "$site" && "$venv/bin/focus-validator" --data-file "$file" --data-format csv --validate-version 1.2 --block-download 2>&1) || true
printf '%s\n' "$result" | grep -E '^- |violations=[1-9]' || true
summary=$(printf '%s\n' "$result" | grep -E '^Total: ' | tail -n 1)
if [ -z "$summary" ]; then printf '%s\n' "$result" | tail -n 20; echo "focus-validate: the validator printed no summary"; exit 2; fi
echo "focus-validate: $summary"
failed=$(printf '%s\n' "$result" | grep -Eo '^- [A-Za-z0-9-]+' | sed 's/^- //' | sort -u | grep -Ev '^InvoiceId-C-00[45]-C$' || true)
if [ -n "$failed" ]; then echo "focus-validate: failed: $failed"; exit 1; fi
