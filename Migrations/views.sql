-- Every view of a pipelab database, in one place. Views hold no data: a recording pipelab drops
-- them all and creates these after applying its migrations, whenever the database's views are
-- not these (PRAGMA user_version holds a hash of this file), and a reading pipelab that finds
-- other views creates these as TEMP views for its own connection, changing nothing in the file.
-- Migrations change tables only; a changed or new view is an edit here. A view that lists the
-- cell names the dimensions' columns (Sources/Experiment/Dimensions.swift), in the table's order.

-- What pipelab derives when it records a run (slept_ns, peer_late, disturbance and its reason,
-- fatal_send, peer_read_bytes, peer_left_unread), derived again from the steps: rows recorded by an older pipelab can be judged
-- by today's rules. Over a link the peer can end the connection only after our data has crossed
-- it: a sleep lets it end before send #2 when it is at least 1 ms longer than the round trip.
CREATE VIEW runs_rederived AS
WITH base AS (
    SELECT r.id AS run_id, r.sweep_id, r.sleep_ns, r.interval_ns, r.rtt_ns, r.loss_percent, r.client, r.outcome,
           r.sleep_ns >= 1000000 + r.rtt_ns AS settled,
           (SELECT start_ns FROM steps WHERE run_id = r.id AND send_number = 1) AS send1_start_ns,
           (SELECT start_ns + duration_ns FROM steps WHERE run_id = r.id AND send_number = 1) AS send1_end_ns,
           (SELECT start_ns FROM steps WHERE run_id = r.id AND send_number = 2) AS send2_start_ns,
           (SELECT MIN(start_ns) FROM steps
             WHERE run_id = r.id AND actor = 'client' AND send_number IS NULL AND op <> 'connect') AS probe_start_ns,
           (SELECT MIN(start_ns) FROM steps WHERE run_id = r.id AND actor = 'peer' AND op <> 'accept') AS peer_first_ns,
           (SELECT MIN(start_ns) FROM steps
             WHERE run_id = r.id AND actor = 'peer' AND op IN ('close', 'shutdown', 'setsockopt')) AS peer_end_ns,
           (SELECT result FROM steps
             WHERE run_id = r.id AND actor = 'peer' AND op IN ('recv', 'read') AND result >= 0
             ORDER BY seq LIMIT 1) AS peer_read_bytes
    FROM runs r
), measured AS (
    SELECT b.*,
           COALESCE(b.send2_start_ns, b.probe_start_ns) AS after_sleep_ns,
           COALESCE(b.probe_start_ns, b.send2_start_ns) - b.send1_end_ns AS sleep_took_ns,
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
), judged AS (
    SELECT s.*,
           CASE WHEN settled AND after_sleep_ns IS NOT NULL
                THEN COALESCE(peer_end_ns >= after_sleep_ns, 1) ELSE 0 END AS late_peer,
           EXISTS (SELECT 1 FROM packets WHERE run_id = s.run_id AND lost = 1 AND t_ns < s.after_sleep_ns) AS lost_before,
           -- Only where pipelab times the client's pauses: with a sleep, an interval or a link. A
           -- real program times its own, under strace: its pauses say nothing of the machine.
           s.client = 'harness' AND (s.sleep_ns > 0 OR s.interval_ns > 0 OR s.rtt_ns > 0 OR s.loss_percent > 0)
           AND (COALESCE(sleep_took_ns - sleep_ns > sleep_ns / 100 + 100000, 0)
                OR EXISTS (SELECT 1 FROM steps n JOIN steps p ON p.run_id = n.run_id AND p.send_number = n.send_number - 1
                           WHERE n.run_id = s.run_id AND n.send_number >= 3
                             AND n.start_ns - (p.start_ns + p.duration_ns) - s.interval_ns > s.interval_ns / 100 + 100000))
               AS late_pause,
           NOT settled AND s.client = 'harness' AND COALESCE(peer_first_ns > send1_start_ns + 1000000, 0) AS late_start
    FROM slipped s
), caused AS (
    SELECT j.*,
           -- The machine's first, as pipelab records it: such a run leaves the verdict.
           CASE WHEN late_peer AND NOT lost_before THEN 'cpu'
                WHEN late_pause OR late_start THEN 'cpu'
                WHEN late_peer THEN 'link' END AS disturbance,
           CASE WHEN late_peer AND NOT lost_before THEN 'peer-late'
                WHEN late_pause THEN 'pause-late'
                WHEN late_start THEN 'peer-started-late'
                WHEN late_peer THEN 'segment-lost' END AS disturbance_reason
    FROM judged j
)
SELECT run_id, sweep_id,
       send2_start_ns - send1_end_ns AS slept_ns,
       COALESCE(disturbance = 'cpu', 0) AS peer_late,
       disturbance, disturbance_reason,
       CASE WHEN outcome = 'killed' THEN
            (SELECT MIN(send_number) FROM steps WHERE run_id = a.run_id AND send_number IS NOT NULL AND result IS NULL)
       END AS fatal_send,
       peer_read_bytes,
       CASE WHEN unread_bytes IS NULL OR peer_end_ns IS NULL THEN NULL
            WHEN unread_bytes > 0 THEN 1
            WHEN write_in_flight AND begun_bytes > COALESCE(peer_read_bytes, 0) + unread_bytes THEN NULL
            ELSE 0 END AS peer_left_unread
FROM caused a;

