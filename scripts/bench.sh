#!/usr/bin/env bash
# Runs the performance benchmarks (release build) and prints a summary, with the gateway's
# figures next to Python WebSocket peers measured in the same run (Benchmarks/peers).
#
#   scripts/bench.sh                   every part
#   scripts/bench.sh fanout memory     only the named parts
#
# Parts: fanout (throughput, N sockets, with and without deflate), latency (fixed 10k
# deliveries/s), memory, terminal, logs, paging, storm (reconnect storm with resume). The gateway
# runs as `kubegale serve` in a process of its own (the release build's kubegale next to
# kubegale-bench), the load clients and the producer in kubegale-bench; the open-file limit is
# raised for both. Outputs go to .bench-output/: results.jsonl (one JSON line per benchmark),
# one log per run, machine.txt, summary.txt, and history.jsonl (one line per bench.sh run with
# time and commit; the summary compares every figure with the latest earlier run measuring it).
#
# Environment: BENCH_SOCKETS ("100 1000 10000"), BENCH_DELIVERIES (200000 per throughput run: events =
# deliveries / sockets, at least 100), BENCH_REPEAT (1; the summary
# takes the median), BENCH_APPEND=1 (keep earlier results.jsonl: resume a run), BENCH_PEERS ("picows aiohttp websockets"), BENCH_SKIP_BUILD=1,
# BENCH_LATENCY_DELIVERIES (10000 per second), BENCH_MEMORY_SOCKETS (1000), BENCH_PODS (5000),
# BENCH_STORM_SOCKETS (10000).
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONDONTWRITEBYTECODE=1

source scripts/lib/common.sh

BENCH_OUTPUT=${BENCH_OUTPUT:-.bench-output}
BENCH_SCRATCH=${BENCH_SCRATCH:-.build-release}
BENCH_VENV=${BENCH_VENV:-$KUBEGALE_TOOLS_DIR/bench-venv}
BENCH_SOCKETS=${BENCH_SOCKETS:-"100 1000 10000"}
BENCH_DELIVERIES=${BENCH_DELIVERIES:-200000}
BENCH_REPEAT=${BENCH_REPEAT:-1}
BENCH_PEERS=${BENCH_PEERS:-"picows aiohttp websockets"}
BENCH_LATENCY_DELIVERIES=${BENCH_LATENCY_DELIVERIES:-10000}
BENCH_MEMORY_SOCKETS=${BENCH_MEMORY_SOCKETS:-1000}
BENCH_PODS=${BENCH_PODS:-5000}
BENCH_PYTHON_PACKAGES=(aiohttp==3.14.5 websockets==17.4 picows==2.3.1)
BENCH_STORM_SOCKETS=${BENCH_STORM_SOCKETS:-10000}
ALL_PARTS=(fanout latency memory terminal logs paging storm)

RESULTS=$BENCH_OUTPUT/results.jsonl
HISTORY=$BENCH_OUTPUT/history.jsonl
BENCH_BIN=${BENCH_BIN:-$BENCH_SCRATCH/release/kubegale-bench}
# The gateway the benchmarks start (`kubegale serve`): the release build next to kubegale-bench.
export KUBEGALE_BENCH_GATEWAY=${KUBEGALE_BENCH_GATEWAY:-$(abs_path "$BENCH_SCRATCH/release/kubegale")}
PEER_PID=
PEER_PORT=

# ensure_bench_venv: a venv of its own with the peers' WebSocket stacks (pinned).
ensure_bench_venv() {
    local stamp="$BENCH_VENV/.kubegale-bench-packages" want="${BENCH_PYTHON_PACKAGES[*]}"
    if [[ -x $BENCH_VENV/bin/python && -f $stamp && $(cat "$stamp") == "$want" ]]; then
        log "bench venv: $BENCH_VENV is ready"
        return 0
    fi
    log "bench venv: creating $BENCH_VENV with $want"
    python3 -m venv "$BENCH_VENV"
    "$BENCH_VENV/bin/pip" install --quiet --disable-pip-version-check "${BENCH_PYTHON_PACKAGES[@]}"
    printf '%s' "$want" >"$stamp"
}

