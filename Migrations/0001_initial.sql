-- pipelab's public schema, version 1. Never edit a shipped migration: add 0002_….sql instead.
-- Every row that must survive merging databases from several machines carries a UUID;
-- steps are identified by their run's UUID and their seq.

CREATE TABLE hosts (
    id       INTEGER PRIMARY KEY,
    uuid     TEXT NOT NULL UNIQUE,
    hostname TEXT NOT NULL,
    kernel   TEXT NOT NULL,                 -- uname -r
    os       TEXT NOT NULL,                 -- PRETTY_NAME of /etc/os-release
    arch     TEXT NOT NULL,                 -- uname -m
    cpus     INTEGER NOT NULL CHECK (cpus >= 1),
    sysctls  TEXT NOT NULL                  -- JSON object: the socket sysctls that shape the outcomes
);

CREATE TABLE sweeps (
    id              INTEGER PRIMARY KEY,
    uuid            TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('running', 'completed', 'interrupted')),
    host_id         INTEGER NOT NULL REFERENCES hosts (id),
    spec            TEXT NOT NULL,          -- JSON: the full expanded grid, as `--spec` reads it
    command_line    TEXT NOT NULL,
    pipelab_version TEXT NOT NULL,
    started_at      TEXT NOT NULL,          -- ISO 8601, UTC
    ended_at        TEXT,
    planned_runs    INTEGER NOT NULL CHECK (planned_runs >= 0),
    skipped_cells   INTEGER NOT NULL CHECK (skipped_cells >= 0)
);
CREATE INDEX sweeps_by_name ON sweeps (name);

-- Combinations of the grid that cannot exist, counted and listed, never run.
CREATE TABLE skipped (
    sweep_id  INTEGER NOT NULL REFERENCES sweeps (id) ON DELETE CASCADE,
    transport TEXT NOT NULL,
    peer      TEXT NOT NULL,
    sigpipe   TEXT NOT NULL,
    cells     INTEGER NOT NULL,             -- cells of the grid with this combination
    reason    TEXT NOT NULL,
    PRIMARY KEY (sweep_id, transport, peer, sigpipe)
);

CREATE TABLE runs (
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
    UNIQUE (sweep_id, transport, peer, sigpipe, sleep_ns, sends, payload_bytes, repeat_index)
);
-- The UNIQUE constraint above indexes runs by cell; no second index is needed.

CREATE TABLE steps (
    run_id      INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,           -- 1-based, in start-time order
    actor       TEXT NOT NULL CHECK (actor IN ('client', 'peer')),
    op          TEXT NOT NULL CHECK (op IN ('connect', 'accept', 'send', 'write', 'recv', 'read', 'poll', 'shutdown', 'setsockopt', 'close')),
    send_number INTEGER,                    -- 1-based for the client's send/write calls, else NULL
    bytes       INTEGER NOT NULL,           -- bytes asked for
    result      INTEGER,                    -- return value; NULL when the worker died inside the call
    errno       INTEGER,
    errno_name  TEXT,
    sigpipe     INTEGER NOT NULL CHECK (sigpipe IN (0, 1)),
    start_ns    INTEGER NOT NULL,           -- monotonic, from the run's start
    duration_ns INTEGER,                    -- NULL when the worker died inside the call
    tcp_state   TEXT,                       -- TCP_INFO state of the caller's socket after the call
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

-- One row per run with its sweep and host: the table most questions start from.
CREATE VIEW run_details AS
SELECT r.id AS run_id, r.uuid AS run_uuid, s.id AS sweep_id, s.uuid AS sweep_uuid, s.name AS sweep_name,
       h.hostname, h.kernel,
       r.transport, r.peer, r.sigpipe, r.sleep_ns, r.sends, r.payload_bytes, r.repeat_index,
       r.outcome, r.term_signal, r.signature, r.first_failing_send, r.first_errno_name,
       r.started_at, r.duration_ns
FROM runs r JOIN sweeps s ON s.id = r.sweep_id JOIN hosts h ON h.id = s.host_id;

-- How often each signature occurred in each cell (a cell: the six parameters within a sweep).
CREATE VIEW cell_signatures AS
SELECT sweep_id, transport, peer, sigpipe, sleep_ns, sends, payload_bytes, signature, outcome,
       COUNT(*) AS runs,
       SUM(COUNT(*)) OVER (PARTITION BY sweep_id, transport, peer, sigpipe, sleep_ns, sends, payload_bytes) AS cell_runs
FROM runs
GROUP BY sweep_id, transport, peer, sigpipe, sleep_ns, sends, payload_bytes, signature, outcome;

-- Outcome counts per cell.
CREATE VIEW cell_outcomes AS
SELECT sweep_id, transport, peer, sigpipe, sleep_ns, sends, payload_bytes,
       COUNT(*) AS runs,
       SUM(outcome = 'ok') AS ok, SUM(outcome = 'error') AS error, SUM(outcome = 'killed') AS killed,
       SUM(outcome = 'timeout') AS timeout, SUM(outcome = 'harness-error') AS harness_error,
       COUNT(DISTINCT signature) AS signatures
FROM runs
GROUP BY sweep_id, transport, peer, sigpipe, sleep_ns, sends, payload_bytes;

-- Cells whose repeats disagree.
CREATE VIEW nondeterministic_cells AS
SELECT * FROM cell_outcomes WHERE signatures > 1;

-- Per run: the first failing send, how long it took, and how long after the peer began ending
-- the connection it returned.
CREATE VIEW failing_calls AS
SELECT r.id AS run_id, r.sweep_id, r.transport, r.peer, r.sigpipe, r.sleep_ns, r.sends, r.payload_bytes,
       r.signature, f.send_number, f.errno_name, f.duration_ns AS call_ns,
       f.start_ns + f.duration_ns - (
           SELECT MIN(p.start_ns) FROM steps p
           WHERE p.run_id = r.id AND p.actor = 'peer' AND p.op IN ('close', 'shutdown', 'setsockopt')
       ) AS peer_action_to_error_ns
FROM runs r JOIN steps f ON f.run_id = r.id AND f.send_number = r.first_failing_send;

-- The migrations applied to this database: `SELECT * FROM pipelab_migrations;`
CREATE TABLE pipelab_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    applied_by TEXT NOT NULL              -- pipelab version that applied it
);
