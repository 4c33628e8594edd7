#!/usr/bin/env bash
# Runs every cargo-fuzz target of fuzz/ for a bounded time (default 20 s each) on a scratch
# copy of its committed corpus, and prints how many inputs each ran. A crash, a hang (10 s) or
# a broken property stops it with the target's name; libFuzzer leaves the input under
# fuzz/artifacts/TARGET/. Needs a nightly toolchain and cargo-fuzz (.ci/run installs it).
# Usage: fuzz.sh [SECONDS]
set -euo pipefail
seconds=${1:-20}
cd "$(dirname "$0")/../../fuzz"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/allot-fuzz-target}"
cargo +nightly fuzz build -s none
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for t in $(cargo +nightly fuzz list); do
  mkdir -p "$scratch/$t"
  log="$scratch/$t.log"
  if ! cargo +nightly fuzz run -s none "$t" "$scratch/$t" "corpus/$t" -- \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 >"$log" 2>&1; then
    tail -40 "$log"
    echo "fuzz: $t FAILED (input saved under fuzz/artifacts/$t/)"
    exit 1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo "?")
  echo "fuzz: $t ran $runs inputs in ${seconds} s (coverage $cov), no crash, no hang"
done
