#!/usr/bin/env bash
# pipelab's shipped benchmark: one invocation measures pipelab against its own C baselines on
# this machine, in the same run, and prints medians and ratios.
#
#   bash Benchmarks/run.sh [REPEATS]      (default 5 repetitions of each timed measurement)
#
# 1. builds the release binary and Benchmarks/baseline.c;
# 2. times the bare C classic loop (20,000 runs), its fork-per-run variant (5,000 runs) and its
#    fair-race variant (20,000 runs in pairs of a peer and a client process, as pipelab's runs
#    race at sleep 0, recording nothing: the cost of the race itself on this machine), in 2 pairs
#    per CPU as pipelab's default --jobs and in 16 pairs (the fastest of 2 to 16 when measured);
# 3. times `pipelab sweep` with 20,000 zero-sleep runs (tcp4, close, ignore, 3 sends) and with
#    5,000 runs whose disposition is `default` (each SIGPIPE kills the process that sends);
# 4. prints runs/s, the ratio pipelab / baseline for each pair (the zero-sleep sweep against both
#    the bare loop and the fair-race pairs), and the sweeps' peak memory;
# 5. compares the peak memory of a 100,000-run sweep with a 10,000-run sweep, checks that the
#    100,000-run sweep ran out of neither ports nor file descriptors;
# 6. times `pipelab report` on the 100,000-run database; then (Benchmarks/scale.sh) `report` on
#    1,000,000 runs and `compare` of two such sweeps (made by SQL from that sweep's runs), `merge`
#    of 10 × 100,000 runs against a hand-written ATTACH + INSERT … SELECT, and the no-op re-merge;
# 7. measures sleep accuracy with the default --jobs: at 1 ms, 10 ms and 100 ms, 100 runs each
#    (4 transports × 25 repeats), the share within 1 % + 100 µs of the request, the median and
#    worst error, and the runs the machine disturbed (peer_late), by reason;
# 8. the cost of `sweep --capture` per run (10,000 zero-sleep runs with and without), and the
#    throughput of an rtt sweep (20ms, 400 runs) against its ideal: Σ run durations ÷ the runs
#    that may be in flight (runs over the link are held to 2 per CPU, whatever --jobs says).
set -euo pipefail
cd "$(dirname "$0")/.."
REPEATS="${1:-5}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

swift build -c release --static-swift-stdlib --product pipelab >/dev/null
PIPELAB="$(swift build -c release --static-swift-stdlib --show-bin-path)/pipelab"
cc -O2 -o "$WORK/baseline" Benchmarks/baseline.c

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# Seconds and peak resident kilobytes of one command, as "SECONDS KB".
measure() { /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >/dev/null 2>"$WORK/stderr" || { cat "$WORK/stderr"; exit 1; }; cat "$WORK/time"; }

ZERO_SLEEP=(--transport tcp4 --peer close --sigpipe ignore --sleep 0 --sends 3 --payload 5 --quiet)
# A 1 ms sleep lets the peer's close and the RST settle, so SIGPIPE really kills (almost) every
# run's sending process; sleeping runs cost no CPU and overlap across --jobs.
KILLING=(--transport tcp4 --peer close --sigpipe default --sleep 1ms --sends 3 --payload 5 --jobs 16 --quiet)

declare -A SECONDS_OF RSS_OF
for i in $(seq "$REPEATS"); do
    SECONDS_OF[loop]+="$("$WORK/baseline" loop 20000 | awk '{ print $4 }') "
    SECONDS_OF[fork]+="$("$WORK/baseline" fork 5000 | awk '{ print $4 }') "
    "$WORK/baseline" pair 20000 >"$WORK/pair"; SECONDS_OF[pair]+="$(awk '{ print $4 }' "$WORK/pair") "
    "$WORK/baseline" pair 20000 16 >"$WORK/pair16"; SECONDS_OF[pair16]+="$(awk '{ print $4 }' "$WORK/pair16") "
    rm -f "$WORK"/z.sqlite*
    read -r s kb < <(measure "$PIPELAB" sweep "${ZERO_SLEEP[@]}" --repeat 20000 --db "$WORK/z.sqlite")
    SECONDS_OF[zero]+="$s "; RSS_OF[zero]+="$kb "
    rm -f "$WORK"/k.sqlite*
    read -r s kb < <(measure "$PIPELAB" sweep "${KILLING[@]}" --repeat 5000 --db "$WORK/k.sqlite")
    SECONDS_OF[kill]+="$s "; RSS_OF[kill]+="$kb "
done

