#!/bin/sh
# Does the sleep-0 race depend on the SIGPIPE disposition? (issue 18, item 11; DESIGN.md, "Run
# validity": both sides pass one start barrier, so no harness detail tilts a race.)
# Runs the classic script at sleep 0 (peer close, 3 sends of 5 bytes) REPEATS times per disposition
# on tcp4 and unix, with pipelab (one shuffled sweep of every disposition, and one sweep per
# disposition: "pipelab-alone") and with the separate-process reference (race-reference.c, no
# shared code), and tests per transport whether the race's outcome is independent of the
# disposition: Pearson's chi-square (p from the chi-square distribution) and a permutation test
# of the same statistic (a Monte Carlo Freeman-Halton test). The outcome is the signature with what
# the disposition makes of SIGPIPE taken out (killed:SIGPIPE and +SIGPIPE read as EPIPE), since that
# differs by design; what remains is which send failed first and how: the race.
#
#   Benchmarks/race-independence.sh [REPEATS] [PIPELAB]     (default 200, .build/release/pipelab)
set -eu
repeats=${1:-200}
pipelab=${2:-.build/release/pipelab}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -O2 -Wall -Wextra -o "$work/race-reference" "$(dirname "$0")/race-reference.c"
# Both interleave the dispositions (the reference round-robin, pipelab in a shuffled order), so
# the machine's load drifting over the minutes does not pass for a difference between them.
for repeat in $(seq "$repeats"); do
    for transport in tcp4 unix; do
        for disposition in default ignore handler nosignal blocked; do
            "$work/race-reference" "$transport" "$disposition" 1 | sed "s/^/reference $transport $disposition all /"
        done
    done
done >"$work/outcomes"
"$pipelab" sweep --db "$work/pipelab.sqlite" --transport tcp4,unix --peer close --order shuffle \
    --sigpipe default,ignore,handler,nosignal,blocked --sleep 0 --sends 3 --payload 5 --repeat "$repeats" --quiet >/dev/null
sqlite3 -separator ' ' "$work/pipelab.sqlite" \
    "SELECT 'pipelab', transport, sigpipe, CASE WHEN peer_late = 1 THEN 'disturbed' ELSE 'undisturbed' END, signature FROM runs;" \
    >>"$work/outcomes"
# And as a user runs them: one sweep per disposition, in grid order, so that each worker's client
# makes runs of one disposition only (a run process's history is then that disposition's alone).
for disposition in default ignore handler nosignal blocked; do
    "$pipelab" sweep --db "$work/$disposition.sqlite" --transport tcp4,unix --peer close --sigpipe "$disposition" \
        --sleep 0 --sends 3 --payload 5 --repeat "$repeats" --quiet >/dev/null
    sqlite3 -separator ' ' "$work/$disposition.sqlite" \
        "SELECT 'pipelab-alone', transport, sigpipe, CASE WHEN peer_late = 1 THEN 'disturbed' ELSE 'undisturbed' END, signature FROM runs;" \
        >>"$work/outcomes"
done
python3 - "$work/outcomes" <<'PY'
import math, random, sys
from collections import Counter, defaultdict

def race(signature):
    tokens = signature.replace("killed:SIGPIPE", "EPIPE").replace("+SIGPIPE", "").split(",")
    first = next((i for i, t in enumerate(tokens) if t != "ok"), None)
    return "none failed" if first is None else f"#{first + 1} {tokens[first]}"

def chi_square(rows):
    columns = sorted({c for r in rows.values() for c in r})
    total = sum(sum(r.values()) for r in rows.values())
    column_sums = {c: sum(r[c] for r in rows.values()) for c in columns}
    statistic = 0.0
    for r in rows.values():
        n = sum(r.values())
        for c in columns:
            expected = n * column_sums[c] / total
            statistic += (r[c] - expected) ** 2 / expected
    return statistic, (len(rows) - 1) * (len(columns) - 1)

def upper_gamma_q(a, x):
    # Regularized upper incomplete gamma Q(a, x) (Numerical Recipes: series below a+1, else continued fraction).
    if x <= 0: return 1.0
    if x < a + 1:
        term = total = 1.0 / a
        n = a
        while abs(term) > abs(total) * 1e-15:
            n += 1
            term *= x / n
            total += term
        return 1.0 - total * math.exp(-x + a * math.log(x) - math.lgamma(a))
    b, c, d = x + 1 - a, 1e300, 1.0 / (x + 1 - a)
    h = d
    for i in range(1, 10000):
        an = -i * (i - a)
        b += 2
        d = an * d + b; d = 1e-300 if abs(d) < 1e-300 else d
        c = b + an / c; c = 1e-300 if abs(c) < 1e-300 else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15: break
    return math.exp(-x + a * math.log(x) - math.lgamma(a)) * h

def test(labelled):
    rows = defaultdict(Counter)
    for disposition, outcome in labelled: rows[disposition][outcome] += 1
    statistic, dof = chi_square(rows)
    if dof == 0: return rows, statistic, dof, 1.0, 1.0
    p = upper_gamma_q(dof / 2, statistic / 2)
    random.seed(18)
    dispositions = [d for d, _ in labelled]
    outcomes = [o for _, o in labelled]
    shuffles, as_extreme = 2000, 0
    for _ in range(shuffles):
        random.shuffle(outcomes)
        permuted = defaultdict(Counter)
        for d, o in zip(dispositions, outcomes): permuted[d][o] += 1
        if chi_square(permuted)[0] >= statistic - 1e-9: as_extreme += 1
    return rows, statistic, dof, p, (as_extreme + 1) / (shuffles + 1)

runs = defaultdict(list)
for line in open(sys.argv[1]):
    source, transport, disposition, validity, signature = line.split()
    runs[(source, transport, "all")].append((disposition, race(signature)))
    if source != "reference" and validity != "disturbed": runs[(source, transport, "undisturbed")].append((disposition, race(signature)))
for key in sorted(runs):
    source, transport, which = key
    rows, statistic, dof, p, permutation_p = test(runs[key])
    outcomes = sorted({o for r in rows.values() for o in r})
    print(f"{source} {transport} ({which} runs): chi-square {statistic:.2f}, {dof} df, p = {p:.3g}; permutation p = {permutation_p:.3g}")
    for disposition in ["default", "ignore", "handler", "nosignal", "blocked"]:
        r = rows.get(disposition, Counter())
        print(f"    {disposition:9} " + ", ".join(f"{o}: {r[o]}" for o in outcomes) + f"  (n = {sum(r.values())})")
PY
