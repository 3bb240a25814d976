-- pipelab schema version 8: a disturbance is named by its cause (DESIGN.md, "Run validity").
-- runs gains `disturbance`: 'cpu' when the machine disturbed the run, 'link' when the emulated
-- link did, NULL when neither; and `disturbance_reason`, what the steps and packets show:
--   'peer-late'          the sleep should have let the peer end the connection before send #2
--                        (before the probe, with one send) and it had not begun to
--   'pause-late'         a timed pause (the sleep, or an interval) ran over by more than 1 % + 100 µs
--   'peer-started-late'  at a sleep too short to settle, the peer's first call began more than
--                        1 ms after send #1 did
--   'segment-lost'       the peer had not ended by send #2 because the link dropped a segment before it
-- Only the machine's disturbances leave a cell's verdict: `peer_late` is now 1 exactly when
-- `disturbance` = 'cpu' (the name stays, so the views and queries that leave such runs out keep
-- working). A run the link decided is the experiment: it counts, and it is explained as loss.
-- runs_rederived computes all three again from `steps` and `packets`; the runs recorded before this
-- version are judged again by it (without packets a loss cannot be seen, so those count as 'cpu').

ALTER TABLE runs ADD COLUMN disturbance TEXT CHECK (disturbance IN ('cpu', 'link'));
ALTER TABLE runs ADD COLUMN disturbance_reason TEXT
    CHECK (disturbance_reason IN ('peer-late', 'pause-late', 'peer-started-late', 'segment-lost'));

DROP VIEW runs_rederived;
CREATE VIEW runs_rederived AS
WITH base AS (
    SELECT r.id AS run_id, r.sweep_id, r.sleep_ns, r.interval_ns, r.rtt_ns, r.outcome,
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
           COALESCE(sleep_took_ns - sleep_ns > sleep_ns / 100 + 100000, 0)
           OR EXISTS (SELECT 1 FROM steps n JOIN steps p ON p.run_id = n.run_id AND p.send_number = n.send_number - 1
                      WHERE n.run_id = s.run_id AND n.send_number >= 3
                        AND n.start_ns - (p.start_ns + p.duration_ns) - s.interval_ns > s.interval_ns / 100 + 100000)
               AS late_pause,
           NOT settled AND COALESCE(peer_first_ns > send1_start_ns + 1000000, 0) AS late_start
    FROM slipped s
), caused AS (
    SELECT j.*,
           CASE WHEN late_peer THEN CASE WHEN lost_before THEN 'link' ELSE 'cpu' END
                WHEN late_pause OR late_start THEN 'cpu' END AS disturbance,
           CASE WHEN late_peer THEN CASE WHEN lost_before THEN 'segment-lost' ELSE 'peer-late' END
                WHEN late_pause THEN 'pause-late'
                WHEN late_start THEN 'peer-started-late' END AS disturbance_reason
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

UPDATE runs SET (peer_late, disturbance, disturbance_reason) =
    (SELECT peer_late, disturbance, disturbance_reason FROM runs_rederived WHERE run_id = runs.id);

DROP VIEW disturbed_runs;
CREATE VIEW disturbed_runs AS
SELECT r.id AS run_id, r.sweep_id, r.transport, r.peer, r.sigpipe, r.sleep_ns, r.sends, r.payload_bytes, r.probe,
       r.interval_ns, r.rtt_ns, r.loss_percent,
       r.repeat_index, r.signature, r.slept_ns,
       (SELECT MIN(start_ns) FROM steps p
         WHERE p.run_id = r.id AND p.actor = 'peer' AND p.op IN ('close', 'shutdown', 'setsockopt'))
       - (SELECT start_ns FROM steps WHERE run_id = r.id AND send_number = 2) AS peer_end_after_send2_ns,
       r.disturbance_reason
FROM runs r WHERE r.peer_late = 1;
