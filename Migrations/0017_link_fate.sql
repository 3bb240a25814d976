-- pipelab schema version 17: each captured run records its link fate (issue 18), the packet facts
-- the explanations rest on (the peer's FIN and RST: when they arrived, or that the link dropped
-- them; which of our segments provoked the RST; what else the link dropped), as one text placed
-- among the client's sends (RunEvidence.linkFate documents its tokens). A report tells each
-- distinct fate of a cell and signature by a run of its own, where it told them all by one before.
-- NULL for a run without packets (no capture, Unix sockets, pipes) and for runs recorded before
-- this version: those are told as before, one run per cell, signature and unread evidence.
-- The index holds only the captured, undisturbed runs, in the order a report groups them, so
-- uncaptured runs cost a report nothing.

ALTER TABLE runs ADD COLUMN link_fate TEXT;

CREATE INDEX runs_by_link_fate ON runs (sweep_id, transport, peer, sigpipe, sleep_ns, sends, payload_bytes, probe,
                                        interval_ns, rtt_ns, loss_percent, client, signature, peer_left_unread, link_fate, peer_late)
    WHERE link_fate IS NOT NULL AND peer_late = 0;
