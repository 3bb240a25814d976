-- pipelab schema version 10: a combination that cannot exist names every dimension a grid
-- combination fixes. skipped gains the network's three, `interval_ns`, `rtt_ns` and `loss_percent`
-- (as in runs), and one row per combination of them: a link that a transport does not cross
-- (rtt or loss above 0 on tcp6, unix or pipe) is now listed, with its reason, as every other
-- combination that cannot exist is. Rows recorded before this version hold 0 for the three and
-- count the cells of every network of their combination together.

CREATE TABLE skipped_v10 (
    sweep_id     INTEGER NOT NULL REFERENCES sweeps (id) ON DELETE CASCADE,
    transport    TEXT NOT NULL,
    peer         TEXT NOT NULL,
    sigpipe      TEXT NOT NULL,
    probe        TEXT NOT NULL DEFAULT 'none',
    interval_ns  INTEGER NOT NULL DEFAULT 0 CHECK (interval_ns >= 0),
    rtt_ns       INTEGER NOT NULL DEFAULT 0 CHECK (rtt_ns >= 0),
    loss_percent REAL NOT NULL DEFAULT 0 CHECK (loss_percent >= 0 AND loss_percent <= 100),
    cells        INTEGER NOT NULL,             -- cells of the grid with this combination
    reason       TEXT NOT NULL,
    PRIMARY KEY (sweep_id, transport, peer, sigpipe, probe, interval_ns, rtt_ns, loss_percent)
);
INSERT INTO skipped_v10 (sweep_id, transport, peer, sigpipe, probe, cells, reason)
SELECT sweep_id, transport, peer, sigpipe, probe, cells, reason FROM skipped ORDER BY rowid;
DROP TABLE skipped;
ALTER TABLE skipped_v10 RENAME TO skipped;
