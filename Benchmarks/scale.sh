#!/usr/bin/env bash
# The million-run half of pipelab's benchmark (issue 22), sourced by run.sh after its 100,000-run
# sweep: `pipelab report` on 1,000,000 runs, `pipelab compare` of two 1,000,000-run sweeps,
# `pipelab merge` of 10 inputs of 100,000 runs against a hand-written ATTACH + INSERT … SELECT of
# the same rows, and a merge of the same 10 again (nothing to add).
#
#   scale_benchmark PIPELAB SWEEP.sqlite WORK REPEATS
#
# The million-run databases are not swept: SWEEP's runs and steps are copied by SQL as further
# repeats (repeat_index + k × repeats, new ids and UUIDs), so they hold real runs, ten times over.
# The 10 merge inputs are copies of SWEEP, each with UUIDs of its own, as if 10 machines had
# recorded it. Prints medians of REPEATS runs, peak RSS, and the peak temporary space: the
# bytes of the files SQLite opened in TMPDIR (it unlinks them as it opens them, so they are
# read through /proc/PID/fd while the command runs).

scale_median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# The column list of TABLE in DB without the columns named in the SQL list EXCEPT, each prefixed by PREFIX.
scale_columns() { sqlite3 "$1" "SELECT group_concat('$4' || name, ', ') FROM pragma_table_info('$2') WHERE name NOT IN ($3)"; }

# Every run of DB's first sweep and its steps copied FACTOR - 1 more times as further repeats.
scale_replicate() {
    local db=$1 factor=$2 runs steps last repeats
    runs=$(scale_columns "$db" runs "'id', 'uuid', 'repeat_index'" "")
    steps=$(scale_columns "$db" steps "'run_id'" "")
    read -r last repeats < <(sqlite3 -separator ' ' "$db" "SELECT MAX(id), MAX(repeat_index) + 1 FROM runs")
    sqlite3 "$db" >/dev/null <<SQL
BEGIN;
WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < $factor - 1)
INSERT INTO runs (id, uuid, repeat_index, $runs)
SELECT r.id + k.n * $last, r.uuid || '-' || k.n, r.repeat_index + k.n * $repeats, $(scale_columns "$db" runs "'id', 'uuid', 'repeat_index'" r.)
FROM k, runs r WHERE r.id <= $last ORDER BY k.n, r.id;
WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < $factor - 1)
INSERT INTO steps (run_id, $steps) SELECT s.run_id + k.n * $last, $(scale_columns "$db" steps "'run_id'" s.)
FROM k, steps s WHERE s.run_id <= $last ORDER BY k.n, s.run_id, s.seq;
UPDATE sweeps SET planned_runs = planned_runs * $factor;
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
}

# A second sweep in DB with the first one's runs and steps (new ids and UUIDs): two sweeps to compare.
scale_second_sweep() {
    local db=$1 last
    last=$(sqlite3 "$db" "SELECT MAX(id) FROM runs")
    sqlite3 "$db" >/dev/null <<SQL
BEGIN;
INSERT INTO sweeps (id, uuid, name, $(scale_columns "$db" sweeps "'id', 'uuid', 'name'" ""))
SELECT 2, uuid || '-b', 'second', $(scale_columns "$db" sweeps "'id', 'uuid', 'name'" "") FROM sweeps WHERE id = 1;
INSERT INTO runs (id, uuid, sweep_id, $(scale_columns "$db" runs "'id', 'uuid', 'sweep_id'" ""))
SELECT id + $last, uuid || '-b', 2, $(scale_columns "$db" runs "'id', 'uuid', 'sweep_id'" "") FROM runs WHERE sweep_id = 1 ORDER BY id;
INSERT INTO steps (run_id, $(scale_columns "$db" steps "'run_id'" ""))
SELECT run_id + $last, $(scale_columns "$db" steps "'run_id'" "") FROM steps WHERE run_id <= $last ORDER BY run_id, seq;
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
}

