-- pipelab schema version 16: an index for the report's sequence diagrams (issue 22). Each draws,
-- of the cell with the most undisturbed runs of a signature, the run of median duration; in this
-- index a (cell, signature) range of undisturbed runs is already in the order of duration_ns (and
-- id within it), so that run is the one at a position of the range (`LIMIT 1 OFFSET rank`)
-- instead of the last of a sort of every run of the cell (a second and temporary space at a
-- million runs). Only adds an index.

CREATE INDEX runs_by_duration ON runs (sweep_id, transport, peer, sigpipe, sleep_ns, sends, payload_bytes, probe,
                                       interval_ns, rtt_ns, loss_percent, client, signature, peer_late, duration_ns);