build_release() {
    if [[ ${BENCH_SKIP_BUILD:-0} == 1 && -x $BENCH_BIN && -x $KUBEGALE_BENCH_GATEWAY ]]; then
        log "build: skipped (BENCH_SKIP_BUILD=1), using $BENCH_BIN and $KUBEGALE_BENCH_GATEWAY"
        return 0
    fi
    swift build -c release --scratch-path "$BENCH_SCRATCH" --product kubegale
    swift build -c release --scratch-path "$BENCH_SCRATCH" --product kubegale-bench
}

# raise_fd_limit: every process started from here (kubegale-bench, the gateway it starts, the
# peers) inherits this shell's open-file limit; each holds one side of the largest run's sockets.
raise_fd_limit() {
    local want=$BENCH_STORM_SOCKETS n hard
    for n in $BENCH_SOCKETS $BENCH_MEMORY_SOCKETS; do ((n > want)) && want=$n; done
    want=$((want + 4096))
    hard=$(ulimit -Hn)
    [[ $hard == unlimited ]] || ((want <= hard)) || want=$hard
    ulimit -n "$want" || warn "cannot raise the open-file limit to $want"
    log "open-file limit: $(ulimit -n) per process (hard limit $hard)"
}

# machine_state: what else ran on the machine, written next to the results.
machine_state() {
    {
        echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
        echo "cores: $(nproc)  memory: $(free -g | awk '/Mem:/ {print $2 " GiB"}')"
        echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
        echo "other compilers running: $(pgrep -c -f 'swift-frontend|swift-build' || true)"
        echo "open-file limit: $(ulimit -n)"
        echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo none) (uncommitted changes: $(git status --porcelain 2>/dev/null | wc -l))"
    } | tee -a "$BENCH_OUTPUT/machine.txt"
}

# run_bench NAME ARGS...: one kubegale-bench run, its output shown and kept in NAME.log.
run_bench() {
    local name=$1
    shift
    log "\$ kubegale-bench $*"
    "$BENCH_BIN" "$@" --json "$RESULTS" 2>&1 | tee "$BENCH_OUTPUT/$name.log"
    return "${PIPESTATUS[0]}"
}

# start_peer IMPL: starts Benchmarks/peers/broadcast.py; sets PEER_PID and PEER_PORT. Each start
# writes a file of its own, so that a peer still exiting cannot write into the next one's.
PEER_STARTS=0
start_peer() {
    local impl=$1 out waited=0
    PEER_STARTS=$((PEER_STARTS + 1))
    out="$BENCH_OUTPUT/peer-$impl-$BASHPID-$PEER_STARTS.out"
    "$BENCH_VENV/bin/python" Benchmarks/peers/broadcast.py --impl "$impl" >"$out" 2>&1 &
    PEER_PID=$!
    PEER_PORT=
    until [[ -n $PEER_PORT ]]; do
        sleep 0.1
        PEER_PORT=$(awk '/^LISTENING [0-9]+ [0-9]+$/ {print $2; exit}' "$out")
        waited=$((waited + 1))
        if ((waited > 100)) || ! kill -0 "$PEER_PID" 2>/dev/null; then
            cat "$out" >&2
            die "peer $impl did not start"
        fi
    done
}

stop_peer() {
    [[ -n $PEER_PID ]] || return 0
    local waited=0
    kill "$PEER_PID" 2>/dev/null || true
    while kill -0 "$PEER_PID" 2>/dev/null && ((waited < 50)); do
        sleep 0.1
        waited=$((waited + 1))
    done
    kill -9 "$PEER_PID" 2>/dev/null || true # a peer still closing its sockets after 5 s
    wait "$PEER_PID" 2>/dev/null || true
    PEER_PID=
}
trap stop_peer EXIT

# fanout_all TAG ARGS...: the same fan-out run against the gateway and every peer.
fanout_all() {
    local tag=$1 deflate=0 impl repeat
    shift
    trap stop_peer EXIT # phases run in subshells, which do not inherit the script's trap
    [[ " $* " == *" --deflate "* ]] && deflate=1
    for repeat in $(seq "$BENCH_REPEAT"); do
        run_bench "fanout-$tag-gateway-$repeat" fanout "$@" || warn "gateway fanout $tag failed"
        for impl in $BENCH_PEERS; do
            if ((deflate == 1)) && [[ $impl == picows ]]; then
                log "picows: skipped with --deflate (picows 2.3 does not implement permessage-deflate)"
                continue
            fi
            start_peer "$impl"
            run_bench "fanout-$tag-$impl-$repeat" fanout "$@" \
                --target "ws://127.0.0.1:$PEER_PORT" --peer-pid "$PEER_PID" --peer-name "$impl" ||
                warn "$impl fanout $tag failed"
            stop_peer
        done
    done
}

