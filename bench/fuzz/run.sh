#!/usr/bin/env bash
# Coverage-guided fuzzing with libFuzzer (issue 13).
#
#   bench/fuzz/run.sh TARGET SECONDS     one target (sip framer sdp rtp dialplan journal dns)
#   bench/fuzz/run.sh all SECONDS        every target, one after another
#
# Builds the Fuzz executable with -sanitize=fuzzer,address into .build-fuzz (release; set
# FUZZ_CONFIG=debug for the quicker smoke build scripts/test uses), then runs one libFuzzer
# process per target (one core) on the seed corpus bench/fuzz/corpus/TARGET. New inputs go
# to .build-fuzz/corpus/TARGET (kept between runs, never committed), a crashing input to
# .build-fuzz/crashes/TARGET/ (not artifacts/: SwiftPM owns that folder of its scratch path
# and empties it on every build, which lost a crash input), the log to .build-fuzz/logs/TARGET.log. LeakSanitizer runs
# at exit. Prints one summary line per target; exits non-zero if any target found anything.
# Extra libFuzzer flags: FUZZ_FLAGS="-dict=... -max_len=...". FUZZ_WORK moves the grown
# corpus, crash inputs and logs elsewhere (scripts/test's smoke run keeps its own).
# FUZZ_BIN=path runs that Fuzz executable (a copy) instead of building one.
set -euo pipefail
cd "$(dirname "$0")/../.."
targets=(sip framer sdp rtp dialplan journal dns)
[ $# -eq 2 ] || { echo "usage: $0 TARGET|all SECONDS" >&2; exit 2; }
what=$1 seconds=$2
if [ "$what" = all ]; then run=("${targets[@]}"); else run=("$what"); fi
for t in "${run[@]}"; do
    [[ " ${targets[*]} " == *" $t "* ]] || { echo "unknown target $t (have: ${targets[*]})" >&2; exit 2; }
done

config=${FUZZ_CONFIG:-release}
scratch=.build-fuzz
if [ -n "${FUZZ_BIN:-}" ]; then
    # A copy of a built Fuzz (long runs: a rebuild must not change the binary under them).
    bin=$FUZZ_BIN
else
    swift build -c "$config" --scratch-path "$scratch" --product Fuzz \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING >&2
    bin=$(swift build -c "$config" --scratch-path "$scratch" --show-bin-path)/Fuzz
fi

# Longest input per target: a SIP message may be 64 KB, but libFuzzer's mutations pay for
# every byte; these cover the seeds with room to grow.
max_len() {
    case $1 in
        sip|framer) echo 16384 ;;
        dialplan) echo 8192 ;;
        *) echo 4096 ;;
    esac
}

work=${FUZZ_WORK:-$scratch}
failed=0
for t in "${run[@]}"; do
    mkdir -p "$work/corpus/$t" "$work/crashes/$t" "$work/logs"
    log=$work/logs/$t.log
    dict=()
    [ -f "bench/fuzz/dict/$t.dict" ] && dict=("-dict=bench/fuzz/dict/$t.dict")
    set +e
    # shellcheck disable=SC2086
    # SWIFT_BACKTRACE=enable=no: Swift's own crash handler would run after libFuzzer's and
    # trip ASan with noise; libFuzzer already prints the stack and saves the input.
    FUZZ_TARGET=$t FUZZ_PROMPTS=$PWD/Dialplans/prompts SWIFT_BACKTRACE=enable=no \
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0${ASAN_OPTIONS:+:$ASAN_OPTIONS} \
        "$bin" "$work/corpus/$t" "bench/fuzz/corpus/$t" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$(max_len "$t")" \
        -detect_leaks=1 -print_final_stats=1 -artifact_prefix="$work/crashes/$t/" \
        "${dict[@]}" ${FUZZ_FLAGS:-} >"$log" 2>&1
    rc=$?
    set -e
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log")
    last=$(grep -aE '^#[0-9]+' "$log" | tail -1 | grep -oE 'cov: [0-9]+ ft: [0-9]+' || true)
    if [ "$rc" -eq 0 ]; then
        echo "fuzz $t: ok, ${runs:-?} executions in ${seconds}s (${rate:-?}/s), ${last:-no coverage line}, peak RSS ${rss:-?} MB"
    else
        failed=1
        echo "fuzz $t: FAILED (exit $rc) after ${runs:-?} executions; log $log, input in $work/crashes/$t/"
        grep -aE 'FUZZ FINDING|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|Fatal error|SUMMARY' "$log" | head -5 || true
    fi
done
exit $failed