rate() { echo "$1 $2" | awk '{ printf "%.0f", $1 / $2 }'; }
med() { echo "$1" | tr ' ' '\n' | grep . | median; }
loop_rate=$(rate 20000 "$(med "${SECONDS_OF[loop]}")"); fork_rate=$(rate 5000 "$(med "${SECONDS_OF[fork]}")")
pair_rate=$(rate 20000 "$(med "${SECONDS_OF[pair]}")"); pair16_rate=$(rate 20000 "$(med "${SECONDS_OF[pair16]}")")
zero_rate=$(rate 20000 "$(med "${SECONDS_OF[zero]}")"); kill_rate=$(rate 5000 "$(med "${SECONDS_OF[kill]}")")
killed=$(sqlite3 "$WORK/k.sqlite" "SELECT printf('%.1f', 100.0 * SUM(outcome = 'killed') / COUNT(*)) FROM runs")

echo "pipelab benchmark: medians of $REPEATS repetitions on $(nproc) CPUs, $(uname -r)"
printf '%-58s %8s runs/s\n' "C classic loop, 20,000 runs" "$loop_rate"
# The last repetition's runs in which a send failed: the pairs race as pipelab's runs do.
printf '%-58s %8s runs/s   ratio %.2f to the loop   (%s runs with a failed send)\n' "C fair-race pairs, 20,000 runs (nothing recorded)" \
    "$pair_rate" "$(echo "$pair_rate $loop_rate" | awk '{ print $1 / $2 }')" "$(awk '{ print $11 }' "$WORK/pair")"
printf '%-58s %8s runs/s   ratio %.2f to the loop   (%s runs with a failed send)\n' "  the same in 16 pairs" \
    "$pair16_rate" "$(echo "$pair16_rate $loop_rate" | awk '{ print $1 / $2 }')" "$(awk '{ print $11 }' "$WORK/pair16")"
printf '%-58s %8s runs/s   ratio %.2f   (%.2f to the pairs)   peak RSS %s KiB\n' "pipelab sweep, 20,000 zero-sleep runs (recorded)" \
    "$zero_rate" "$(echo "$zero_rate $loop_rate" | awk '{ print $1 / $2 }')" "$(echo "$zero_rate $pair_rate" | awk '{ print $1 / $2 }')" \
    "$(med "${RSS_OF[zero]}")"
printf '%-58s %8s runs/s\n' "C fork-per-run loop, 5,000 runs" "$fork_rate"
printf '%-58s %8s runs/s   ratio %.2f   peak RSS %s KiB   (%s%% killed by SIGPIPE)\n' \
    "pipelab sweep, 5,000 sigpipe=default runs (recorded)" "$kill_rate" \
    "$(echo "$kill_rate $fork_rate" | awk '{ print $1 / $2 }')" "$(med "${RSS_OF[kill]}")" "$killed"

