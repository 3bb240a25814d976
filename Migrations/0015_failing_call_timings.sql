-- pipelab schema version 15: each run records the timings of its first failing send (issue 22),
-- so a report over a million runs reads them from two indexes instead of looking up two steps
-- of every failing run. `failing_call_ns` is that send's duration (NULL when it never returned:
-- the process died or hung in it, or no send failed); `peer_end_to_error_ns` is the time from the
-- start of the peer's first ending call (close, shutdown, or setsockopt for SO_LINGER) to that
-- send's return (NULL without such a call or without a return). Both are what the view
-- `failing_calls` derives from the steps; existing runs are filled from their steps here.
-- The indexes hold the runs a report times (pipelab's own client, undisturbed, a failing send
-- that returned) in the order of each timing, so a percentile is a position in one of them; the
-- columns of their condition come last, so a query that states it reads the index alone.

ALTER TABLE runs ADD COLUMN failing_call_ns INTEGER;
ALTER TABLE runs ADD COLUMN peer_end_to_error_ns INTEGER;

UPDATE runs SET
    failing_call_ns = (SELECT f.duration_ns FROM steps f WHERE f.run_id = runs.id AND f.send_number = runs.first_failing_send),
    peer_end_to_error_ns = (
        SELECT f.start_ns + f.duration_ns - (SELECT MIN(p.start_ns) FROM steps p
                                             WHERE p.run_id = runs.id AND p.actor = 'peer' AND p.op IN ('close', 'shutdown', 'setsockopt'))
        FROM steps f WHERE f.run_id = runs.id AND f.send_number = runs.first_failing_send)
WHERE first_failing_send IS NOT NULL;

CREATE INDEX runs_by_failing_call ON runs (sweep_id, transport, first_errno_name, failing_call_ns, client, peer_late)
    WHERE client = 'harness' AND peer_late = 0 AND failing_call_ns IS NOT NULL;
CREATE INDEX runs_by_peer_end_to_error ON runs (sweep_id, transport, first_errno_name, peer_end_to_error_ns, client, peer_late, failing_call_ns)
    WHERE client = 'harness' AND peer_late = 0 AND failing_call_ns IS NOT NULL AND peer_end_to_error_ns IS NOT NULL;
