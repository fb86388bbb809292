# Shared helpers for the scripts in scripts/. Source it; it defines functions only.
# shellcheck shell=bash

# Paths every script agrees on (relative to the repository root, which callers cd into).
KUBEGALE_TOOLS_DIR=${KUBEGALE_TOOLS_DIR:-.build-tools}
KUBEGALE_VENV=${KUBEGALE_VENV:-.venv}
KUBEGALE_OUTPUT=${KUBEGALE_OUTPUT:-.test-output}
KUBEGALE_BIN=${KUBEGALE_BIN:-.build/debug/kubegale}

log() { printf '%s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

# section TITLE: prints a header that stands out in CI logs.
section() {
    printf '\n==== %s ====\n' "$1"
}

# Phase bookkeeping: `run_phase NAME COMMAND...` runs COMMAND in a subshell with `set -e` in
# force, prints its duration and records NAME, result and seconds for print_phase_summary;
# PHASE_STATUS holds COMMAND's exit status. It always returns 0: call it as a plain command,
# never in `if`, `||` or `&&` (bash ignores `set -e` inside anything run in such a context,
# so a failing step would not stop the phase). Variables a phase sets stay in its subshell;
# a phase that starts servers stops them itself (see start_server).
PHASE_NAMES=()
PHASE_RESULTS=()
PHASE_SECONDS=()
PHASE_STATUS=0

run_phase() {
    local name=$1
    shift
    section "$name"
    local start=$SECONDS
    set +e
    (
        set -e
        "$@"
    )
    PHASE_STATUS=$?
    set -e
    local took=$((SECONDS - start))
    PHASE_NAMES+=("$name")
    PHASE_SECONDS+=("$took")
    if ((PHASE_STATUS == 0)); then
        PHASE_RESULTS+=("ok")
        log "---- $name: ok in $(format_seconds "$took")"
    else
        PHASE_RESULTS+=("FAILED (exit $PHASE_STATUS)")
        log "---- $name: FAILED (exit $PHASE_STATUS) in $(format_seconds "$took")"
    fi
}

print_phase_summary() {
    section "Summary"
    local i
    for i in "${!PHASE_NAMES[@]}"; do
        printf '  %-28s %-18s %s\n' "${PHASE_NAMES[$i]}" "${PHASE_RESULTS[$i]}" "$(format_seconds "${PHASE_SECONDS[$i]}")"
    done
}

format_seconds() {
    printf '%dm%02ds' $(($1 / 60)) $(($1 % 60))
}

# abs_path PATH: PATH made absolute against the current directory.
abs_path() {
    if [[ $1 == /* ]]; then printf '%s\n' "$1"; else printf '%s\n' "$PWD/$1"; fi
}

# serve_supports OPTION: whether `kubegale serve` knows OPTION (so that the scripts work
# with the server as it grows).
serve_supports() {
    "$KUBEGALE_BIN" serve --help 2>&1 | grep -q -e "$1\b"
}

# random_hex N: N random bytes as hex.
random_hex() {
    od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'
}

# Servers started by start_server; stop_servers stops them all. The first start_server in
# a (sub)shell installs traps so that they are stopped however that shell ends.
SERVER_PIDS=()

# start_server LOGFILE ARGS...: starts `kubegale serve --host 127.0.0.1 --port 0 ARGS...`
# with its output in LOGFILE and waits for its "listening" line. Sets SERVER_PID, SERVER_PORT.
start_server() {
    local logfile=$1
    shift
    mkdir -p "$(dirname "$logfile")"
    if ((${#SERVER_PIDS[@]} == 0)); then
        trap stop_servers EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM
    fi
    "$KUBEGALE_BIN" serve --host 127.0.0.1 --port 0 "$@" >"$logfile" 2>&1 </dev/null &
    SERVER_PID=$!
    SERVER_PIDS+=("$SERVER_PID")
    SERVER_PORT=$(wait_for_listening "$logfile" "$SERVER_PID" 60) || {
        log "server did not start; last lines of $logfile:"
        tail -n 40 "$logfile" || true
        return 1
    }
    log "server pid $SERVER_PID listening on 127.0.0.1:$SERVER_PORT (log: $logfile)"
}

# wait_for_listening LOGFILE PID TIMEOUT: prints the port from the server's
# "KubeGale Realtime listening on http://HOST:PORT" line.
wait_for_listening() {
    local logfile=$1 pid=$2 timeout=$3 deadline=$((SECONDS + $3)) line
    while ((SECONDS < deadline)); do
        line=$(grep -m1 -o 'KubeGale Realtime listening on http://[^ ]*' "$logfile" 2>/dev/null || true)
        if [[ -n $line ]]; then
            printf '%s\n' "${line##*:}"
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || {
            warn "server exited before listening"
            return 1
        }
        sleep 0.1
    done
    warn "server not listening after ${timeout}s"
    return 1
}

# stop_servers: SIGTERM each server we started, SIGKILL after 10 s.
stop_servers() {
    local pid
    for pid in "${SERVER_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || continue
        local waited=0
        while kill -0 "$pid" 2>/dev/null && ((waited < 100)); do
            sleep 0.1
            waited=$((waited + 1))
        done
        if kill -0 "$pid" 2>/dev/null; then
            warn "server $pid ignored SIGTERM for 10 s; killing it"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
    done
    SERVER_PIDS=()
}
