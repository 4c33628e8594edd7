#!/usr/bin/env bash
# The units in deploy/ as systemd reads them (`systemd-analyze verify`), with ExecStart pointed
# at the built binary (verify checks it exists); and the cron line's exit handling: 0 and 3
# succeed, 2 and 130 fail.
# Usage: deploy-verify.sh ALLOT_BIN OUT_DIR
set -euo pipefail
allot=${1:?usage: deploy-verify.sh ALLOT_BIN OUT_DIR}
out=${2:?usage: deploy-verify.sh ALLOT_BIN OUT_DIR}
here=$(cd "$(dirname "$0")/../.." && pwd)
units="$out/deploy"
rm -rf "$units" && mkdir -p "$units"
command -v systemd-analyze >/dev/null || { apt-get install -y -q systemd >/dev/null 2>&1 || true; }
for f in "$here"/deploy/*.service "$here"/deploy/*.timer; do
  grep -q '^ExecStart=/usr/local/bin/allot \|^Unit=\|^OnCalendar=' "$f" || { echo "deploy: $f starts no /usr/local/bin/allot"; exit 1; }
  sed "s#/usr/local/bin/allot#$allot#g" "$f" > "$units/$(basename "$f")"
done
log="$units/verify.log"
if ! (cd "$units" && SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no ./*.service ./*.timer) >"$log" 2>&1; then
  cat "$log"; echo "deploy: systemd-analyze verify failed"; exit 1
fi
# Anything verify says about our own units is a finding (it also prints notes on the host's).
if grep -E 'allot-(daily|serve)' "$log"; then echo "deploy: systemd-analyze verify has findings"; exit 1; fi
grep -q 'OnCalendar=\*-\*-\* 06:15:00 UTC' "$here/deploy/allot-daily.timer"
grep -q '^Persistent=true' "$here/deploy/allot-daily.timer"
# The cron line's exit handling, with the commands replaced by ones that exit as told.
line=$(grep -E '^[0-9]' "$here/deploy/allot.cron" | sed -E 's/^([^ ]+ ){5}allot //')
for case in "0 0 ok" "0 3 ok" "0 2 fail" "2 0 fail" "130 0 fail" "0 130 fail"; do
  set -- $case
  sync_rc=$1 alerts_rc=$2 want=$3
  got=$(cd "$out" && env -i PATH="$PATH" bash -c "
    allot() { case \"\$2\" in sync) return $sync_rc;; alerts) return $alerts_rc;; esac; }
    cd() { :; }
    $line" >/dev/null 2>&1 && echo ok || echo fail)
  [ "$got" = "$want" ] || { echo "deploy: cron with sync $sync_rc, alerts $alerts_rc: $got, wanted $want"; exit 1; }
done
# The settings file the units and the cron line name: allot reads it (paths resolved against
# /etc/allot; the files are not there on this machine, which `allot config` only notes).
settings=$(ALLOT_CONFIG="$here/deploy/allot.toml" "$allot" config)
grep -q '^store = "/var/lib/allot/store"' <<<"$settings" || { echo "deploy: allot.toml not read"; echo "$settings"; exit 1; }
for f in allot-daily.service allot-serve.service allot.cron; do
  grep -q 'ALLOT_CONFIG=/etc/allot/allot.toml' "$here/deploy/$f" || { echo "deploy: $f does not name /etc/allot/allot.toml"; exit 1; }
done
echo "deploy: passed (systemd-analyze verify on $(ls "$units" | grep -c -E '\.(service|timer)$') units, cron exit handling 6 cases)"
