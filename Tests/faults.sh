#!/usr/bin/env bash
# Fault injection against the real pipelab binary (docs/internals.md, "Fault contract"):
#   20 random kills (SIGINT, SIGTERM, SIGKILL) of sweeps, each resumed to completion and checked
#   (PRAGMA integrity_check, no duplicate (cell, repeat), every run with its steps, no orphan
#   worker); a full disk on a small tmpfs and a read-only file and directory (root only: a tmpfs
#   mount), then resumed once there is space; two concurrent resumes.
# No stray-connection flood: a worker's sockets live in a network namespace of its own, which no
# stray from the host reaches (IsolationTests); only root entering that namespace could connect,
# and root can end the worker outright. (Before workers kept their listeners, 70,000 connects by
# root from inside one worker's namespace reached no listener in 300 runs: the flood tested
# nothing.) On the host's loopback (no namespaces) WorkerFaultTests floods the workers; the
# listener's reset of a stray is StrayConnectionTests'.
# Prints ONE summary line; exits 0 when every check passed.
#   Tests/faults.sh [PATH-TO-PIPELAB]   (default: the newer of .build/release/pipelab and .build/debug/pipelab)
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
pipelab=${1:-}
if [[ -z $pipelab ]]; then
    # The newer of the two builds: a stale release binary must not stand in for today's code.
    pipelab=$(ls -t "$root/.build/release/pipelab" "$root/.build/debug/pipelab" 2>/dev/null | head -1)
fi
[[ -x ${pipelab:-} ]] || { echo "faults.sh: no pipelab binary (build first, or pass its path)" >&2; exit 2; }
command -v sqlite3 >/dev/null || { echo "faults.sh: needs the sqlite3 shell" >&2; exit 2; }

work=$(mktemp -d /tmp/pipelab-faults.XXXXXX)
mounts=()
cleanup() {
    for m in "${mounts[@]}"; do umount -l "$m" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT

passed=0 failed=0 failures=()
check() {  # check NAME CONDITION-STATUS
    if [[ $2 == 0 ]]; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("$1"); fi
}
q() { sqlite3 "$1" "$2"; }

orphans_of() {  # processes still running in worker mode for recorder $1
    local count=0 p
    for p in /proc/[0-9]*; do
        tr '\0' ' ' 2>/dev/null < "$p/cmdline" | grep -q -- "worker --recorder $1 " && count=$((count + 1))
    done
    echo "$count"
}

# The consistency of a database after its sweeps ended; prints what is wrong, if anything.
consistency() {
    local db=$1 problems=""
    [[ $(q "$db" "PRAGMA integrity_check;") == ok ]] || problems+=" integrity"
    local dup missing steps
    dup=$(q "$db" "SELECT COUNT(*) FROM (SELECT 1 FROM runs GROUP BY sweep_id, transport, peer, sigpipe, sleep_ns, sends, payload_bytes, repeat_index HAVING COUNT(*) > 1);")
    [[ $dup == 0 ]] || problems+=" duplicates=$dup"
    # Whole runs: one send step per signature token (a killed run's fatal send has a NULL result).
    steps=$(q "$db" "SELECT COUNT(*) FROM runs r WHERE outcome != 'harness-error' AND (SELECT COUNT(*) FROM steps s WHERE s.run_id = r.id AND s.send_number IS NOT NULL) != length(r.signature) - length(replace(r.signature, ',', '')) + 1;")
    [[ $steps == 0 ]] || problems+=" runs-without-their-steps=$steps"
    missing=$(q "$db" "SELECT COUNT(*) FROM sweeps s WHERE status != 'completed' OR planned_runs != (SELECT COUNT(*) FROM runs r WHERE r.sweep_id = s.id);")
    [[ $missing == 0 ]] || problems+=" incomplete-sweeps=$missing"
    echo "$problems"
}

# About 2 s of runs: 240 planned, half of them sleeping 50 ms.
sweep_args=(--transport tcp4,unix,pipe --peer close,linger0 --sigpipe ignore,default --sleep 0,50ms --sends 3 --payload 5 --repeat 10 --jobs 4 --quiet)

# 1. Random kills, each resumed to completion.
declare -A by_signal=([INT]=0 [TERM]=0 [KILL]=0)
kill_problems=0 orphan_total=0
for i in $(seq 1 20); do
    db="$work/kill-$i.sqlite"
    signal=$(shuf -n1 -e INT TERM KILL)
    by_signal[$signal]=$((by_signal[$signal] + 1))
    "$pipelab" sweep "${sweep_args[@]}" --db "$db" >/dev/null 2>&1 &
    recorder=$!
    sleep "$(shuf -i 0-1500 -n1 | awk '{ print $1 / 1000 }')"
    kill "-$signal" "$recorder" 2>/dev/null
    { wait "$recorder"; } 2>/dev/null
    status=$?
    sleep 0.2  # workers die with their recorder (PR_SET_PDEATHSIG)
    orphans=$(orphans_of "$recorder")
    orphan_total=$((orphan_total + orphans))
    # A sweep killed outright stays `running`: it is resumed by id, and its dead holder's lease is taken over.
    for _ in 1 2 3; do
        [[ -f $db ]] || break
        [[ $(q "$db" "SELECT COUNT(*) FROM sweeps WHERE status != 'completed';") == 0 ]] && break
        "$pipelab" sweep --resume "$(q "$db" "SELECT MIN(id) FROM sweeps WHERE status != 'completed';")" --quiet --db "$db" >/dev/null 2>"$work/resume.err" \
            || cat "$work/resume.err" >&2
    done
    problems=""
    [[ -f $db ]] && problems=$(consistency "$db")
    # Exit 0: the sweep had finished before the signal came.
    case $signal:$status in INT:130|TERM:130|KILL:137|*:0) ;; *) problems+=" exit=$status" ;; esac
    [[ $orphans == 0 ]] || problems+=" orphans=$orphans"
    [[ -z $problems ]] || { kill_problems=$((kill_problems + 1)); echo "kill $i ($signal): $problems" >&2; }
    check "kill-$i-$signal" "$([[ -z $problems ]]; echo $?)"