# The hand-written merge: ATTACH each input and INSERT … SELECT its rows, ids given anew and
# references mapped through the UUIDs, one transaction per input (OUT made by `pipelab migrate`).
scale_sql_merge() {
    local out=$1; shift
    local input
    for input in "$@"; do
        sqlite3 "$out" >/dev/null <<SQL
ATTACH 'file:$input?mode=ro' AS i;
BEGIN;
INSERT OR IGNORE INTO hosts ($(scale_columns "$out" hosts "'id'" "")) SELECT $(scale_columns "$out" hosts "'id'" s.) FROM i.hosts s;
INSERT INTO sweeps (host_id, $(scale_columns "$out" sweeps "'id', 'host_id'" ""))
SELECT (SELECT m.id FROM main.hosts m JOIN i.hosts x ON x.uuid = m.uuid WHERE x.id = s.host_id), $(scale_columns "$out" sweeps "'id', 'host_id'" s.) FROM i.sweeps s;
INSERT INTO skipped (sweep_id, $(scale_columns "$out" skipped "'sweep_id'" ""))
SELECT (SELECT m.id FROM main.sweeps m JOIN i.sweeps x ON x.uuid = m.uuid WHERE x.id = s.sweep_id), $(scale_columns "$out" skipped "'sweep_id'" s.) FROM i.skipped s;
INSERT INTO runs (sweep_id, $(scale_columns "$out" runs "'id', 'sweep_id'" ""))
SELECT (SELECT m.id FROM main.sweeps m JOIN i.sweeps x ON x.uuid = m.uuid WHERE x.id = s.sweep_id), $(scale_columns "$out" runs "'id', 'sweep_id'" s.) FROM i.runs s ORDER BY s.id;
INSERT INTO steps (run_id, $(scale_columns "$out" steps "'run_id'" ""))
SELECT m.id, $(scale_columns "$out" steps "'run_id'" s.) FROM i.steps s JOIN i.runs x ON x.id = s.run_id JOIN main.runs m ON m.uuid = x.uuid;
INSERT INTO packets (run_id, $(scale_columns "$out" packets "'run_id'" ""))
SELECT m.id, $(scale_columns "$out" packets "'run_id'" s.) FROM i.packets s JOIN i.runs x ON x.id = s.run_id JOIN main.runs m ON m.uuid = x.uuid;
COMMIT;
SQL
    done
}

# "SECONDS PEAK_RSS_KB PEAK_TEMP_KB" of one command, with TMPDIR set to a directory of its own.
scale_measure() {
    local work=$1; shift
    local tmp="$work/tmpdir" peak=0 pid bytes
    mkdir -p "$tmp"
    TMPDIR="$tmp" /usr/bin/time -f "%e %M" -o "$work/scale-time" "$@" >/dev/null 2>"$work/scale-stderr" &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        # find exits 1 when a process vanishes mid-walk; under pipefail that would end the script.
        bytes=$({ find /proc/[0-9]*/fd -lname "$tmp/*" -exec stat -L -c %s {} + 2>/dev/null || true; } | awk '{ s += $1 } END { print s + 0 }')
        (( bytes > peak )) && peak=$bytes
        sleep 0.02
    done
    wait "$pid" || { cat "$work/scale-stderr"; return 1; }
    echo "$(cat "$work/scale-time") $((peak / 1024))"
}

