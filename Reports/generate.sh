#!/usr/bin/env bash
# Regenerates every report in Reports/ from real sweeps made with the release binary on this
# machine. Reports are never edited by hand: change this script and run it again.
#
#   bash Reports/generate.sh
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --static-swift-stdlib --product pipelab >/dev/null
PIPELAB="$(swift build -c release --static-swift-stdlib --show-bin-path)/pipelab"
DB="$(mktemp -d)/reports.sqlite"
# Charts are named after their report (default-heatmap.svg, …): none is left from an older run.
rm -f Reports/*.svg

# The built-in default grid: every value of every dimension.
"$PIPELAB" sweep --name default --quiet --db "$DB" >/dev/null
"$PIPELAB" report default --db "$DB" --out Reports/default.md >/dev/null

# The race window: where the outcome stops being deterministic as the sleep shrinks.
"$PIPELAB" sweep --spec Examples/race-window.json --quiet --db "$DB" >/dev/null
"$PIPELAB" report race-window --db "$DB" --out Reports/race-window.md >/dev/null

# Two sweeps of the default grid with only settled sleeps (10ms, 1s), compared: on one machine
# they must come out equal. Sleep 0 is left out because there the client and the peer race.
"$PIPELAB" sweep --name settled-a --sleep 10ms,1s --quiet --db "$DB" >/dev/null
"$PIPELAB" sweep --name settled-b --sleep 10ms,1s --quiet --db "$DB" >/dev/null
"$PIPELAB" compare settled-a settled-b --db "$DB" --out Reports/settled-a-vs-settled-b.md

# A real link: the classic case over emulated round trips, sends back to back or apart. Over a
# link every send made before the RST provoked by send #2 is back succeeds: the failure moves later.
"$PIPELAB" sweep --name real-link --transport tcp4 --peer close --sigpipe ignore --sleep 100ms --sends 10 --payload 5 \
    --rtt 0,1ms,20ms,100ms --interval 0,5ms,20ms --repeat 3 --capture --quiet --db "$DB" >/dev/null
"$PIPELAB" report real-link --db "$DB" --out Reports/real-link.md >/dev/null

echo "wrote Reports/default.md, Reports/race-window.md, Reports/settled-a-vs-settled-b.md, Reports/real-link.md (database: $DB)"
