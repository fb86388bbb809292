#!/usr/bin/env bash
# Runs every test of KubeGale Realtime, installing what the tests need first.
#
#   scripts/test.sh              all phases
#   scripts/test.sh e2e autobahn only the named phases (tools and build always run)
#
# Phases: tools, lint, build, swift-test, schemas, e2e, js, browser, chaos, autobahn, fuzz. Outputs go to .test-output/.
# Exits non-zero when any phase fails; lint findings are reported but do not fail (yet).
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ folders in the work tree

source scripts/lib/common.sh
source scripts/lib/tools.sh
source scripts/lib/autobahn.sh
source scripts/lib/postgres.sh

ALL_PHASES=(lint swift-test schemas e2e js browser chaos autobahn fuzz)
E2E_TIMEOUT=${E2E_TIMEOUT:-900}
JS_TIMEOUT=${JS_TIMEOUT:-600}
BROWSER_TIMEOUT=${BROWSER_TIMEOUT:-900}
AUTOBAHN_TIMEOUT=${AUTOBAHN_TIMEOUT:-2400}

phase_tools() {
    ensure_python_venv
    ensure_autobahn
    ensure_browser_tools
    # PostgreSQL for the shared store and the replica tests; ss (iproute2) reads a listening
    # socket's queue limit in a test.
    ensure_debian_packages postgresql iproute2
}

# Lint with the repository's .swift-format; reports the number of findings, never fails on them.
phase_lint() {
    local report="$KUBEGALE_OUTPUT/swift-format.txt" findings
    swift format lint --configuration .swift-format --recursive --parallel Sources Tests Package.swift \
        >"$report" 2>&1 || true
    findings=$(grep -c -E ': (warning|error):' "$report" || true)
    if ((findings > 0)); then
        log "swift-format: $findings findings (not failing the run yet), by rule:"
        grep -oE ': (warning|error): \[[A-Za-z]+\]' "$report" | sort | uniq -c | sort -rn | sed 's/: [a-z]*: / /'
        log "first ones:"
        grep -m 5 -E ': (warning|error):' "$report" | sed "s|^$PWD/||"
        log "all of them: $report"
    else
        log "swift-format: no findings"
    fi
}

phase_build() {
    swift build --build-tests
}

# swift test, bounded in time, run once: a flaky test is fixed or marked with its reason,
# never hidden by a rerun. Its failures are listed when it fails.
SWIFT_TEST_TIMEOUT=${SWIFT_TEST_TIMEOUT:-300}
phase_swift_test() {
    if run_swift_tests "$KUBEGALE_OUTPUT/swift-test.log"; then
        return 0
    fi
    warn "swift test failed or timed out; its failures:"
    grep -E '✘ Test .*(failed|recorded)' "$KUBEGALE_OUTPUT/swift-test.log" | head -n 20 >&2 || true
    return 1
}

# run_swift_tests LOG: one `swift test`, killed after SWIFT_TEST_TIMEOUT seconds.
# The KubeSim scale test runs on its own afterwards: serializing tens of megabytes of pods on the
# shared event loops would stall every other suite's timers for seconds.
run_swift_tests() {
    local log=$1 status
    timeout --kill-after=10 "$SWIFT_TEST_TIMEOUT" \
        swift test --skip-build --skip ScaleTests --xunit-output "$KUBEGALE_OUTPUT/swift-test.xml" 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    timeout --kill-after=10 "$SWIFT_TEST_TIMEOUT" \
        swift test --skip-build --filter ScaleTests --xunit-output "$KUBEGALE_OUTPUT/swift-test-scale.xml" 2>&1 | tee -a "$log"
    ((PIPESTATUS[0] == 0 && status == 0))
}

