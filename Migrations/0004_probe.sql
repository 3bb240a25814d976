-- pipelab schema version 4: the client's probe (DESIGN.md `probe`): one extra call after the sleep,
-- before send #2. runs gains `probe` (a cell parameter) and `probe_result` (what the call gave:
-- `0`, a byte count, an errno name, or poll's revents joined by `|`); steps gains `value` (what a
-- call delivered besides its return value: poll's revents, getsockopt(SO_ERROR)'s error); skipped
-- gains `probe`. A cell now includes the probe, so the runs' UNIQUE constraint must include it:
-- SQLite cannot alter a constraint, so runs is rebuilt with ids unchanged (steps point at them).

-- Views that read runs are made anew below, with `probe` in every cell.
DROP VIEW run_details;
DROP VIEW cell_signatures;
DROP VIEW nondeterministic_cells;
DROP VIEW cell_outcomes;
DROP VIEW failing_calls;
DROP VIEW disturbed_runs;
DROP VIEW runs_rederived;

-- Dropping runs while steps still referred to it would delete every step (ON DELETE CASCADE, and
-- foreign keys cannot be switched off inside the migration's transaction): steps wait in a
-- temporary table while runs is rebuilt, then come back with their new column.
CREATE TEMP TABLE steps_waiting AS SELECT * FROM steps;
DROP TABLE steps;

CREATE TABLE runs_v4 (
    id                 INTEGER PRIMARY KEY,
    uuid               TEXT NOT NULL UNIQUE,
    sweep_id           INTEGER NOT NULL REFERENCES sweeps (id) ON DELETE CASCADE,
    transport          TEXT NOT NULL CHECK (transport IN ('tcp4', 'tcp6', 'unix', 'pipe')),
    peer               TEXT NOT NULL CHECK (peer IN ('close', 'shutdown-wr', 'shutdown-rdwr', 'linger0', 'close-unread')),
    sigpipe            TEXT NOT NULL CHECK (sigpipe IN ('default', 'ignore', 'handler', 'nosignal', 'blocked')),
    sleep_ns           INTEGER NOT NULL CHECK (sleep_ns >= 0),
    sends              INTEGER NOT NULL CHECK (sends >= 1),
    payload_bytes      INTEGER NOT NULL CHECK (payload_bytes >= 1),
    repeat_index       INTEGER NOT NULL CHECK (repeat_index >= 0),
    outcome            TEXT NOT NULL CHECK (outcome IN ('ok', 'error', 'killed', 'timeout', 'harness-error')),
    term_signal        TEXT,                -- e.g. 'SIGPIPE' when the worker was killed
    signature          TEXT NOT NULL,
    first_failing_send INTEGER,             -- 1-based; NULL when every send wrote all its bytes
    first_errno        INTEGER,             -- errno of that send; NULL when it was short or fatal
    first_errno_name   TEXT,
    harness_error      TEXT,
    started_at         TEXT NOT NULL,       -- ISO 8601, UTC
    duration_ns        INTEGER NOT NULL,
    slept_ns           INTEGER,             -- end of send #1 to start of send #2; NULL with one send
    peer_late          INTEGER NOT NULL DEFAULT 0 CHECK (peer_late IN (0, 1)),
    fatal_send         INTEGER,             -- 1-based send during which the process died; NULL if it did not
    peer_read_bytes    INTEGER,             -- what the peer's single read returned; NULL if it did not read
    peer_left_unread   INTEGER CHECK (peer_left_unread IN (0, 1)), -- FIONREAD before the peer's ending; NULL: cannot tell
    probe              TEXT NOT NULL DEFAULT 'none' CHECK (probe IN ('none', 'recv', 'poll', 'so-error', 'shutdown-wr')),
    probe_result       TEXT                 -- NULL without a probe or when the process died before it returned
);
INSERT INTO runs_v4 (id, uuid, sweep_id, transport, peer, sigpipe, sleep_ns, sends, payload_bytes, repeat_index,
                     outcome, term_signal, signature, first_failing_send, first_errno, first_errno_name, harness_error,
                     started_at, duration_ns, slept_ns, peer_late, fatal_send, peer_read_bytes, peer_left_unread)
SELECT id, uuid, sweep_id, transport, peer, sigpipe, sleep_ns, sends, payload_bytes, repeat_index,
       outcome, term_signal, signature, first_failing_send, first_errno, first_errno_name, harness_error,
       started_at, duration_ns, slept_ns, peer_late, fatal_send, peer_read_bytes, peer_left_unread
FROM runs;
DROP TABLE runs;
ALTER TABLE runs_v4 RENAME TO runs;
-- One run per cell and repeat; it also indexes runs by cell.
CREATE UNIQUE INDEX runs_by_cell ON runs (sweep_id, transport, peer, sigpipe, sleep_ns, sends, payload_bytes, probe, repeat_index);

CREATE TABLE steps (
    run_id      INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,           -- 1-based, in start-time order
    actor       TEXT NOT NULL CHECK (actor IN ('client', 'peer')),
    op          TEXT NOT NULL CHECK (op IN ('connect', 'accept', 'send', 'write', 'recv', 'read', 'poll', 'shutdown',
                                            'setsockopt', 'close', 'ioctl', 'getsockopt')),
    send_number INTEGER,                    -- 1-based for the client's send/write calls, else NULL (also for the probe)
    bytes       INTEGER NOT NULL,           -- bytes asked for
    result      INTEGER,                    -- return value (for ioctl: bytes unread); NULL when the worker died inside the call
    errno       INTEGER,
    errno_name  TEXT,
    sigpipe     INTEGER NOT NULL CHECK (sigpipe IN (0, 1)),
    start_ns    INTEGER NOT NULL,           -- monotonic, from the run's start
    duration_ns INTEGER,                    -- NULL when the worker died inside the call
    tcp_state   TEXT,                       -- TCP_INFO state of the caller's socket after the call
    value       INTEGER,                    -- poll: revents; getsockopt: SO_ERROR's error; else NULL
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
INSERT INTO steps (run_id, seq, actor, op, send_number, bytes, result, errno, errno_name, sigpipe, start_ns, duration_ns, tcp_state)
SELECT run_id, seq, actor, op, send_number, bytes, result, errno, errno_name, sigpipe, start_ns, duration_ns, tcp_state
FROM steps_waiting;
DROP TABLE steps_waiting;

-- A combination can now be impossible for one probe only (recv on a pipe): skipped gains probe.
CREATE TABLE skipped_v4 (
    sweep_id  INTEGER NOT NULL REFERENCES sweeps (id) ON DELETE CASCADE,
    transport TEXT NOT NULL,
    peer      TEXT NOT NULL,
    sigpipe   TEXT NOT NULL,
    probe     TEXT NOT NULL DEFAULT 'none',
    cells     INTEGER NOT NULL,             -- cells of the grid with this combination
    reason    TEXT NOT NULL,
    PRIMARY KEY (sweep_id, transport, peer, sigpipe, probe)
);
INSERT INTO skipped_v4 (sweep_id, transport, peer, sigpipe, cells, reason)
SELECT sweep_id, transport, peer, sigpipe, cells, reason FROM skipped ORDER BY rowid;
DROP TABLE skipped;
ALTER TABLE skipped_v4 RENAME TO skipped;

-- The views of 0002, with `probe` in every cell and `probe`, `probe_result` where runs are listed.
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

CREATE VIEW run_details AS
SELECT r.id AS run_id, r.uuid AS run_uuid, s.id AS sweep_id, s.uuid AS sweep_uuid, s.name AS sweep_name,
       h.hostname, h.kernel,
       r.transport, r.peer, r.sigpipe, r.sleep_ns, r.sleep_ns / 1e6 AS sleep_ms, r.sends, r.payload_bytes, r.probe,
       r.repeat_index,
       r.outcome, r.term_signal, r.signature, r.probe_result, r.first_failing_send, r.first_errno_name, r.fatal_send,
       r.slept_ns, r.slept_ns / 1e6 AS slept_ms, r.slept_ns - r.sleep_ns AS sleep_error_ns, r.peer_late,
       r.peer_read_bytes, r.peer_left_unread,
       r.started_at, r.duration_ns, r.duration_ns / 1e6 AS duration_ms
FROM runs r JOIN sweeps s ON s.id = r.sweep_id JOIN hosts h ON h.id = s.host_id;

CREATE VIEW cell_signatures AS
SELECT sweep_id, transport, peer, sigpipe, sleep_ns, sends, payload_bytes, probe, signature, outcome,
       COUNT(*) AS runs,
       SUM(COUNT(*)) OVER (PARTITION BY sweep_id, transport, peer, sigpipe, sleep_ns, sends, payload_bytes, probe) AS cell_runs,
       SUM(peer_late) AS disturbed_runs
FROM runs
GROUP BY sweep_id, transport, peer, sigpipe, sleep_ns, sends, payload_bytes, probe, signature, outcome;

CREATE VIEW cell_outcomes AS
SELECT sweep_id, transport, peer, sigpipe, sleep_ns, sends, payload_bytes, probe,
       COUNT(*) AS runs,
       SUM(outcome = 'ok') AS ok, SUM(outcome = 'error') AS error, SUM(outcome = 'killed') AS killed,
       SUM(outcome = 'timeout') AS timeout, SUM(outcome = 'harness-error') AS harness_error,
       SUM(peer_late) AS disturbed,
       COUNT(DISTINCT CASE WHEN peer_late = 0 THEN signature END) AS signatures
FROM runs
GROUP BY sweep_id, transport, peer, sigpipe, sleep_ns, sends, payload_bytes, probe;

CREATE VIEW nondeterministic_cells AS
SELECT * FROM cell_outcomes WHERE signatures > 1;

CREATE VIEW failing_calls AS
SELECT r.id AS run_id, r.sweep_id, r.transport, r.peer, r.sigpipe, r.sleep_ns, r.sends, r.payload_bytes, r.probe,
       r.signature, r.probe_result, r.peer_late, f.send_number, f.errno_name, f.duration_ns AS call_ns,
       f.start_ns + f.duration_ns - (
           SELECT MIN(p.start_ns) FROM steps p
           WHERE p.run_id = r.id AND p.actor = 'peer' AND p.op IN ('close', 'shutdown', 'setsockopt')
       ) AS peer_action_to_error_ns
FROM runs r JOIN steps f ON f.run_id = r.id AND f.send_number = r.first_failing_send;

CREATE VIEW disturbed_runs AS
SELECT r.id AS run_id, r.sweep_id, r.transport, r.peer, r.sigpipe, r.sleep_ns, r.sends, r.payload_bytes, r.probe,
       r.repeat_index, r.signature, r.slept_ns,
       (SELECT MIN(start_ns) FROM steps p
         WHERE p.run_id = r.id AND p.actor = 'peer' AND p.op IN ('close', 'shutdown', 'setsockopt'))
       - (SELECT start_ns FROM steps WHERE run_id = r.id AND send_number = 2) AS peer_end_after_send2_ns
FROM runs r WHERE r.peer_late = 1;