-- One row per run with its sweep and host: the table most questions start from.
CREATE VIEW run_details AS
SELECT r.id AS run_id, r.uuid AS run_uuid, s.id AS sweep_id, s.uuid AS sweep_uuid, s.name AS sweep_name,
       h.hostname, h.kernel, s.isolation,
       r.transport, r.peer, r.sigpipe, r.sleep_ns, r.sleep_ns / 1e6 AS sleep_ms, r.sends, r.payload_bytes, r.probe,
       r.interval_ns, r.interval_ns / 1e6 AS interval_ms, r.rtt_ns, r.rtt_ns / 1e6 AS rtt_ms, r.loss_percent, r.loss_seed,
       r.client, r.repeat_index,
       r.outcome, r.term_signal, r.signature, r.probe_result, r.first_failing_send, r.first_errno_name, r.fatal_send,
       r.client_error, r.client_sigpipe, r.client_exit,
       r.slept_ns, r.slept_ns / 1e6 AS slept_ms, r.slept_ns - r.sleep_ns AS sleep_error_ns, r.peer_late,
       r.peer_read_bytes, r.peer_left_unread,
       r.started_at, r.duration_ns, r.duration_ns / 1e6 AS duration_ms
FROM runs r JOIN sweeps s ON s.id = r.sweep_id JOIN hosts h ON h.id = s.host_id;

-- How often each signature occurred in each cell (a cell: the dimensions' columns within a sweep).
CREATE VIEW cell_signatures AS
SELECT sweep_id, transport, peer, sigpipe, sleep_ns, sends, payload_bytes, probe, interval_ns, rtt_ns, loss_percent, client,
       signature, outcome,
       COUNT(*) AS runs,
       SUM(COUNT(*)) OVER (PARTITION BY sweep_id, transport, peer, sigpipe, sleep_ns, sends, payload_bytes, probe,
                                        interval_ns, rtt_ns, loss_percent, client) AS cell_runs,
       SUM(peer_late) AS disturbed_runs
FROM runs
GROUP BY sweep_id, transport, peer, sigpipe, sleep_ns, sends, payload_bytes, probe, interval_ns, rtt_ns, loss_percent, client,
         signature, outcome;

-- Outcome counts per cell.
CREATE VIEW cell_outcomes AS
SELECT sweep_id, transport, peer, sigpipe, sleep_ns, sends, payload_bytes, probe, interval_ns, rtt_ns, loss_percent, client,
       COUNT(*) AS runs,
       SUM(outcome = 'ok') AS ok, SUM(outcome = 'error') AS error, SUM(outcome = 'killed') AS killed,
       SUM(outcome = 'timeout') AS timeout, SUM(outcome = 'harness-error') AS harness_error,
       SUM(peer_late) AS disturbed,
       COUNT(DISTINCT CASE WHEN peer_late = 0 THEN signature END) AS signatures
FROM runs
GROUP BY sweep_id, transport, peer, sigpipe, sleep_ns, sends, payload_bytes, probe, interval_ns, rtt_ns, loss_percent, client;

-- Cells whose undisturbed repeats disagree.
CREATE VIEW nondeterministic_cells AS
SELECT * FROM cell_outcomes WHERE signatures > 1;

-- Per run: the first failing send, how long it took, and how long after the peer began ending
-- the connection it returned.
CREATE VIEW failing_calls AS
SELECT r.id AS run_id, r.sweep_id, r.transport, r.peer, r.sigpipe, r.sleep_ns, r.sends, r.payload_bytes, r.probe,
       r.interval_ns, r.rtt_ns, r.loss_percent, r.client,
       r.signature, r.probe_result, r.peer_late, f.send_number, f.errno_name, f.duration_ns AS call_ns,
       f.start_ns + f.duration_ns - (
           SELECT MIN(p.start_ns) FROM steps p
           WHERE p.run_id = r.id AND p.actor = 'peer' AND p.op IN ('close', 'shutdown', 'setsockopt')
       ) AS peer_action_to_error_ns
FROM runs r JOIN steps f ON f.run_id = r.id AND f.send_number = r.first_failing_send;

-- Runs the machine disturbed (peer_late = 1, disturbance 'cpu'), with the reason.
CREATE VIEW disturbed_runs AS
SELECT r.id AS run_id, r.sweep_id, r.transport, r.peer, r.sigpipe, r.sleep_ns, r.sends, r.payload_bytes, r.probe,
       r.interval_ns, r.rtt_ns, r.loss_percent, r.client,
       r.repeat_index, r.signature, r.slept_ns,
       (SELECT MIN(start_ns) FROM steps p
         WHERE p.run_id = r.id AND p.actor = 'peer' AND p.op IN ('close', 'shutdown', 'setsockopt'))
       - (SELECT start_ns FROM steps WHERE run_id = r.id AND send_number = 2) AS peer_end_after_send2_ns,
       r.disturbance_reason
FROM runs r WHERE r.peer_late = 1;

-- The newest sweep, to scope a query to it: `... WHERE sweep_id = (SELECT sweep_id FROM latest_sweep)`.
CREATE VIEW latest_sweep AS
SELECT id AS sweep_id, uuid AS sweep_uuid, name, status, started_at FROM sweeps ORDER BY id DESC LIMIT 1;

-- One row per group of shards: how many of its shards are in this database and how far they got.
CREATE VIEW shard_groups AS
SELECT s.group_uuid, MIN(s.name) AS name, MAX(s.shard_count) AS shard_count,
       COUNT(DISTINCT s.shard_index) AS shards_recorded,
       SUM(s.status = 'completed') AS shards_completed,
       SUM(s.planned_runs) AS planned_runs,
       SUM((SELECT COUNT(*) FROM runs r WHERE r.sweep_id = s.id)) AS runs,
       COUNT(DISTINCT h.hostname) AS hosts,
       MIN(s.started_at) AS started_at, MAX(s.ended_at) AS ended_at
FROM sweeps s JOIN hosts h ON h.id = s.host_id WHERE s.group_uuid IS NOT NULL
GROUP BY s.group_uuid;