# Signatures next to what `pipelab run` gives for the same cells.
echo "signatures of the zero-sleep sweep: $(sqlite3 "$WORK/z.sqlite" "SELECT group_concat(signature || ' ' || n, ', ') FROM (SELECT signature, COUNT(*) n FROM runs GROUP BY 1 ORDER BY 2 DESC)")"
echo "  pipelab run, same cell: $("$PIPELAB" run --json --sleep 0 | sed 's/.*"signature":"\([^"]*\)".*/\1/')"
echo "signatures of the default sweep:    $(sqlite3 "$WORK/k.sqlite" "SELECT group_concat(signature || ' ' || n, ', ') FROM (SELECT signature, COUNT(*) n FROM runs GROUP BY 1 ORDER BY 2 DESC)")"
echo "  pipelab run, same cell: $("$PIPELAB" run --json --sigpipe default --sleep 1ms | sed 's/.*"signature":"\([^"]*\)".*/\1/')"

# Memory must stay flat: the sweep streams its runs, it does not hold them.
read -r s10 kb10 < <(measure "$PIPELAB" sweep "${ZERO_SLEEP[@]}" --repeat 10000 --db "$WORK/m10.sqlite")
read -r s100 kb100 < <(measure "$PIPELAB" sweep "${ZERO_SLEEP[@]}" --repeat 100000 --db "$WORK/m100.sqlite")
printf 'peak RSS: 10,000-run sweep %s KiB, 100,000-run sweep %s KiB, ratio %.2f (target <= 1.25)\n' "$kb10" "$kb100" \
    "$(echo "$kb100 $kb10" | awk '{ print $1 / $2 }')"
echo "100,000-run sweep: $(sqlite3 "$WORK/m100.sqlite" "SELECT COUNT(*) || ' runs, ' || TOTAL(outcome = 'harness-error') || ' harness errors, ' || TOTAL(IFNULL(harness_error, '') LIKE '%EADDRNOTAVAIL%' OR IFNULL(harness_error, '') LIKE '%EMFILE%') || ' EADDRNOTAVAIL/EMFILE' FROM runs") in ${s100} s"

REPORT_TIMES=""
for i in $(seq "$REPEATS"); do
    read -r s kb < <(measure "$PIPELAB" report latest --db "$WORK/m100.sqlite" --out "$WORK/report.md")
    REPORT_TIMES+="$s "
done
printf 'pipelab report on 100,000 runs: median %s s (target < 2 s)\n' "$(med "$REPORT_TIMES")"
source Benchmarks/scale.sh
scale_benchmark "$PIPELAB" "$WORK/m100.sqlite" "$WORK" "$REPEATS"

for sleep in 1ms 10ms 100ms; do
    rm -f "$WORK"/acc.sqlite*
    "$PIPELAB" sweep --transport tcp4,tcp6,unix,pipe --peer close --sigpipe ignore --sleep "$sleep" --sends 3 --payload 5 \
        --repeat 25 --quiet --db "$WORK/acc.sqlite" >/dev/null
    sqlite3 "$WORK/acc.sqlite" "
        WITH e AS (SELECT slept_ns - sleep_ns AS err, sleep_ns / 100 + 100000 AS tol,
                          ROW_NUMBER() OVER (ORDER BY slept_ns - sleep_ns) AS n, COUNT(*) OVER () AS total FROM runs)
        SELECT printf('sleep accuracy at %-5s (default --jobs %s): %d of %d runs within 1 %% + 100 us, median error %.1f us, max %.1f us, %d disturbed%s',
                      '$sleep', (SELECT json_extract(spec, '\$.jobs') FROM sweeps), SUM(ABS(err) <= tol), COUNT(*),
                      MAX(CASE WHEN n = (total + 1) / 2 THEN err END) / 1e3, MAX(err) / 1e3,
                      (SELECT SUM(peer_late) FROM runs),
                      (SELECT IFNULL(' (' || group_concat(reason || ' ' || n, ', ') || ')', '') FROM
                          (SELECT disturbance_reason AS reason, COUNT(*) AS n FROM runs WHERE peer_late = 1 GROUP BY 1 ORDER BY 2 DESC)))
        FROM e"
done

CAPTURE_COST=""
for i in $(seq "$REPEATS"); do
    rm -f "$WORK"/c0.sqlite* "$WORK"/c1.sqlite*
    read -r plain kb < <(measure "$PIPELAB" sweep "${ZERO_SLEEP[@]}" --repeat 10000 --db "$WORK/c0.sqlite")
    read -r captured kb < <(measure "$PIPELAB" sweep "${ZERO_SLEEP[@]}" --repeat 10000 --capture --db "$WORK/c1.sqlite")
    CAPTURE_COST+="$(echo "$captured $plain" | awk '{ print ($1 - $2) / 10000 * 1e6 }') "
done
printf 'capture: median %.1f us more per zero-sleep run (%s packets per run)\n' "$(med "$CAPTURE_COST")" \
    "$(sqlite3 "$WORK/c1.sqlite" "SELECT printf('%.1f', 1.0 * (SELECT COUNT(*) FROM packets) / COUNT(*)) FROM runs")"

rm -f "$WORK"/rtt.sqlite*
read -r s kb < <(measure "$PIPELAB" sweep --transport tcp4 --peer close --sigpipe ignore --sleep 100ms --sends 3 --payload 5 \
    --rtt 20ms --interval 5ms --repeat 400 --jobs 32 --quiet --db "$WORK/rtt.sqlite")
link_jobs=$(( 2 * $(nproc) < 32 ? 2 * $(nproc) : 32 ))
printf 'rtt sweep (20ms, 400 runs, --jobs 32, %s over the link at once): %s s, ideal %s s (sum of run durations / %s), throughput %s of ideal\n' \
    "$link_jobs" "$s" \
    "$(sqlite3 "$WORK/rtt.sqlite" "SELECT printf('%.2f', SUM(duration_ns) / 1e9 / $link_jobs) FROM runs")" "$link_jobs" \
    "$(sqlite3 "$WORK/rtt.sqlite" "SELECT printf('%.2f', SUM(duration_ns) / 1e9 / $link_jobs / $s) FROM runs")"
