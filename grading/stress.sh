#!/usr/bin/env bash
# Stability of the grading detectors under load: runs every test of asynclings-grading (each
# detector against its known-bad and known-good fixtures) RUNS times while background
# processes keep every core busy, and reports false verdicts and the slowest legitimate figures.
#
#   grading/stress.sh [RUNS] [LOADERS]            defaults: 50 runs, one `yes` per core
#   grading/stress.sh --course [RUNS] [LOADERS]   the course instead (default 3 runs): every
#                                                 solution, exercise and wrong fix, graded by
#                                                 `asynclings verify --solutions` and `dev check`
#                                                 (which fails if a wrong fix is rejected for
#                                                 another reason than its `// expect` names)
#
# Exit status 0 only if every run passed. The background load is started here and stopped on
# exit (by process id).
set -euo pipefail
cd "$(dirname "$0")/.."
# As in a grade (asynclings sets it from ASYNCLINGS_BACKTRACE, "0" by default): resolving
# backtraces would stall the runtimes under test.
export RUST_BACKTRACE=0

course=false
if [ "${1:-}" = "--course" ]; then
    course=true
    shift
fi
runs=${1:-$($course && echo 3 || echo 50)}
loaders=${2:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)}

figures() {
    # The figures good fixtures and passing runs logged, in ms: the largest of each kind.
    awk '{ if ($2 > max[$1]) max[$1] = $2; n[$1]++ }
         END { for (k in max) printf "  %-18s max %8.3f ms over %d samples\n", k, max[k], n[k] }' "$1" | sort
}

if $course; then
    cargo build -q
    log=$(mktemp)
    pids=()
    trap 'for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -f "$log"' EXIT
    for _ in $(seq "$loaders"); do
        yes >/dev/null &
        pids+=("$!")
    done
    echo "load: $loaders busy process(es) (${pids[*]})"
    failed=0
    for run in $(seq "$runs"); do
        for command in "verify --solutions" "dev check"; do
            started=$(date +%s)
            # shellcheck disable=SC2086
            if out=$(ASYNCLINGS_STRESS_LOG="$log" ./target/debug/asynclings $command 2>&1); then
                echo "run $run: asynclings $command: ok in $(( $(date +%s) - started )) s"
            else
                failed=$((failed + 1))
                echo "run $run: asynclings $command FAILED:" >&2
                echo "$out" | tail -30 >&2
            fi
        done
    done
    echo "$runs course run(s) under load: $failed failed"
    echo "figures of the checks that passed (Run: longest poll, largest stall, longest busy stretch):"
    figures "$log"
    [ "$failed" -eq 0 ]
    exit
fi

binaries=$(cargo test -p asynclings-grading --no-run --message-format=json 2>/dev/null \
    | grep -o '"executable":"[^"]*"' | sed 's/"executable":"//; s/"$//')
[ -n "$binaries" ] || { echo "stress.sh: no test binaries built" >&2; exit 3; }

log=$(mktemp)
failures=$(mktemp)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -f "$log" "$failures"
}
trap cleanup EXIT

for _ in $(seq "$loaders"); do
    yes >/dev/null &
    pids+=("$!")
done
echo "load: $loaders busy process(es) (${pids[*]}) on $(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?') core(s)"

started=$(date +%s)
failed_runs=0
for run in $(seq "$runs"); do
    for binary in $binaries; do
        if ! out=$(ASYNCLINGS_STRESS_LOG="$log" "$binary" -q 2>&1); then
            failed_runs=$((failed_runs + 1))
            echo "run $run: $(basename "$binary") FAILED" >&2
            echo "$out" | grep -E '^(test .* FAILED|---- )|^    [a-z_]+::[a-z_:]+$|panicked at' -A3 \
                >>"$failures" || true
        fi
    done
    printf '\rrun %d/%d' "$run" "$runs"
done
echo
tests=$(for binary in $binaries; do "$binary" --list 2>/dev/null | grep -c ': test$' || true; done \
    | awk '{ s += $1 } END { print s }')
echo "$runs runs of $tests tests in $(( $(date +%s) - started )) s: $failed_runs failed run(s)"

figures "$log"

if [ "$failed_runs" -gt 0 ]; then
    echo "failures:" >&2
    sort "$failures" | uniq -c | sort -rn | head -40 >&2
    exit 1
fi
