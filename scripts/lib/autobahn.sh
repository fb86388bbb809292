# Runs the Autobahn|Testsuite fuzzing client against an echo endpoint. Source common.sh first.
# shellcheck shell=bash

AUTOBAHN_AGENT=kubegale

# Disjoint case sets run by parallel wstest processes, as NAME|CASES|EXCLUDED (JSON arrays).
# Their union is all 517 cases. The compression groups 12 and 13 take ~90% of the time (the
# Python 2 client is slow); the sets are balanced by the case durations measured against a
# debug-built server: about a third of the total each.
AUTOBAHN_PARTS=(
    'compression-a|["12.2.*", "12.3.*", "13.4.*"]|[]'
    'compression-b|["12.1.*", "12.4.*", "12.5.*", "13.1.*"]|[]'
    'rest|["*"]|["12.*", "13.1.*", "13.4.*"]'
)

# run_autobahn URL OUTDIR [TIMEOUT]: runs every part against URL (ws://...) in parallel, each
# stopped after TIMEOUT seconds (default 2400), merges the reports into OUTDIR and checks them
# (autobahn_report.py). Fails on any FAILED case and on fewer than 517 cases.
run_autobahn() {
    local url=$1 outdir=$2 timeout=${3:-2400}
    local wstest="$KUBEGALE_TOOLS_DIR/autobahn/venv/bin/wstest"
    [[ $wstest == /* ]] || wstest="$PWD/$wstest"
    [[ -x $wstest ]] || die "wstest not installed; run ensure_autobahn first"
    rm -rf "$outdir"
    mkdir -p "$outdir/parts"
    outdir=$(cd "$outdir" && pwd)

    local spec name cases excluded pids=() names=() part_dirs=()
    for spec in "${AUTOBAHN_PARTS[@]}"; do
        IFS='|' read -r name cases excluded <<<"$spec"
        local dir="$outdir/parts/$name"
        mkdir -p "$dir"
        write_fuzzingclient_config "$dir/fuzzingclient.json" "$url" "$dir" "$cases" "$excluded"
        log "autobahn: part $name: cases $cases excluding $excluded"
        run_wstest_part "$dir" "$wstest" "$timeout" &
        pids+=("$!")
        names+=("$name")
        part_dirs+=("$dir")
    done

    local i failed=0
    for i in "${!pids[@]}"; do
        if wait "${pids[$i]}"; then
            log "autobahn: part ${names[$i]} took $(format_seconds "$(cat "${part_dirs[$i]}/seconds")")"
        else
            warn "autobahn: part ${names[$i]} exited with $? (log: ${part_dirs[$i]}/wstest.log)"
            tail -n 20 "${part_dirs[$i]}/wstest.log" >&2 || true
            failed=1
        fi
    done

    local status=0
    python3 scripts/autobahn_report.py "$outdir" "${part_dirs[@]}" --agent "$AUTOBAHN_AGENT" --min-cases 517 ||
        status=$?
    ((failed == 0 && status == 0))
}

# run_wstest_part DIR WSTEST TIMEOUT: one fuzzing client run with DIR/fuzzingclient.json;
# its output goes to DIR/wstest.log and its duration in seconds to DIR/seconds.
run_wstest_part() {
    local dir=$1 wstest=$2 timeout=$3 start=$SECONDS status=0
    cd "$dir" || return
    timeout --kill-after=10 "$timeout" "$wstest" -m fuzzingclient -s fuzzingclient.json >wstest.log 2>&1 ||
        status=$?
    echo $((SECONDS - start)) >seconds
    return "$status"
}

# write_fuzzingclient_config FILE URL OUTDIR CASES EXCLUDED
write_fuzzingclient_config() {
    local file=$1 url=$2 outdir=$3 cases=$4 excluded=$5
    cat >"$file" <<EOF
{
    "outdir": "$outdir",
    "servers": [{"agent": "$AUTOBAHN_AGENT", "url": "$url"}],
    "cases": $cases,
    "exclude-cases": $excluded,
    "exclude-agent-cases": {}
}
EOF
}
