#!/usr/bin/env bash
# Reads the demo store as another engine would: Python's `deltalake` (delta-rs), installed into
# a virtual environment on first use (DELTA_VENV, default ~/.cache/allot-deltalake-1.6.6).
# Every source is a Delta table it reads whole; the Usage and Cost Analytics API's cost of
# September read through it equals, to the nano-dollar, the same month read by allot from the
# same store (`allot chargeback`'s `exact_usd` column, the cloud bill left out); and the
# table's history shows the versions allot committed. Then the same for a store two daily runs
# built from the fake, the second confirming unchanged days by adding their files again.
# Usage: delta-read.sh ALLOT_BIN OUT_DIR
set -euo pipefail
allot=${1:?usage: delta-read.sh ALLOT_BIN OUT_DIR}
out=${2:?usage: delta-read.sh ALLOT_BIN OUT_DIR}
mkdir -p "$out"
[ -f "$out/demo/store/store.json" ] || "$allot" -q demo --as-of 2026-11-23 --out "$out/demo"
"$allot" -q chargeback --month 2026-09 --mapping "$out/demo/input/org-mapping.csv" \
  --store "$out/demo/store" --as-of 2026-11-23 --out "$out/delta-cb" --format csv

# Two daily runs against the fake: the second confirms the unchanged provisional days (a
# version that adds their files again with what it recorded) and adds the new day.
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
fake() {
  "$allot" fake-api --port 0 --today "$1" --key delta-key --rate 100000 \
    > /dev/null 2> "$out/fake-$1.log" &
  pids+=($!)
  until grep -q 'http://' "$out/fake-$1.log" 2>/dev/null; do sleep 0.1; done
  url=$(grep -o 'http://[0-9.:]*' "$out/fake-$1.log" | head -1)
}
rm -rf "$out/daily"
for day in 2026-11-23 2026-11-24; do
  fake "$day"
  ANTHROPIC_ANALYTICS_API_KEY=delta-key ANTHROPIC_ADMIN_API_KEY=delta-key-admin \
    "$allot" -q sync --store "$out/daily" --base-url "$url" --as-of "$day" --rate 100000 \
    --from 2026-10-01
done
"$allot" -q chargeback --month 2026-10 --mapping "$out/demo/input/org-mapping.csv" \
  --store "$out/daily" --as-of 2026-11-24 --out "$out/delta-daily-cb" --format csv

venv=${DELTA_VENV:-$HOME/.cache/allot-deltalake-1.6.6}
if ! "$venv/bin/python" -c 'import deltalake' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "deltalake==1.6.6" "pyarrow"
fi
"$venv/bin/python" - "$out/demo/store" "$out/delta-cb/chargeback.csv" \
  "$out/daily" "$out/delta-daily-cb/chargeback.csv" <<'PY'
import csv, sys
from decimal import Decimal
from deltalake import DeltaTable

store, chargeback, daily, daily_chargeback = sys.argv[1:5]
tables = ["actor_cost", "activity", "summaries", "projects", "skills", "connectors",
          "claude_code", "claude_code_models"]
for name in tables:
    dt = DeltaTable(f"{store}/facts/{name}")
    t = dt.to_pyarrow_table()
    assert t.num_rows > 0, name
    print(f"delta: {name}: version {dt.version()}, {t.num_rows} rows")
dt = DeltaTable(f"{store}/facts/actor_cost")
sep = dt.to_pyarrow_table(filters=[("month", "=", "2026-09")], columns=["date", "cost_usd"])
delta_sum = sum((v for v in sep.column("cost_usd").to_pylist() if v is not None), Decimal(0))
allot_sum = sum(Decimal(r["exact_usd"]) for r in csv.DictReader(open(chargeback)))
print(f"delta: September per-actor cost read by deltalake {delta_sum}, by allot {allot_sum}")
assert delta_sum == allot_sum, (delta_sum, allot_sum)
ops = [h.get("operation") for h in dt.history()]
assert "WRITE" in ops and "OPTIMIZE" in ops, ops
dt = DeltaTable(f"{daily}/facts/actor_cost")
ops = [h.get("operation") for h in dt.history()]
assert "UPDATE" in ops, ops
oct_ = dt.to_pyarrow_table(filters=[("month", "=", "2026-10")], columns=["cost_usd"])
delta_sum = sum((v for v in oct_.column("cost_usd").to_pylist() if v is not None), Decimal(0))
allot_sum = sum(Decimal(r["exact_usd"]) for r in csv.DictReader(open(daily_chargeback)))
print(f"delta: after a daily run that confirmed days, October read by deltalake {delta_sum}, by allot {allot_sum}")
assert delta_sum == allot_sum, (delta_sum, allot_sum)
print("delta: passed")
PY
