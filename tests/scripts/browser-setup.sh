# Sourced by the browser checks: installs Debian's chromium and playwright-core (into
# ALLOT_NODE, default ~/.cache/allot-node) on first use, and sets `node_home`.
if ! command -v chromium >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
node_home=${ALLOT_NODE:-$HOME/.cache/allot-node}
if [ ! -d "$node_home/node_modules/playwright-core" ]; then
  mkdir -p "$node_home"
  (cd "$node_home" && npm install -q --no-audit --no-fund playwright-core@1.64 >/dev/null)
fi
