#!/usr/bin/env bash
# README's install-and-run recipe with an installed binary: `cargo install --path crates/allot`
# (the dev profile, `--debug`, so CI reuses the build the tests made; the release profile is the
# same code, only optimised further), then in an empty folder: the demo; and against
# `allot fake-api --events`: `allot init --fake`, `allot sync && allot alerts && allot serve`
# with no other flag, the dashboard answering /healthz.
# Usage: install.sh OUT_DIR
set -euo pipefail
out=${1:?usage: install.sh OUT_DIR}
here=$(cd "$(dirname "$0")/../.." && pwd)
root="$out/install"
rm -rf "$root" && mkdir -p "$root"
(cd "$here" && cargo install --quiet --path crates/allot --debug --locked --root "$root")
allot="$root/bin/allot"
work="$out/installed" && rm -rf "$work" && mkdir -p "$work"
cd "$work"
unset ALLOT_CONFIG ANTHROPIC_ANALYTICS_API_KEY ANTHROPIC_ADMIN_API_KEY
"$allot" -q demo --as-of 2026-11-23
[ -s reports/demo/chargeback.csv ] || { echo "install: the installed binary's demo wrote no chargeback"; exit 1; }

fake_log="$work/fake.log"
"$allot" fake-api --port 0 --events --rate 100000 2>"$fake_log" &
fake=$!
serve=""
trap 'kill $fake ${serve:-} 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q 'listening on' "$fake_log" && break; sleep 0.1; done
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$fake_log" | head -1)
mkdir trial && cd trial
"$allot" init --fake --base-url "$url"
# The fake answers at once: lift the sync's own pace, and let the dashboard take any free port.
sed -i 's/^# rate = 60/rate = 1000000/; s/^# port = 8080/port = 0/' allot.toml
"$allot" -q sync
rc=0; "$allot" -q alerts || rc=$?
[ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || { echo "install: allot alerts exited $rc"; exit 1; }
grep -q '^budget,' reports/alerts/alerts.csv || { echo "install: the planted ramp-up raised no budget alert"; cat reports/alerts/alerts.csv; exit 1; }
"$allot" serve >serve.out 2>serve.err &
serve=$!
for _ in $(seq 100); do grep -q '^http' serve.out && break; sleep 0.1; done
base=$(grep -o 'http://127.0.0.1:[0-9]*' serve.out | head -1)
[ -n "$base" ] || { echo "install: allot serve printed no URL"; cat serve.err; exit 1; }
curl -fsS "$base/healthz" >/dev/null || { echo "install: /healthz did not answer 200"; exit 1; }
curl -fsS "$base/" | grep -q 'CC-1030' || { echo "install: the overview does not show the teams"; exit 1; }
echo "install: passed (cargo install, the demo, init --fake, sync, alerts, serve with no other flag)"
