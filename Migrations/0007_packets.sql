-- pipelab schema version 7: the packets behind every outcome (DESIGN.md, "What is recorded").
-- One row per TCP packet of a captured run (always for `pipelab run`, with `sweep --capture`),
-- as a capture on the client's machine sees it: the client's packets when they leave, the peer's
-- when they arrive; each packet once. `lost`: the emulated link dropped it (a client's packet
-- that left and never arrived; a peer's that never arrived, timed when it left).

CREATE TABLE packets (
    run_id    INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    number    INTEGER NOT NULL,           -- 1-based, in time order
    t_ns      INTEGER NOT NULL,           -- on the steps' clock: from the run's monotonic start
    direction TEXT NOT NULL CHECK (direction IN ('client->peer', 'peer->client')),
    flags     TEXT NOT NULL,              -- tcpdump's notation: S, S., ., P., F., R, R.
    seq       INTEGER NOT NULL,           -- relative to the sender's initial sequence number
    ack       INTEGER,                    -- relative to the other side's; NULL without ACK
    length    INTEGER NOT NULL,           -- TCP payload bytes
    step_seq  INTEGER,                    -- steps.seq of the step in progress; NULL before the first
    lost      INTEGER NOT NULL DEFAULT 0 CHECK (lost IN (0, 1)), -- the emulated link dropped it
    PRIMARY KEY (run_id, number)
) WITHOUT ROWID;
