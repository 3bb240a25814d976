#!/bin/sh
# Does the real-time class starve the host? (issue 20; docs/internals.md, "Real-time budget".)
# Runs the heaviest legal sweep: --jobs at its maximum, sleep 0 and 1ms, sends 1 ns apart, over an
# emulated link with packet capture, and beside it an ordinary process (latency-probe.c,
# SCHED_OTHER) that asks to wake every 10 ms. Prints the probe's wake-up lateness (median, p99,
# worst, and how many wake-ups were over 50 ms) with the sweep, and again with the machine idle of
# pipelab for reference (other work on the machine shows in both). Run as root (the real-time
# class, the link and capture need it).
#
#   Benchmarks/latency-probe.sh [SECONDS] [PIPELAB]     (default 60, .build/release/pipelab)
set -eu
seconds=${1:-60}
pipelab=${2:-.build/release/pipelab}
work=$(mktemp -d)
trap 'kill "$sweep" 2>/dev/null || true; rm -rf "$work"' EXIT
gcc -O2 -Wall -Wextra -o "$work/latency-probe" "$(dirname "$0")/latency-probe.c"

summary() {
    sort -n "$1" | awk -v label="$2" '{ v[NR] = $1 } END {
        printf "%-34s %6d wake-ups  median %8.3f ms  p99 %8.3f ms  worst %8.3f ms  over 50 ms: %d\n", label, NR,
            v[int((NR + 1) / 2)] / 1000, v[int(NR * 0.99 + 0.999)] / 1000, v[NR] / 1000, over }
        { if ($1 > 50000) over++ }'
}

"$work/latency-probe" "$seconds" >"$work/idle"
# Repeats enough to outlast the probe; the sweep is stopped when the probe is done.
"$pipelab" sweep --db "$work/sweep.sqlite" --jobs 512 --transport tcp4 --peer close,close-unread \
    --sigpipe ignore --sleep 0,1ms --interval 1ns --sends 10000 --payload 1KiB --rtt 2ms --capture \
    --repeat 10000 --quiet >"$work/sweep.out" 2>&1 &
sweep=$!
sleep 5   # the workers start and the link and capture open
"$work/latency-probe" "$seconds" >"$work/loaded"
runs=$(sqlite3 "$work/sweep.sqlite" "SELECT COUNT(*) FROM runs;" 2>/dev/null || echo "?")
kill -INT "$sweep" 2>/dev/null || true
wait "$sweep" || true
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine counts in both lines)"
summary "$work/idle" "without pipelab"
summary "$work/loaded" "beside the sweep ($runs runs by its end)"
