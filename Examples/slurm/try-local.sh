#!/usr/bin/env bash
# Proof with a real scheduler on one machine (as root, Debian: apt-get install slurm-wlm munge):
# starts a one-node Slurm cluster (munged, slurmctld, slurmd; config in a temporary directory,
# on free ports), submits Examples/slurm/sweep-array.sbatch as a 4-task array, waits, merges the
# 4 databases, and checks that the merged group holds exactly the (cell, repeat) pairs of an
# unsharded sweep of the same spec, each once. Then day two, on a longer grid: one task is
# requeued mid-run (it continues its shard), one is cancelled mid-run and its index resubmitted
# alone (it continues its shard in the first submission's group), and the group is merged before
# and after, incrementally; each shard's sweeps.scheduler holds every attempt; `srun -n 2` inside
# an array task is refused by both tasks. Each check ends with OK. Everything it starts is
# stopped at the end.
#   Examples/slurm/try-local.sh [path/to/pipelab]
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
PIPELAB=$(realpath "${1:-$repo/.build/debug/pipelab}")
work=$(mktemp -d /tmp/pipelab-slurm.XXXXXX)
chmod 755 "$work"
conf="$work/etc"; mkdir -p "$conf" "$work/state" "$work/spool" "$work/run" "$work/munge"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT

# munge: a fresh key and a daemon of our own, on its own socket.
dd if=/dev/urandom of="$work/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$work/munge/munge.key"
socket="$work/munge/munge.socket"
munged --foreground --force --key-file="$work/munge/munge.key" --socket="$socket" \
    --pid-file="$work/munge/munged.pid" --log-file="$work/munge/munged.log" --seed-file="$work/munge/seed" 2> /dev/null &
pids+=($!)

host=$(hostname -s)
# Free ports, so a second try-local.sh (or a leftover daemon) does not collide with this one.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
ctld_port=$(free_port); slurmd_port=$(free_port)
cpus=$(nproc)
cat > "$conf/slurm.conf" <<CONF
ClusterName=pipelab-local
SlurmctldHost=$host
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/run/slurmctld.pid
SlurmdPidFile=$work/run/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
CONF
export SLURM_CONF="$conf/slurm.conf"
for _ in $(seq 50); do [ -S "$socket" ] && break; sleep 0.1; done

slurmctld -D -f "$SLURM_CONF" > "$work/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" > "$work/slurmd.out" 2>&1 &
pids+=($!)
up=no
for _ in $(seq 150); do sinfo -h -o %T 2>/dev/null | grep -qE '^idle' && { up=yes; break; }; sleep 0.2; done
if [ "$up" != yes ]; then
    echo "FAILED: the Slurm daemons did not come up; logs in $work (slurmctld.log, slurmd.log, munge/munged.log)"; exit 1
fi
sinfo

cd "$work"
mkdir -p shards   # Slurm writes each task's output there; it does not create the folder
submit() { sbatch --parsable --cpus-per-task=1 --requeue --open-mode=append --export=ALL,PIPELAB="$PIPELAB" "$@" "$repo/Examples/slurm/sweep-array.sbatch"; }
wait_for() { while squeue -h -j "$1" 2>/dev/null | grep -q .; do sleep 1; done; }
job=$(submit --array=0-3)
echo "submitted array job $job"
wait_for "$job"
cat shards/slurm-*.out

"$PIPELAB" merge --db merged.sqlite shards/shard-*.sqlite
echo "merging again:"
"$PIPELAB" merge --db merged.sqlite shards/shard-*.sqlite
sqlite3 -header -column merged.sqlite "SELECT * FROM shard_groups"
"$PIPELAB" sweep --sleep 0,10ms --repeat 2 --name slurm-demo --quiet --db unsharded.sqlite > /dev/null

