-- pipelab schema version 6: real networks (DESIGN.md, "Network: isolation and emulated links").
-- sweeps gains `isolation` (where its experiments ran: 'netns', a network namespace per worker, or
-- 'host', the host's loopback; NULL for sweeps recorded before this version). runs gains three
-- cell parameters, `interval_ns` (pause between the client's later sends), `rtt_ns` (round-trip
-- time of the emulated link; 0 = plain loopback) and `loss_percent` (per-packet loss on that link,
-- each direction: a REAL percent, always a whole number of hundredths, 0.01 % steps), and
-- `loss_seed`, the seed the link drew its losses from (NULL without loss). Old runs ran with all
-- three at 0, which the defaults say. A cell now includes them: the unique index that names a cell
-- and every view that groups by one are made anew with them; runs keeps its ids.

ALTER TABLE sweeps ADD COLUMN isolation TEXT CHECK (isolation IN ('netns', 'host'));

ALTER TABLE runs ADD COLUMN interval_ns INTEGER NOT NULL DEFAULT 0 CHECK (interval_ns >= 0);
ALTER TABLE runs ADD COLUMN rtt_ns INTEGER NOT NULL DEFAULT 0 CHECK (rtt_ns >= 0);
ALTER TABLE runs ADD COLUMN loss_percent REAL NOT NULL DEFAULT 0 CHECK (loss_percent >= 0 AND loss_percent <= 100);
ALTER TABLE runs ADD COLUMN loss_seed INTEGER;

DROP INDEX runs_by_cell;
CREATE UNIQUE INDEX runs_by_cell ON runs (sweep_id, transport, peer, sigpipe, sleep_ns, sends, payload_bytes, probe,
                                          interval_ns, rtt_ns, loss_percent, repeat_index);

DROP VIEW run_details;
DROP VIEW cell_signatures;
DROP VIEW nondeterministic_cells;
DROP VIEW cell_outcomes;
DROP VIEW failing_calls;
DROP VIEW disturbed_runs;

CREATE VIEW run_details AS
SELECT r.id AS run_id, r.uuid AS run_uuid, s.id AS sweep_id, s.uuid AS sweep_uuid, s.name AS sweep_name,
       h.hostname, h.kernel, s.isolation,
       r.transport, r.peer, r.sigpipe, r.sleep_ns, r.sleep_ns / 1e6 AS sleep_ms, r.sends, r.payload_bytes, r.probe,
       r.interval_ns, r.interval_ns / 1e6 AS interval_ms, r.rtt_ns, r.rtt_ns / 1e6 AS rtt_ms, r.loss_percent, r.loss_seed,
       r.repeat_index,
       r.outcome, r.term_signal, r.signature, r.probe_result, r.first_failing_send, r.first_errno_name, r.fatal_send,
       r.slept_ns, r.slept_ns / 1e6 AS slept_ms, r.slept_ns - r.sleep_ns AS sleep_error_ns, r.peer_late,
       r.peer_read_bytes, r.peer_left_unread,
       r.started_at, r.duration_ns, r.duration_ns / 1e6 AS duration_ms
FROM runs r JOIN sweeps s ON s.id = r.sweep_id JOIN hosts h ON h.id = s.host_id;

CREATE VIEW cell_signatures AS
SELECT sweep_id, transport, peer, sigpipe, sleep_ns, sends, payload_bytes, probe, interval_ns, rtt_ns, loss_percent,
       signature, outcome,
       COUNT(*) AS runs,
       SUM(COUNT(*)) OVER (PARTITION BY sweep_id, transport, peer, sigpipe, sleep_ns, sends, payload_bytes, probe,
                                        interval_ns, rtt_ns, loss_percent) AS cell_runs,
       SUM(peer_late) AS disturbed_runs
FROM runs
GROUP BY sweep_id, transport, peer, sigpipe, sleep_ns, sends, payload_bytes, probe, interval_ns, rtt_ns, loss_percent,
         signature, outcome;

CREATE VIEW cell_outcomes AS
SELECT sweep_id, transport, peer, sigpipe, sleep_ns, sends, payload_bytes, probe, interval_ns, rtt_ns, loss_percent,
       COUNT(*) AS runs,
       SUM(outcome = 'ok') AS ok, SUM(outcome = 'error') AS error, SUM(outcome = 'killed') AS killed,
       SUM(outcome = 'timeout') AS timeout, SUM(outcome = 'harness-error') AS harness_error,
       SUM(peer_late) AS disturbed,
       COUNT(DISTINCT CASE WHEN peer_late = 0 THEN signature END) AS signatures
FROM runs
GROUP BY sweep_id, transport, peer, sigpipe, sleep_ns, sends, payload_bytes, probe, interval_ns, rtt_ns, loss_percent;

CREATE VIEW nondeterministic_cells AS
SELECT * FROM cell_outcomes WHERE signatures > 1;

CREATE VIEW failing_calls AS
SELECT r.id AS run_id, r.sweep_id, r.transport, r.peer, r.sigpipe, r.sleep_ns, r.sends, r.payload_bytes, r.probe,
       r.interval_ns, r.rtt_ns, r.loss_percent,
       r.signature, r.probe_result, r.peer_late, f.send_number, f.errno_name, f.duration_ns AS call_ns,
       f.start_ns + f.duration_ns - (
           SELECT MIN(p.start_ns) FROM steps p
           WHERE p.run_id = r.id AND p.actor = 'peer' AND p.op IN ('close', 'shutdown', 'setsockopt')
       ) AS peer_action_to_error_ns
FROM runs r JOIN steps f ON f.run_id = r.id AND f.send_number = r.first_failing_send;

CREATE VIEW disturbed_runs AS
SELECT r.id AS run_id, r.sweep_id, r.transport, r.peer, r.sigpipe, r.sleep_ns, r.sends, r.payload_bytes, r.probe,
       r.interval_ns, r.rtt_ns, r.loss_percent,
       r.repeat_index, r.signature, r.slept_ns,
       (SELECT MIN(start_ns) FROM steps p
         WHERE p.run_id = r.id AND p.actor = 'peer' AND p.op IN ('close', 'shutdown', 'setsockopt'))
       - (SELECT start_ns FROM steps WHERE run_id = r.id AND send_number = 2) AS peer_end_after_send2_ns
FROM runs r WHERE r.peer_late = 1;

-- Over a link the peer can end the connection only after our data has crossed it: a sleep lets it
-- end before send #2 when it is at least 1 ms longer than the round trip. runs_rederived (0004)
-- judges peer_late so; pipelab records it so from this version on.
DROP VIEW runs_rederived;
CREATE VIEW runs_rederived AS
WITH base AS (
    SELECT r.id AS run_id, r.sweep_id, r.sleep_ns, r.rtt_ns, r.outcome,
           (SELECT start_ns + duration_ns FROM steps WHERE run_id = r.id AND send_number = 1) AS send1_end_ns,
           (SELECT start_ns FROM steps WHERE run_id = r.id AND send_number = 2) AS send2_start_ns,
           (SELECT MIN(start_ns) FROM steps
             WHERE run_id = r.id AND actor = 'peer' AND op IN ('close', 'shutdown', 'setsockopt')) AS peer_end_ns,
           (SELECT result FROM steps
             WHERE run_id = r.id AND actor = 'peer' AND op IN ('recv', 'read') AND result >= 0
             ORDER BY seq LIMIT 1) AS peer_read_bytes
    FROM runs r
), measured AS (
    SELECT b.*,
           (SELECT start_ns FROM steps WHERE run_id = b.run_id AND actor = 'peer' AND op = 'ioctl') AS measured_ns,
           (SELECT result FROM steps WHERE run_id = b.run_id AND actor = 'peer' AND op = 'ioctl' AND result >= 0) AS unread_bytes
    FROM base b
), slipped AS (
    SELECT m.*,
           EXISTS (SELECT 1 FROM steps
             WHERE run_id = m.run_id AND send_number IS NOT NULL AND start_ns < m.peer_end_ns
               AND (duration_ns IS NULL OR start_ns + duration_ns > m.measured_ns)) AS write_in_flight,
           (SELECT COALESCE(SUM(bytes), 0) FROM steps
             WHERE run_id = m.run_id AND send_number IS NOT NULL AND start_ns < m.peer_end_ns) AS begun_bytes
    FROM measured m
)
SELECT run_id, sweep_id,
       send2_start_ns - send1_end_ns AS slept_ns,
       CASE WHEN sleep_ns >= 1000000 + rtt_ns AND send2_start_ns IS NOT NULL
            THEN COALESCE(peer_end_ns >= send2_start_ns, 1) ELSE 0 END AS peer_late,
       CASE WHEN outcome = 'killed' THEN
            (SELECT MIN(send_number) FROM steps WHERE run_id = a.run_id AND send_number IS NOT NULL AND result IS NULL)
       END AS fatal_send,
       peer_read_bytes,
       CASE WHEN unread_bytes IS NULL OR peer_end_ns IS NULL THEN NULL
            WHEN unread_bytes > 0 THEN 1
            WHEN write_in_flight AND begun_bytes > COALESCE(peer_read_bytes, 0) + unread_bytes THEN NULL
            ELSE 0 END AS peer_left_unread
FROM slipped a;
