#!/usr/bin/env bash
# Proof with a real scheduler on one machine (as root, Debian: apt-get install slurm-wlm munge):
# starts a one-node Slurm cluster (munged, slurmctld, slurmd; config in a temporary directory),
# submits Examples/slurm/sweep-array.sbatch as a 4-task array, waits, merges the 4 databases,
# and checks that the merged group holds exactly the (cell, repeat) pairs of an unsharded sweep
# of the same spec, each once. Everything it starts is stopped at the end.
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
SlurmctldPort=16817
SlurmdPort=16818
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
for _ in $(seq 100); do sinfo -h -o %T 2>/dev/null | grep -qE '^idle' && break; sleep 0.2; done
sinfo

cd "$work"
mkdir -p shards   # Slurm writes each task's output there; it does not create the folder
job=$(sbatch --parsable --array=0-3 --cpus-per-task=1 --export=ALL,PIPELAB="$PIPELAB" "$repo/Examples/slurm/sweep-array.sbatch")
echo "submitted array job $job"
while squeue -h -j "$job" 2>/dev/null | grep -q .; do sleep 1; done
sacct -j "$job" 2>/dev/null || true
cat shards/slurm-*.out

"$PIPELAB" merge --db merged.sqlite shards/shard-*.sqlite
echo "merging again:"
"$PIPELAB" merge --db merged.sqlite shards/shard-*.sqlite
sqlite3 -header -column merged.sqlite "SELECT * FROM shard_groups"
"$PIPELAB" sweep --sleep 0,10ms --repeat 2 --name slurm-demo --quiet --db unsharded.sqlite > /dev/null

cells="transport, peer, sigpipe, sleep_ns, sends, payload_bytes, repeat_index"
check=$(sqlite3 merged.sqlite "ATTACH 'unsharded.sqlite' AS u;
    SELECT (SELECT COUNT(*) FROM runs),
           (SELECT COUNT(*) FROM (SELECT DISTINCT $cells FROM runs)),
           (SELECT COUNT(*) FROM u.runs),
           (SELECT COUNT(*) FROM (SELECT $cells FROM runs EXCEPT SELECT $cells FROM u.runs)),
           (SELECT COUNT(*) FROM (SELECT $cells FROM u.runs EXCEPT SELECT $cells FROM runs));")
IFS='|' read -r merged distinct unsharded extra missing <<< "$check"
echo "merged runs $merged (distinct (cell, repeat) $distinct), unsharded runs $unsharded, only in merged $extra, only in unsharded $missing"
"$PIPELAB" report --db merged.sqlite --out report.md
grep -A 9 '^## Shards' report.md
if [ "$merged" = "$unsharded" ] && [ "$distinct" = "$merged" ] && [ "$extra" = 0 ] && [ "$missing" = 0 ]; then
    echo "OK: the 4 Slurm shards together are exactly the unsharded sweep ($work)"
else
    echo "FAILED: the shards do not add up to the unsharded sweep ($work)"; exit 1
fi
