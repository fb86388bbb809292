#!/usr/bin/env bash
# Starts the gateway on its embedded defaults (SQLite in ./data, the KubeSim demo cluster) with
# the web console at http://127.0.0.1:8080/, installing what the console needs first (Debian's
# node-xterm for its terminal). Arguments go to `kubegale serve`, e.g. `scripts/serve.sh --port 9090`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/common.sh
source scripts/lib/tools.sh

if command -v apt-get >/dev/null; then
    ensure_debian_packages node-xterm || warn "could not install node-xterm: the console's terminal will be unavailable"
fi
# --print-admin-token: a newcomer gets a token to sign in with (serve prints none unless asked).
exec swift run kubegale serve --print-admin-token "$@"
