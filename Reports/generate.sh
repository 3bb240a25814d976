#!/usr/bin/env bash
# Regenerates every report in Reports/ from real sweeps made with the release binary on this
# machine. Reports are never edited by hand: change this script and run it again.
#
#   bash Reports/generate.sh
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --static-swift-stdlib --product pipelab >/dev/null
PIPELAB="$(swift build -c release --static-swift-stdlib --show-bin-path)/pipelab"
REPORTS="$PWD/Reports"
# Charts are named after their report (default-heatmap.svg, …): none is left from an older run.
rm -f Reports/*.svg
# The sweeps run in a folder of their own, into its pipelab.sqlite, with the spec file at the path
# the repository has: the command lines they record, which the reports print, name no path of
# this machine.
WORK="$(mktemp -d)"
mkdir "$WORK/Examples" && cp Examples/race-window.json "$WORK/Examples/"
cd "$WORK"

# The built-in default grid: every value of every dimension.
# --capture: the sequence diagrams draw each TCP run's packets between the lanes.
"$PIPELAB" sweep --name default --capture --quiet >/dev/null
"$PIPELAB" report default --out "$REPORTS"/default.md >/dev/null

# The race window: where the outcome stops being deterministic as the sleep shrinks.
"$PIPELAB" sweep --spec Examples/race-window.json --quiet >/dev/null
"$PIPELAB" report race-window --out "$REPORTS"/race-window.md >/dev/null

# Two sweeps of the built-in grid's transports, peers, dispositions and payloads with only settled
# sleeps (10ms, 1s), compared: on one machine no cell may differ. Sleep 0 is left out because there
# the client and the peer race. (A flag replaces the built-in grid by the classic case in the other
# dimensions, so every dimension is named.)
SETTLED=(--transport tcp4,tcp6,unix,pipe --peer close,shutdown-wr,shutdown-rdwr,linger0,close-unread
         --sigpipe default,ignore,handler,nosignal,blocked --payload 5,64KiB --sleep 10ms,1s)
"$PIPELAB" sweep --name settled-a "${SETTLED[@]}" --quiet >/dev/null
"$PIPELAB" sweep --name settled-b "${SETTLED[@]}" --quiet >/dev/null
"$PIPELAB" compare settled-a settled-b --out "$REPORTS"/settled-a-vs-settled-b.md

# A real link: the classic case over emulated round trips, sends back to back or apart. Over a
# link every send made before the RST provoked by send #2 is back succeeds: the failure moves later.
"$PIPELAB" sweep --name real-link --transport tcp4 --peer close --sigpipe ignore --sleep 100ms --sends 10 --payload 5 \
    --rtt 0,1ms,20ms,100ms --interval 0,5ms,20ms --repeat 3 --capture --quiet >/dev/null
"$PIPELAB" report real-link --out "$REPORTS"/real-link.md >/dev/null

# A lossy link: the same 20 ms link with and without 10 % loss, a close and an abortive close, a
# sleep the round trip outlasts and one it does not. Runs over a lossy link are always captured.
"$PIPELAB" sweep --name lossy-link --transport tcp4 --peer close,linger0 --sigpipe ignore --sleep 1ms,50ms --sends 3 --payload 5 \
    --rtt 20ms --loss 0,10% --repeat 20 --capture --quiet >/dev/null
"$PIPELAB" report lossy-link --out "$REPORTS"/lossy-link.md >/dev/null

# Real programs in their own runtimes: every shipped client installed here (a missing runtime is
# left out with its reason), beside pipelab's own, against a close and an abortive close, with
# each disposition (a handler does not survive exec: left out for real programs), at a settled
# sleep and at none (races, at the traced pace). Few runs in flight: a JVM starting under strace
# takes a CPU for a while.
"$PIPELAB" sweep --name runtimes --client harness,c,python,node,perl,java,go,rust --transport tcp4 --peer close,linger0 \
    --sigpipe default,ignore,handler,blocked --sleep 0,100ms --repeat 5 --jobs 4 --timeout 30s --quiet >/dev/null
"$PIPELAB" report runtimes --out "$REPORTS"/runtimes.md >/dev/null

echo "wrote Reports/default.md, Reports/race-window.md, Reports/settled-a-vs-settled-b.md, Reports/real-link.md, Reports/lossy-link.md, Reports/runtimes.md (database: $WORK/pipelab.sqlite)"