# libFuzzer targets of Fuzz/ (client frames, GaleJSON, stream frames, tar, YAML content,
# kubeconfig), FUZZ_SECONDS each on a scratch copy of their seed corpus; any crash, hang, OOM
# or leak fails the phase and its input stays in .test-output/fuzz/<target>/. Their sanitizer
# build lives in .build-fuzz (about 20 minutes cold on 2 cores, seconds when warm); longer runs
# by hand: scripts/fuzz.sh --seconds 3600.
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
FUZZ_PHASE_TIMEOUT=${FUZZ_PHASE_TIMEOUT:-2400}
FUZZ_BUILD_PID=
phase_fuzz() {
    local build=()
    if [[ -n $FUZZ_BUILD_PID ]]; then
        # Phases run in subshells, which cannot `wait` for the main shell's jobs: poll its status file.
        log "waiting for the fuzz build started beside autobahn"
        while kill -0 "$FUZZ_BUILD_PID" 2>/dev/null; do sleep 5; done
        if [[ $(cat "$KUBEGALE_OUTPUT/fuzz/build.status" 2>/dev/null) != 0 ]]; then
            tail -n 40 "$KUBEGALE_OUTPUT/fuzz/build-phase.log" >&2 || true
            warn "the fuzz targets did not build (log: $KUBEGALE_OUTPUT/fuzz/build.log)"
            return 1
        fi
        build=(--no-build)
    fi
    timeout --kill-after=10 "$FUZZ_PHASE_TIMEOUT" \
        scripts/fuzz.sh "${build[@]}" --seconds "$FUZZ_SECONDS" --output "$KUBEGALE_OUTPUT/fuzz"
}

# The fuzz targets' sanitizer build (cold: about 20 minutes of CPU) runs in the background while
# Autobahn|Testsuite, which mostly waits on its own timers, runs its cases.
start_fuzz_build() {
    mkdir -p "$KUBEGALE_OUTPUT/fuzz"
    log "building the fuzz targets in the background (log: $KUBEGALE_OUTPUT/fuzz/build.log)"
    rm -f "$KUBEGALE_OUTPUT/fuzz/build.status"
    (
        status=0
        timeout --kill-after=10 "$FUZZ_PHASE_TIMEOUT" scripts/fuzz.sh --build-only --output "$KUBEGALE_OUTPUT/fuzz" \
            >"$KUBEGALE_OUTPUT/fuzz/build-phase.log" 2>&1 || status=$?
        echo "$status" >"$KUBEGALE_OUTPUT/fuzz/build.status"
    ) &
    FUZZ_BUILD_PID=$!
}

phase_schemas() {
    if [[ ! -f protocol/check_schemas.py ]]; then
        log "protocol/check_schemas.py does not exist; nothing to check"
        return 0
    fi
    "$KUBEGALE_VENV/bin/python" protocol/check_schemas.py
}

phase_e2e() {
    mkdir -p "$KUBEGALE_OUTPUT/e2e"
    KUBEGALE_BIN=$(abs_path "$KUBEGALE_BIN") KUBEGALE_E2E_OUTPUT=$(abs_path "$KUBEGALE_OUTPUT/e2e") \
        timeout --kill-after=10 "$E2E_TIMEOUT" \
        "$KUBEGALE_VENV/bin/python" -m pytest Tests/e2e --junitxml="$KUBEGALE_OUTPUT/e2e/junit.xml" -q
}