part_fanout() {
    local n events
    for n in $BENCH_SOCKETS; do
        events=$((BENCH_DELIVERIES / n))
        ((events >= 100)) || events=100
        fanout_all "n$n" --sockets "$n" --events "$events"
        fanout_all "n$n-deflate" --sockets "$n" --events "$events" --deflate
    done
}

part_latency() {
    local n=1000 rate events
    rate=$((BENCH_LATENCY_DELIVERIES / n))
    events=$((rate * 10))
    fanout_all "rate-n$n" --sockets "$n" --rate "$rate" --events "$events"
    fanout_all "rate-n$n-deflate" --sockets "$n" --rate "$rate" --events "$events" --deflate
}

part_memory() {
    local impl mode
    trap stop_peer EXIT
    run_bench memory-gateway idle-memory --sockets "$BENCH_MEMORY_SOCKETS"
    for impl in $BENCH_PEERS; do
        for mode in plain deflate; do
            if [[ $impl == picows && $mode == deflate ]]; then continue; fi # no permessage-deflate in picows
            start_peer "$impl" # a fresh process per variant, as for the gateway
            run_bench "memory-$impl-$mode" idle-memory --sockets "$BENCH_MEMORY_SOCKETS" --mode "$mode" \
                --target "ws://127.0.0.1:$PEER_PORT" --peer-pid "$PEER_PID" --peer-name "$impl" ||
                warn "$impl memory failed"
            stop_peer
        done
    done
}
part_terminal() { run_bench terminal terminal-rtt --keystrokes 2000; }
part_logs() { run_bench logs log-throughput --seconds 10; }
# The reconnect storm: BENCH_STORM_SOCKETS clients in kubegale-bench and as many sockets in the
# gateway's process drop at once and resume (main raised the open-file limit for both).
part_storm() {
    (($(ulimit -n) > BENCH_STORM_SOCKETS + 256)) ||
        warn "open-file limit $(ulimit -n) is too low for $BENCH_STORM_SOCKETS sockets"
    run_bench storm reconnect-storm --sockets "$BENCH_STORM_SOCKETS" --missed 5
}
part_paging() {
    run_bench paging list-paging --pods "$BENCH_PODS"
    run_bench paging-nocache list-paging --pods "$BENCH_PODS" --no-cache --requests 50
}

main() {
    local parts=("$@")
    ((${#parts[@]} > 0)) || parts=("${ALL_PARTS[@]}")
    mkdir -p "$BENCH_OUTPUT"
    if [[ ${BENCH_APPEND:-0} != 1 ]]; then rm -f "$RESULTS" "$BENCH_OUTPUT/machine.txt"; fi
    run_phase tools ensure_bench_venv
    ((PHASE_STATUS == 0)) || die "could not install the peers' Python packages"
    run_phase build build_release
    ((PHASE_STATUS == 0)) || die "release build failed"
    raise_fd_limit
    section "Machine"
    machine_state
    local part
    for part in "${parts[@]}"; do
        declare -F "part_$part" >/dev/null || die "unknown part $part (parts: ${ALL_PARTS[*]})"
        run_phase "$part" "part_$part"
    done
    section "Machine after the runs"
    machine_state
    print_phase_summary
    section "Figures"
    if [[ -s $RESULTS ]]; then
        python3 Benchmarks/peers/summary.py "$RESULTS" --history "$HISTORY" \
            --commit "$(git rev-parse --short HEAD 2>/dev/null || echo none)" \
            --dirty "$(git status --porcelain 2>/dev/null | wc -l)" --parts "${parts[*]}" |
            tee "$BENCH_OUTPUT/summary.txt"
    else
        warn "no results: nothing appended to $HISTORY"
    fi
    local phase
    for phase in "${PHASE_RESULTS[@]}"; do
        [[ $phase == ok ]] || exit 1
    done
}

main "$@"