done

# 2. Disk full, a read-only file and a read-only directory: tmpfs mounts, root only.
disk=skipped kept=- resumed=- rofile=skipped rodir=skipped
if [[ $(id -u) == 0 ]]; then
    # 4,000 zero-sleep runs need about 4 MB: a 1 MB disk fills after some batches were committed.
    mnt="$work/full" && mkdir -p "$mnt" && mount -t tmpfs -o size=1m tmpfs "$mnt" && mounts+=("$mnt")
    db="$mnt/lab.sqlite"
    "$pipelab" sweep --transport unix,tcp4 --sleep 0 --repeat 2000 --quiet --db "$db" >/dev/null 2>"$work/full.err"
    disk=$?
    kept=$(q "$db" "SELECT COUNT(*) FROM runs;")
    problems=$(consistency "$db")
    # Refused with one line about the disk; the runs of the committed batches kept, whole; the
    # sweep interrupted, not completed (its runs are not all there).
    [[ $disk == 73 && $(wc -l < "$work/full.err") == 1 ]] && grep -q "disk is full" "$work/full.err" \
        && [[ $kept -gt 0 && $problems == " incomplete-sweeps=1" \
              && $(q "$db" "SELECT status FROM sweeps;") == interrupted ]]
    check disk-full $?
    # The line says `--resume` finishes the sweep once there is space: it must.
    mount -o remount,size=16m "$mnt"
    "$pipelab" sweep --resume 1 --quiet --db "$db" >/dev/null 2>&1
    resumed=$?
    check disk-full-resumed "$([[ $resumed == 0 && -z $(consistency "$db") ]]; echo $?)"

    mnt="$work/ro" && mkdir -p "$mnt" && mount -t tmpfs -o size=4m tmpfs "$mnt" && mounts+=("$mnt")
    "$pipelab" run --transport unix --sleep 0 --db "$mnt/lab.sqlite" >/dev/null
    mount -o remount,ro "$mnt"
    "$pipelab" run --transport unix --sleep 0 --db "$mnt/lab.sqlite" >/dev/null 2>&1
    rofile=$?
    "$pipelab" report --db "$mnt/lab.sqlite" >/dev/null
    roread=$?
    check read-only-file "$([[ $rofile == 73 && $roread == 0 ]]; echo $?)"
    "$pipelab" sweep --transport unix --sleep 0 --repeat 1 --quiet --db "$mnt/new.sqlite" >/dev/null 2>&1
    rodir=$?
    check read-only-directory "$([[ $rodir == 73 && ! -e $mnt/new.sqlite ]]; echo $?)"
fi

# 3. Two resumes of one interrupted sweep at once: one runs it, the other is refused (75).
db="$work/twice.sqlite"
"$pipelab" sweep --transport tcp4,unix --peer close --sigpipe ignore,handler --sleep 300ms --repeat 10 --jobs 4 --quiet --db "$db" >/dev/null 2>&1 &
recorder=$!
sleep 1
kill -INT "$recorder"
wait "$recorder"
"$pipelab" sweep --resume 1 --quiet --db "$db" >/dev/null 2>&1 & first=$!
"$pipelab" sweep --resume 1 --quiet --db "$db" >/dev/null 2>&1 & second=$!
wait "$first"; a=$?
wait "$second"; b=$?
resumes=$(printf '%s\n' "$a" "$b" | sort -n | paste -sd/)
check concurrent-resumes "$([[ $resumes == 0/75 && -z $(consistency "$db") ]]; echo $?)"

echo "faults.sh: $passed passed, $failed failed; kills INT=${by_signal[INT]} TERM=${by_signal[TERM]} KILL=${by_signal[KILL]} resumed to completion $((20 - kill_problems))/20, orphan workers $orphan_total; disk full exit $disk ($kept runs kept, resumed exit $resumed); read-only file exit $rofile, directory exit $rodir; concurrent resumes exit $resumes${failures:+; failed: ${failures[*]}}"
[[ $failed == 0 ]]