# The JavaScript client's tests (node --test) against real `kubegale serve` processes. Node 20's
# global WebSocket is behind --experimental-websocket.
phase_js() {
    mkdir -p "$KUBEGALE_OUTPUT/js"
    KUBEGALE_BIN=$(abs_path "$KUBEGALE_BIN") KUBEGALE_TEST_OUTPUT=$(abs_path "$KUBEGALE_OUTPUT/js") \
        timeout --kill-after=10 "$JS_TIMEOUT" \
        node --experimental-websocket --no-warnings --test --test-reporter=spec clients/js/test/*.test.mjs \
        2>&1 | tee "$KUBEGALE_OUTPUT/js/node-test.log"
    return "${PIPESTATUS[0]}"
}

# The web console in headless Chromium (selenium), against real `kubegale serve` and
# `kubegale sim` processes; screenshots of every view go to .test-output/browser/.
phase_browser() {
    mkdir -p "$KUBEGALE_OUTPUT/browser"
    KUBEGALE_BIN=$(abs_path "$KUBEGALE_BIN") KUBEGALE_BROWSER_OUTPUT=$(abs_path "$KUBEGALE_OUTPUT/browser") SE_OFFLINE=true \
        timeout --kill-after=10 "$BROWSER_TIMEOUT" \
        "$KUBEGALE_VENV/bin/python" -m pytest Tests/browser --junitxml="$KUBEGALE_OUTPUT/browser/junit.xml" -q
}

# A short chaos run (Tests/chaos): 200 clients subscribing, dropping and resuming while KubeSim's
# watches drop, 410s, 5xx/429 bursts, a hang and a restart with fresh state hit the gateway;
# every view must equal the cluster at the end, with no unannounced gap and no leak. Longer runs
# and the 30-minute soak are run by hand (scripts/chaos.sh --duration 1800).
CHAOS_DURATION=${CHAOS_DURATION:-60}
phase_chaos() {
    KUBEGALE_BIN=$(abs_path "$KUBEGALE_BIN") scripts/chaos.sh --duration "$CHAOS_DURATION" --clients 200 \
        --output "$(abs_path "$KUBEGALE_OUTPUT/chaos")"
}

# Autobahn|Testsuite, all 517 cases, against the diagnostic echo endpoint of the real server.
phase_autobahn() {
    local secret token data_dir="$KUBEGALE_OUTPUT/autobahn-server-data" limit=16777216
    secret=$(random_hex 32)
    rm -rf "$data_dir"
    mkdir -p "$data_dir"
    # Autobahn's 9.x cases send messages of up to 16 MiB.
    local options=(--data-dir "$data_dir" --jwt-secret "$secret" --diagnostic-echo
        --max-frame-size "$limit" --max-message-size "$limit")
    if serve_supports --max-decompressed-size; then options+=(--max-decompressed-size "$limit"); fi
    if serve_supports --no-demo; then options+=(--no-demo); fi
    start_server "$KUBEGALE_OUTPUT/autobahn-server.log" "${options[@]}"
    token=$("$KUBEGALE_BIN" token --subject autobahn --role viewer --ttl 2h --jwt-secret "$secret")
    run_autobahn "ws://127.0.0.1:$SERVER_PORT/ws/echo?access_token=$token" "$KUBEGALE_OUTPUT/autobahn" \
        "$AUTOBAHN_TIMEOUT"
    stop_servers
}

main() {
    local selected=("$@")
    ((${#selected[@]})) || selected=("${ALL_PHASES[@]}")
    local phase
    for phase in "${selected[@]}"; do
        [[ " ${ALL_PHASES[*]} " == *" $phase "* ]] || die "unknown phase '$phase' (phases: ${ALL_PHASES[*]})"
    done

    log "KubeGale Realtime tests: ${selected[*]} ($(date -u '+%Y-%m-%d %H:%M:%S UTC'), CI=${CI:-false})"
    mkdir -p "$KUBEGALE_OUTPUT"
    local total_start=$SECONDS failures=0

    run_phase tools phase_tools
    ((PHASE_STATUS == 0)) || die "could not install the test tools"
    if [[ " ${selected[*]} " == *" lint "* ]]; then
        run_phase lint phase_lint
        ((PHASE_STATUS == 0)) || failures=$((failures + 1))
    fi
    run_phase build phase_build
    if ((PHASE_STATUS != 0)); then
        print_phase_summary
        die "build failed"
    fi
    # A throwaway PostgreSQL (seconds to start) for the store tests and the replica e2e test; it is
    # stopped however the run ends. Without it those tests fail under CI and skip elsewhere.
    if [[ " ${selected[*]} " == *" swift-test "* || " ${selected[*]} " == *" e2e "* ]]; then
        trap stop_test_postgres EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM
        start_test_postgres || warn "PostgreSQL did not start: the tests that need it will fail (CI) or skip"
    fi
    for phase in "${selected[@]}"; do
        [[ $phase == lint ]] && continue
        if [[ $phase == autobahn && " ${selected[*]} " == *" fuzz "* ]]; then
            start_fuzz_build
        fi
        run_phase "$phase" "phase_${phase//-/_}"
        ((PHASE_STATUS == 0)) || failures=$((failures + 1))
    done

    print_phase_summary
    log "total: $(format_seconds $((SECONDS - total_start)))"
    local passed=$((${#PHASE_NAMES[@]} - failures))
    log "phases: $passed passed, $failures failed"
    ((failures == 0))
}

main "$@"
