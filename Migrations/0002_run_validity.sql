-- pipelab schema version 2: what each run's steps show beyond its signature (DESIGN.md "Run
-- validity"): the sleep actually slept, whether the machine disturbed the run, the send during
-- which the process died, and what the peer read. pipelab computes these when it records a run;
-- the view `runs_rederived` computes them again from `steps` alone, which fills them in for runs
-- recorded before this version and lets anyone audit the stored values.

-- The views are made anew below (they gain columns); dropped first so that steps can be rebuilt.
DROP VIEW run_details;
DROP VIEW cell_signatures;
DROP VIEW nondeterministic_cells;
DROP VIEW cell_outcomes;
DROP VIEW failing_calls;

-- steps gains the peer's ioctl(FIONREAD) (bytes left unread before its ending call) and, for the
-- client's probes to come, getsockopt. SQLite cannot change a CHECK in place: the table is rebuilt.
CREATE TABLE steps_v2 (
    run_id      INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,           -- 1-based, in start-time order
    actor       TEXT NOT NULL CHECK (actor IN ('client', 'peer')),
    op          TEXT NOT NULL CHECK (op IN ('connect', 'accept', 'send', 'write', 'recv', 'read', 'poll', 'shutdown',
                                            'setsockopt', 'close', 'ioctl', 'getsockopt')),
    send_number INTEGER,                    -- 1-based for the client's send/write calls, else NULL
    bytes       INTEGER NOT NULL,           -- bytes asked for
    result      INTEGER,                    -- return value (for ioctl: bytes unread); NULL when the worker died inside the call
    errno       INTEGER,
    errno_name  TEXT,
    sigpipe     INTEGER NOT NULL CHECK (sigpipe IN (0, 1)),
    start_ns    INTEGER NOT NULL,           -- monotonic, from the run's start
    duration_ns INTEGER,                    -- NULL when the worker died inside the call
    tcp_state   TEXT,                       -- TCP_INFO state of the caller's socket after the call
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
INSERT INTO steps_v2 SELECT * FROM steps;
DROP TABLE steps;
ALTER TABLE steps_v2 RENAME TO steps;

ALTER TABLE runs ADD COLUMN slept_ns INTEGER;          -- end of send #1 to start of send #2; NULL with one send
ALTER TABLE runs ADD COLUMN peer_late INTEGER NOT NULL DEFAULT 0 CHECK (peer_late IN (0, 1));
ALTER TABLE runs ADD COLUMN fatal_send INTEGER;        -- 1-based send during which the process died; NULL if it did not
ALTER TABLE runs ADD COLUMN peer_read_bytes INTEGER;   -- what the peer's single read returned; NULL if it did not read
ALTER TABLE runs ADD COLUMN peer_left_unread INTEGER CHECK (peer_left_unread IN (0, 1)); -- FIONREAD before the peer's ending; NULL: cannot tell

CREATE VIEW runs_rederived AS
WITH base AS (
    SELECT r.id AS run_id, r.sweep_id, r.sleep_ns, r.outcome,
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
       CASE WHEN sleep_ns >= 1000000 AND send2_start_ns IS NOT NULL
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

UPDATE runs SET (slept_ns, peer_late, fatal_send, peer_read_bytes, peer_left_unread) =
    (SELECT slept_ns, peer_late, fatal_send, peer_read_bytes, peer_left_unread FROM runs_rederived WHERE run_id = runs.id);

-- The views gain the new columns; a cell's verdict leaves out the runs the machine disturbed.
CREATE VIEW run_details AS
SELECT r.id AS run_id, r.uuid AS run_uuid, s.id AS sweep_id, s.uuid AS sweep_uuid, s.name AS sweep_name,
       h.hostname, h.kernel,
       r.transport, r.peer, r.sigpipe, r.sleep_ns, r.sleep_ns / 1e6 AS sleep_ms, r.sends, r.payload_bytes, r.repeat_index,
       r.outcome, r.term_signal, r.signature, r.first_failing_send, r.first_errno_name, r.fatal_send,
       r.slept_ns, r.slept_ns / 1e6 AS slept_ms, r.slept_ns - r.sleep_ns AS sleep_error_ns, r.peer_late,
       r.peer_read_bytes, r.peer_left_unread,
       r.started_at, r.duration_ns, r.duration_ns / 1e6 AS duration_ms
FROM runs r JOIN sweeps s ON s.id = r.sweep_id JOIN hosts h ON h.id = s.host_id;

CREATE VIEW cell_signatures AS
SELECT sweep_id, transport, peer, sigpipe, sleep_ns, sends, payload_bytes, signature, outcome,
       COUNT(*) AS runs,
       SUM(COUNT(*)) OVER (PARTITION BY sweep_id, transport, peer, sigpipe, sleep_ns, sends, payload_bytes) AS cell_runs,
       SUM(peer_late) AS disturbed_runs
FROM runs
GROUP BY sweep_id, transport, peer, sigpipe, sleep_ns, sends, payload_bytes, signature, outcome;

CREATE VIEW cell_outcomes AS
SELECT sweep_id, transport, peer, sigpipe, sleep_ns, sends, payload_bytes,
       COUNT(*) AS runs,
       SUM(outcome = 'ok') AS ok, SUM(outcome = 'error') AS error, SUM(outcome = 'killed') AS killed,
       SUM(outcome = 'timeout') AS timeout, SUM(outcome = 'harness-error') AS harness_error,
       SUM(peer_late) AS disturbed,
       COUNT(DISTINCT CASE WHEN peer_late = 0 THEN signature END) AS signatures
FROM runs
GROUP BY sweep_id, transport, peer, sigpipe, sleep_ns, sends, payload_bytes;

CREATE VIEW nondeterministic_cells AS
SELECT * FROM cell_outcomes WHERE signatures > 1;

CREATE VIEW failing_calls AS
SELECT r.id AS run_id, r.sweep_id, r.transport, r.peer, r.sigpipe, r.sleep_ns, r.sends, r.payload_bytes,
       r.signature, r.peer_late, f.send_number, f.errno_name, f.duration_ns AS call_ns,
       f.start_ns + f.duration_ns - (
           SELECT MIN(p.start_ns) FROM steps p
           WHERE p.run_id = r.id AND p.actor = 'peer' AND p.op IN ('close', 'shutdown', 'setsockopt')
       ) AS peer_action_to_error_ns
FROM runs r JOIN steps f ON f.run_id = r.id AND f.send_number = r.first_failing_send;

-- Runs the machine disturbed: the peer had not begun to end the connection when send #2 started.
CREATE VIEW disturbed_runs AS
SELECT r.id AS run_id, r.sweep_id, r.transport, r.peer, r.sigpipe, r.sleep_ns, r.sends, r.payload_bytes,
       r.repeat_index, r.signature, r.slept_ns,
       (SELECT MIN(start_ns) FROM steps p
         WHERE p.run_id = r.id AND p.actor = 'peer' AND p.op IN ('close', 'shutdown', 'setsockopt'))
       - (SELECT start_ns FROM steps WHERE run_id = r.id AND send_number = 2) AS peer_end_after_send2_ns
FROM runs r WHERE r.peer_late = 1;

-- The newest sweep, to scope a query to it: `... WHERE sweep_id = (SELECT sweep_id FROM latest_sweep)`.
CREATE VIEW latest_sweep AS
SELECT id AS sweep_id, uuid AS sweep_uuid, name, status, started_at FROM sweeps ORDER BY id DESC LIMIT 1;
