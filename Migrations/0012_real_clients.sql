-- pipelab schema version 12: real programs as the client (the `client` dimension, Clients/README.md).
-- runs gains the cell parameter `client` ('harness', pipelab's own; a shipped program per runtime;
-- 'command', the user's own, run with --client-cmd) and what a real program's run records beside
-- its steps: `client_error` (what the program reported at its first failing send, e.g.
-- `BrokenPipeError: [Errno 32] Broken pipe`), `client_sigpipe` (the SIGPIPE disposition its writes
-- met: as it started, or as it set it: default, ignore, handler; blocked while masked),
-- `client_exit` (its exit status; NULL when a signal ended it, which `term_signal` names) and
-- `client_output` (the last lines it printed, at most 2 KiB). All four are NULL for the harness.
-- steps records the calls strace saw: op gains sendto, sendmsg, writev and sigaction
-- (rt_sigaction on SIGPIPE; `value` holds what it set: 0 default, 1 ignore, 2 handler). skipped
-- gains `client`: a combination a real program cannot run, or whose runtime is not installed.
-- A cell now includes the client, so the index that names a cell is made anew; ids are kept.

-- Views read the tables rebuilt below; they are made anew from views.sql after the migrations.
DROP VIEW IF EXISTS runs_rederived;
DROP VIEW IF EXISTS run_details;
DROP VIEW IF EXISTS cell_signatures;
DROP VIEW IF EXISTS nondeterministic_cells;
DROP VIEW IF EXISTS cell_outcomes;
DROP VIEW IF EXISTS failing_calls;
DROP VIEW IF EXISTS disturbed_runs;
DROP VIEW IF EXISTS latest_sweep;
DROP VIEW IF EXISTS shard_groups;

ALTER TABLE runs ADD COLUMN client TEXT NOT NULL DEFAULT 'harness'
    CHECK (client IN ('harness', 'c', 'python', 'node', 'perl', 'java', 'go', 'rust', 'command'));
ALTER TABLE runs ADD COLUMN client_error TEXT;
ALTER TABLE runs ADD COLUMN client_sigpipe TEXT CHECK (client_sigpipe IN ('default', 'ignore', 'handler', 'blocked'));
ALTER TABLE runs ADD COLUMN client_exit INTEGER CHECK (client_exit BETWEEN 0 AND 255);
ALTER TABLE runs ADD COLUMN client_output TEXT;

DROP INDEX runs_by_cell;
CREATE UNIQUE INDEX runs_by_cell ON runs (sweep_id, transport, peer, sigpipe, sleep_ns, sends, payload_bytes, probe,
                                          interval_ns, rtt_ns, loss_percent, client, repeat_index);

CREATE TABLE steps_v12 (
    run_id      INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,           -- 1-based, in start-time order
    actor       TEXT NOT NULL CHECK (actor IN ('client', 'peer')),
    op          TEXT NOT NULL CHECK (op IN ('connect', 'accept', 'send', 'write', 'recv', 'read', 'poll', 'shutdown',
                                            'setsockopt', 'close', 'ioctl', 'getsockopt',
                                            'sendto', 'sendmsg', 'writev', 'sigaction')),
    send_number INTEGER,                    -- 1-based for the client's writes, else NULL (also for the probe)
    bytes       INTEGER NOT NULL,           -- bytes asked for
    result      INTEGER,                    -- return value (for ioctl: bytes unread); NULL when the client died inside the call
    errno       INTEGER,
    errno_name  TEXT,
    sigpipe     INTEGER NOT NULL CHECK (sigpipe IN (0, 1)),
    start_ns    INTEGER NOT NULL,           -- monotonic, from the run's start
    duration_ns INTEGER,                    -- NULL when the client died inside the call
    tcp_state   TEXT,                       -- TCP_INFO state of the caller's socket after the call (NULL for a real program)
    value       INTEGER,                    -- poll: revents; getsockopt: SO_ERROR's error; sigaction: the disposition set
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
INSERT INTO steps_v12 SELECT run_id, seq, actor, op, send_number, bytes, result, errno, errno_name, sigpipe,
                             start_ns, duration_ns, tcp_state, value FROM steps;
DROP TABLE steps;
ALTER TABLE steps_v12 RENAME TO steps;

CREATE TABLE skipped_v12 (
    sweep_id     INTEGER NOT NULL REFERENCES sweeps (id) ON DELETE CASCADE,
    transport    TEXT NOT NULL,
    peer         TEXT NOT NULL,
    sigpipe      TEXT NOT NULL,
    probe        TEXT NOT NULL DEFAULT 'none',
    interval_ns  INTEGER NOT NULL DEFAULT 0 CHECK (interval_ns >= 0),
    rtt_ns       INTEGER NOT NULL DEFAULT 0 CHECK (rtt_ns >= 0),
    loss_percent REAL NOT NULL DEFAULT 0 CHECK (loss_percent >= 0 AND loss_percent <= 100),
    client       TEXT NOT NULL DEFAULT 'harness',
    cells        INTEGER NOT NULL,             -- cells of the grid with this combination
    reason       TEXT NOT NULL,
    PRIMARY KEY (sweep_id, transport, peer, sigpipe, probe, interval_ns, rtt_ns, loss_percent, client)
);
INSERT INTO skipped_v12 (sweep_id, transport, peer, sigpipe, probe, interval_ns, rtt_ns, loss_percent, cells, reason)
SELECT sweep_id, transport, peer, sigpipe, probe, interval_ns, rtt_ns, loss_percent, cells, reason FROM skipped ORDER BY rowid;
DROP TABLE skipped;
ALTER TABLE skipped_v12 RENAME TO skipped;
