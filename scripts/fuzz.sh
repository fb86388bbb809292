#!/usr/bin/env bash
# Builds the libFuzzer targets of Fuzz/ with the fuzzer and address sanitizers and runs each one
# for a bounded time on a scratch copy of its committed seed corpus (Fuzz/Corpus/<target>).
#
#   scripts/fuzz.sh                        every target, FUZZ_SECONDS (default 30) each
#   scripts/fuzz.sh --seconds 3600 FuzzTar one target for an hour
#   scripts/fuzz.sh --no-build FuzzJSON    reuse the last build
#   scripts/fuzz.sh --build-only           build the targets, run none
#
# Prints per target the runs, the coverage and the crashes. Exits non-zero when any target
# crashed, hung, ran out of memory or leaked; its input is left in <output>/<target>/ (replay it
# with `.build-fuzz/debug/<target> <file>`). The committed corpus is never written to.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/common.sh

TARGETS=(FuzzClientFrame FuzzJSON FuzzStreamFrame FuzzTar FuzzYAMLContent FuzzKubeconfig FuzzKubeProtobuf)
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
FUZZ_RSS_MB=${FUZZ_RSS_MB:-2048}
FUZZ_INPUT_TIMEOUT=${FUZZ_INPUT_TIMEOUT:-10}
FUZZ_BUILD_PATH=${FUZZ_BUILD_PATH:-.build-fuzz}
OUTPUT=$KUBEGALE_OUTPUT/fuzz
BUILD=1

usage() {
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
    log "options: --seconds N, --output DIR, --no-build; targets: ${TARGETS[*]}"
}

# dictionary TARGET: the libFuzzer dictionary of TARGET, if it has one.
dictionary() {
    case $1 in
    FuzzClientFrame) printf '%s\n' Fuzz/Corpus/client-frame.dict ;;
    FuzzJSON) printf '%s\n' Fuzz/Corpus/json.dict ;;
    FuzzYAMLContent) printf '%s\n' Fuzz/Corpus/yaml.dict ;;
    FuzzKubeconfig) printf '%s\n' Fuzz/Corpus/kubeconfig.dict ;;
    esac
}

build() {
    # The fuzz package pins what the main package pins (both files are ignored by git).
    [[ -f Package.resolved ]] && cp Package.resolved Fuzz/Package.resolved
    local logfile=$OUTPUT/build.log start=$SECONDS
    log "building the fuzz targets in $FUZZ_BUILD_PATH (log: $logfile)"
    # SwiftPM does not notice files added to a path dependency (the main package) once it has
    # planned a build; without its plan it plans again (compiled objects are kept).
    rm -f "$FUZZ_BUILD_PATH/debug.yaml"
    # ld.gold warns about every ASan helper it cannot export; that noise stays in the log.
    if ! swift build --package-path Fuzz --build-path "$FUZZ_BUILD_PATH" -c debug \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library >"$logfile" 2>&1; then
        grep -v 'Cannot export local symbol' "$logfile" | tail -n 40
        die "the fuzz targets did not build"
    fi
    log "built in $(format_seconds $((SECONDS - start)))"
}

# run_target TARGET: fuzzes TARGET for FUZZ_SECONDS; returns non-zero when it found anything.
run_target() {
    local target=$1 dir=$OUTPUT/$1 binary=$FUZZ_BUILD_PATH/debug/$1 status=0
    local logfile=$dir/fuzz.log dict
    rm -rf "$dir"
    mkdir -p "$dir/corpus"
    cp -R "Fuzz/Corpus/$target/." "$dir/corpus/"
    local options=(-max_total_time="$FUZZ_SECONDS" -rss_limit_mb="$FUZZ_RSS_MB" -timeout="$FUZZ_INPUT_TIMEOUT"
        -print_final_stats=1 -artifact_prefix="$dir/")
    dict=$(dictionary "$target")
    [[ -n $dict ]] && options+=(-dict="$dict")
    # libFuzzer stops itself; the outer bound only catches a fuzzer that does not. Swift's own
    # crash backtracer would spend minutes symbolicating after libFuzzer has reported the crash.
    SWIFT_BACKTRACE=enable=no timeout --kill-after=10 $((FUZZ_SECONDS * 2 + 60)) "$binary" "${options[@]}" "$dir/corpus" >"$logfile" 2>&1 ||
        status=$?
    local runs coverage findings
    runs=$(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$logfile" | grep -o '[0-9]*$' || true)
    coverage=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$logfile" | tail -n 1 || true)
    findings=$(find "$dir" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
        -o -name 'oom-*' -o -name 'slow-unit-*' \) | sort)
    printf '  %-18s runs %-10s %-22s crashes %s\n' "$target" "${runs:-?}" "${coverage:-cov: ?}" \
        "$(grep -c . <<<"$findings" || true)"
    if ((status != 0)) || [[ -n $findings ]]; then
        warn "$target failed (exit $status); last lines of $logfile:"
        grep -v -e '^#[0-9]' -e '^INFO:' "$logfile" | tail -n 30 >&2 || true
        [[ -n $findings ]] && warn "input(s) kept: $(tr '\n' ' ' <<<"$findings")"
        return 1
    fi
}

main() {
    local selected=()
    while (($#)); do
        case $1 in
        --seconds) FUZZ_SECONDS=$2; shift 2 ;;
        --output) OUTPUT=$2; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        --build-only) BUILD=2; shift ;;
        -h | --help) usage; exit 0 ;;
        -*) die "unknown option $1" ;;
        *)
            [[ " ${TARGETS[*]} " == *" $1 "* ]] || die "unknown target '$1' (targets: ${TARGETS[*]})"
            selected+=("$1")
            shift
            ;;
        esac
    done
    ((${#selected[@]})) || selected=("${TARGETS[@]}")
    [[ $FUZZ_SECONDS =~ ^[1-9][0-9]*$ ]] || die "--seconds needs a positive number"
    mkdir -p "$OUTPUT"
    ((BUILD)) && build
    ((BUILD == 2)) && return 0
    log "fuzzing ${#selected[@]} target(s) for ${FUZZ_SECONDS}s each (output: $OUTPUT)"
    local target failed=()
    for target in "${selected[@]}"; do
        [[ -x $FUZZ_BUILD_PATH/debug/$target ]] || die "$FUZZ_BUILD_PATH/debug/$target is not built"
        run_target "$target" || failed+=("$target")
    done
    if ((${#failed[@]})); then
        die "fuzzing found problems in: ${failed[*]}"
    fi
    log "fuzzing: no crash in ${#selected[@]} target(s)"
}

main "$@"
