#!/usr/bin/env bash
# Chaos and soak run against KubeSim: many WebSocket clients, mutations and faults, then checks
# that every client's view equals the cluster and nothing leaked. See Tests/chaos/README.md.
#   scripts/chaos.sh [--duration SECONDS] [--clients N] [--seed N] [--output DIR] [--faults a,b,...]
# KUBEGALE_BIN chooses the executable (default .build/debug/kubegale).
set -euo pipefail
cd "$(dirname "$0")/.."

duration=120
args=()
while (($#)); do
    case $1 in
        --duration) duration=$2; args+=("$1" "$2"); shift 2 ;;
        --clients | --seed | --output | --faults) args+=("$1" "$2"); shift 2 ;;
        -h | --help) exec .venv/bin/python Tests/chaos/chaos.py --help ;;
        *) echo "chaos.sh: unknown option $1" >&2; exit 2 ;;
    esac
done

bin=${KUBEGALE_BIN:-.build/debug/kubegale}
[[ -x $bin ]] || { echo "chaos.sh: $bin is not an executable (build it, or set KUBEGALE_BIN)" >&2; exit 2; }
python=${KUBEGALE_VENV:-.venv}/bin/python
"$python" -c 'import websockets' 2>/dev/null || { echo "chaos.sh: $python lacks websockets (scripts/test.sh sets up .venv)" >&2; exit 2; }

# The runner ends itself at duration + 120 s; the outer timeout is a backstop for a wedged interpreter.
exec timeout --kill-after=10 $((duration + 150)) "$python" Tests/chaos/chaos.py --binary "$bin" "${args[@]}"
