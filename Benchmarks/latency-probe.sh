#!/bin/sh
# Does the real-time class starve the host? (issue 20; docs/internals.md, "Real-time budget".)
# Runs the heaviest legal sweep: --jobs at its maximum, sleep 0 and 1ms, sends 1 ns apart, over an
# emulated link with packet capture, and beside it an ordinary process (latency-probe.c,
# SCHED_OTHER) that asks to wake every 10 ms. Prints the probe's wake-up lateness (median, p99,
# worst, and how many wake-ups were over 50 ms) in ROUNDS rounds, each two measurements back to
# back: with nothing of pipelab beside the probe, then beside the sweep, so that each pair saw
# about the same other work on the machine (its load average is printed before each round). Then
# once beside the same sweep without the real-time class (CAP_SYS_NICE dropped), which tells what
# the real-time class adds to what the sweep's ordinary processes cost anyway. Run as root (the
# real-time class, the link and capture need it).
#
#   Benchmarks/latency-probe.sh [SECONDS] [PIPELAB] [ROUNDS]   (default 60, .build/release/pipelab, 3)
set -eu
seconds=${1:-60}
pipelab=${2:-.build/release/pipelab}
rounds=${3:-3}
work=$(mktemp -d)
sweep=
trap '[ -z "$sweep" ] || kill "$sweep" 2>/dev/null || true; rm -rf "$work"' EXIT
gcc -O2 -Wall -Wextra -o "$work/latency-probe" "$(dirname "$0")/latency-probe.c"

summary() {
    sort -n "$1" | awk -v label="$2" '{ v[NR] = $1 } $1 > 50000 { over++ } END {
        printf "%-46s %5d wake-ups  median %7.3f ms  p99 %7.3f ms  worst %7.3f ms  over 50 ms: %d\n", label, NR,
            v[int((NR + 1) / 2)] / 1000, v[int(NR * 0.99 + 0.999)] / 1000, v[NR] / 1000, over + 0 }'
}

# beside NAME [PREFIX…]: the probe beside the heaviest sweep, run through PREFIX.
beside() {
    name=$1
    shift
    rm -f "$work/sweep.sqlite"*
    # Repeats enough to outlast the probe; the sweep is stopped when the probe is done.
    "$@" "$pipelab" sweep --db "$work/sweep.sqlite" --jobs 512 --transport tcp4 --peer close,close-unread \
        --sigpipe ignore --sleep 0,1ms --interval 1ns --sends 10000 --payload 1KiB --rtt 2ms --capture \
        --repeat 10000 --quiet >"$work/sweep.out" 2>&1 &
    sweep=$!
    sleep 5   # the workers start and their links and captures open
    "$work/latency-probe" "$seconds" >"$work/$name"
    runs=$(sqlite3 "$work/sweep.sqlite" "SELECT COUNT(*) FROM runs;" 2>/dev/null || echo "?")
    kill -INT "$sweep" 2>/dev/null || true
    wait "$sweep" || true
    sweep=
    echo "$runs" >"$work/$name.runs"
}

echo "machine: $(nproc) CPUs; probe $seconds s per line"
for round in $(seq "$rounds"); do
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    "$work/latency-probe" "$seconds" >"$work/idle"
    beside realtime
    echo "round $round, load average $load before it:"
    summary "$work/idle" "  nothing of pipelab beside it"
    summary "$work/realtime" "  beside the sweep ($(cat "$work/realtime.runs") runs)"
done
beside ordinary setpriv --inh-caps=-sys_nice --bounding-set=-sys_nice
summary "$work/ordinary" "beside it without real-time ($(cat "$work/ordinary.runs") runs)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