scale_benchmark() {
    local pipelab=$1 sweep=$2 work=$3 repeats=$4 i s kb tmp
    local million="$work/million.sqlite" pair="$work/pair.sqlite"
    cp "$sweep" "$million"
    sqlite3 "$million" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
    scale_replicate "$million" 10
    cp "$million" "$pair"
    scale_second_sweep "$pair"
    local size runs
    size=$(( $(stat -c %s "$million") / 1024 ))
    runs=$(sqlite3 "$million" "SELECT COUNT(*) FROM runs")

    local report_s="" report_kb="" report_tmp="" small_kb
    read -r s small_kb tmp < <(scale_measure "$work" "$pipelab" report 1 --db "$sweep" --out "$work/small.md")
    for i in $(seq "$repeats"); do
        read -r s kb tmp < <(scale_measure "$work" "$pipelab" report 1 --db "$million" --out "$work/million.md")
        report_s+="$s "; report_kb+="$kb "; report_tmp+="$tmp "
    done
    local med_tmp
    med_tmp=$(echo "$report_tmp" | tr ' ' '\n' | grep . | scale_median)
    printf 'pipelab report on %s runs (replicated by SQL, %s KiB): median %s s (target <= 2 s), peak RSS %s KiB (%s KiB on %s), temporary space %s KiB (%.3f of the database; target < 0.1)\n' \
        "$runs" "$size" "$(echo "$report_s" | tr ' ' '\n' | grep . | scale_median)" "$(echo "$report_kb" | tr ' ' '\n' | grep . | scale_median)" \
        "$small_kb" "$(basename "$sweep")" "$med_tmp" "$(echo "$med_tmp $size" | awk '{ print $1 / $2 }')"

    local compare_s="" compare_kb="" compare_tmp=""
    for i in $(seq "$repeats"); do
        read -r s kb tmp < <(scale_measure "$work" bash -c "'$pipelab' compare 1 2 --db '$pair' || [ \$? -le 2 ]")
        compare_s+="$s "; compare_kb+="$kb "; compare_tmp+="$tmp "
    done
    printf 'pipelab compare of two %s-run sweeps: median %s s (target <= 2 s), peak RSS %s KiB, temporary space %s KiB\n' "$runs" \
        "$(echo "$compare_s" | tr ' ' '\n' | grep . | scale_median)" "$(echo "$compare_kb" | tr ' ' '\n' | grep . | scale_median)" \
        "$(echo "$compare_tmp" | tr ' ' '\n' | grep . | scale_median)"

    local inputs=() merge_s="" sql_s="" noop_s=""
    for i in $(seq 10); do
        cp "$sweep" "$work/in-$i.sqlite"
        sqlite3 "$work/in-$i.sqlite" "PRAGMA wal_checkpoint(TRUNCATE); UPDATE sweeps SET uuid = uuid || '-$i'; UPDATE runs SET uuid = uuid || '-$i';" >/dev/null
        inputs+=("$work/in-$i.sqlite")
    done
    for i in $(seq "$repeats"); do
        rm -f "$work"/merged.sqlite* "$work"/sql.sqlite*
        "$pipelab" migrate --db "$work/sql.sqlite" >/dev/null
        read -r s kb tmp < <(scale_measure "$work" bash -c "$(declare -f scale_sql_merge scale_columns); scale_sql_merge '$work/sql.sqlite' ${inputs[*]}")
        sql_s+="$s "
        read -r s kb tmp < <(scale_measure "$work" "$pipelab" merge --db "$work/merged.sqlite" "${inputs[@]}")
        merge_s+="$s "
        read -r s kb tmp < <(scale_measure "$work" "$pipelab" merge --db "$work/merged.sqlite" "${inputs[@]}")
        noop_s+="$s "
    done
    local merge_med sql_med
    merge_med=$(echo "$merge_s" | tr ' ' '\n' | grep . | scale_median); sql_med=$(echo "$sql_s" | tr ' ' '\n' | grep . | scale_median)
    printf 'pipelab merge of 10 x %s runs: median %s s; hand-written ATTACH + INSERT ... SELECT of the same rows %s s; ratio %.2f (target >= 1.0)\n' \
        "$(sqlite3 "$sweep" "SELECT COUNT(*) FROM runs")" "$merge_med" "$sql_med" "$(echo "$sql_med $merge_med" | awk '{ print $1 / $2 }')"
    printf 'pipelab merge of the same 10 again (nothing to add): median %s s (target < 1 s); %s runs in the output\n' \
        "$(echo "$noop_s" | tr ' ' '\n' | grep . | scale_median)" "$(sqlite3 "$work/merged.sqlite" "SELECT COUNT(*) FROM runs")"
}