# Every planned (cell, repeat) exactly once, the same set as the unsharded sweep's.
cells="transport, peer, sigpipe, sleep_ns, sends, payload_bytes, probe, interval_ns, rtt_ns, loss_percent, repeat_index"
verify() {   # merged unsharded what
    local check merged distinct unsharded extra missing
    check=$(sqlite3 "$1" "ATTACH '$2' AS u;
        SELECT (SELECT COUNT(*) FROM runs),
               (SELECT COUNT(*) FROM (SELECT DISTINCT $cells FROM runs)),
               (SELECT COUNT(*) FROM u.runs),
               (SELECT COUNT(*) FROM (SELECT $cells FROM runs EXCEPT SELECT $cells FROM u.runs)),
               (SELECT COUNT(*) FROM (SELECT $cells FROM u.runs EXCEPT SELECT $cells FROM runs));")
    IFS='|' read -r merged distinct unsharded extra missing <<< "$check"
    echo "merged runs $merged (distinct (cell, repeat) $distinct), unsharded runs $unsharded, only in merged $extra, only in unsharded $missing"
    if [ "$merged" = "$unsharded" ] && [ "$distinct" = "$merged" ] && [ "$extra" = 0 ] && [ "$missing" = 0 ]; then
        echo "OK: $3"
    else
        echo "FAILED: $3 ($work)"; exit 1
    fi
}
verify merged.sqlite unsharded.sqlite "the 4 Slurm shards together are exactly the unsharded sweep"
"$PIPELAB" report --db merged.sqlite --out report.md
grep -A 9 '^## Shards' report.md

# Day two: a grid long enough to interrupt (1 s sleeps, one run at a time), in a folder of its own.
mkdir -p "$work/day2/shards"; cd "$work/day2"
export PIPELAB_ARGS="--sleep 0,1s --repeat 12 --jobs 1"
"$PIPELAB" sweep --sleep 0,10ms --repeat 2 --name slurm-demo --quiet $PIPELAB_ARGS --db unsharded.sqlite > /dev/null
first_run() { until [ -f "$1" ] && [ "$(sqlite3 "$1" 'SELECT COUNT(*) FROM runs' 2>/dev/null || echo 0)" -gt 0 ]; do sleep 0.2; done; }
job=$(submit --array=0-3)
echo "day two: submitted array job $job"
first_run shards/shard-1.sqlite
echo "requeueing task 1 mid-run ($(sqlite3 shards/shard-1.sqlite 'SELECT COUNT(*) FROM runs') runs recorded)"
scontrol requeue "${job}_1"
echo "(Slurm makes a requeued job eligible again about 2 minutes later)"
first_run shards/shard-2.sqlite
echo "cancelling task 2 mid-run ($(sqlite3 shards/shard-2.sqlite 'SELECT COUNT(*) FROM runs') runs recorded)"
scancel "${job}_2"
wait_for "$job"
echo "task 1's log (both attempts):"; cat "shards/slurm-${job}_1.out"
sqlite3 shards/shard-1.sqlite "SELECT 'shard-1.sqlite: ' || COUNT(*) || ' sweep(s), ' || group_concat(status) || ', scheduler ' || group_concat(scheduler) FROM sweeps"
one=$(sqlite3 shards/shard-1.sqlite "SELECT COUNT(*) || '|' || MIN(status) || '|' || (SELECT COUNT(*) FROM runs) || '|' || (SELECT COUNT(*) FROM (SELECT DISTINCT $cells FROM runs)) || '|' || MIN(planned_runs) FROM sweeps")
IFS='|' read -r sweeps status runs distinct planned <<< "$one"
if [ "$sweeps" = 1 ] && [ "$status" = completed ] && [ "$runs" = "$planned" ] && [ "$distinct" = "$runs" ]; then
    echo "OK: the requeued task continued its shard: one sweep, completed, $runs of $planned runs, each (cell, repeat) once"
else
    echo "FAILED: the requeued task's file holds $sweeps sweeps, $status, $runs runs ($distinct distinct) of $planned ($work)"; exit 1
fi

# Each attempt is recorded: the requeued task's two, the second with Slurm's restart count.
attempts=$(sqlite3 shards/shard-1.sqlite "SELECT json_array_length(scheduler) || '|' || (json_extract(scheduler, '\$[1].SLURM_RESTART_COUNT') IS NOT NULL) FROM sweeps")
if [ "$attempts" = "2|1" ]; then
    echo "OK: sweeps.scheduler of the requeued shard holds both attempts, the second with SLURM_RESTART_COUNT"
else
    echo "FAILED: sweeps.scheduler of the requeued shard: $attempts ($work)"; exit 1
fi

echo "merging before index 2 is rerun:"
"$PIPELAB" merge --db merged.sqlite shards/shard-*.sqlite
sqlite3 -header -column merged.sqlite "SELECT group_uuid, shard_count, shards_recorded, shards_completed, planned_runs, runs FROM shard_groups"
echo "resubmitting index 2 alone, in the first submission's campaign:"
again=$(PIPELAB_CAMPAIGN="$job" submit --array=2)
wait_for "$again"
cat "shards/slurm-${again}_2.out"
echo "merging again:"
"$PIPELAB" merge --db merged.sqlite shards/shard-*.sqlite
sqlite3 -header -column merged.sqlite "SELECT group_uuid, shard_count, shards_recorded, shards_completed, planned_runs, runs FROM shard_groups"
verify merged.sqlite unsharded.sqlite "after a requeue, a cancel and a resubmitted index, the merged group is exactly the unsharded sweep"
"$PIPELAB" merge --db once.sqlite shards/shard-*.sqlite > /dev/null
same=$(sqlite3 merged.sqlite "ATTACH 'once.sqlite' AS o;
    SELECT (SELECT COUNT(*) FROM (SELECT uuid, status, planned_runs FROM sweeps EXCEPT SELECT uuid, status, planned_runs FROM o.sweeps))
         + (SELECT COUNT(*) FROM (SELECT uuid FROM runs EXCEPT SELECT uuid FROM o.runs))
         + (SELECT COUNT(*) FROM (SELECT uuid FROM o.runs EXCEPT SELECT uuid FROM runs));")
if [ "$same" = 0 ]; then
    echo "OK: merging before and after equals merging once at the end (same sweeps, statuses and runs)"
else
    echo "FAILED: the incremental merge differs from one merge at the end in $same rows ($work)"; exit 1
fi
attempts=$(sqlite3 shards/shard-2.sqlite "SELECT json_array_length(scheduler) || '|' || (json_extract(scheduler, '\$[0].SLURM_JOB_ID') != json_extract(scheduler, '\$[1].SLURM_JOB_ID')) FROM sweeps")
if [ "$attempts" = "2|1" ]; then
    echo "OK: sweeps.scheduler of the resubmitted shard holds the cancelled attempt and the resubmission, each with its job id"
else
    echo "FAILED: sweeps.scheduler of the resubmitted shard: $attempts ($work)"; exit 1
fi

# A job step of two tasks inside an array task is refused by each task, and writes nothing.
step=$(sbatch --parsable --array=0 --ntasks=2 --cpus-per-task=1 --output=step-%a.out --export=ALL \
    --wrap "srun -n 2 '$PIPELAB' sweep --shard auto --shards 4 --name slurm-demo --quiet --db step.sqlite")
wait_for "$step"
refusals=$(grep -c '^pipelab: SLURM_STEP_NUM_TASKS: 2 tasks of one Slurm job step' step-0.out || true)
if [ "$refusals" = 2 ] && [ ! -e step.sqlite ]; then
    echo "OK: srun -n 2 inside an array task is refused by both tasks, naming SLURM_STEP_NUM_TASKS; nothing written"
else
    echo "FAILED: srun -n 2 gave $refusals refusals ($work/day2/step-0.out)"; exit 1
fi
