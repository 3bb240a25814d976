-- pipelab schema version 13: an index for reports over millions of runs (issue 22). A report
-- counts a sweep's runs by cell, signature, whether the machine disturbed them, and what
-- describes their first failing call; in this index those runs are already in that order, so
-- one pass over it counts them all without sorting anything (no temporary space, no memory that
-- grows with the runs), and the runs of one cell and signature are a range of it. The columns
-- after `peer_late` are those a signature does not always settle. Only adds an index.

CREATE INDEX runs_by_signature ON runs (sweep_id, transport, peer, sigpipe, sleep_ns, sends, payload_bytes, probe,
                                        interval_ns, rtt_ns, loss_percent, client, signature, peer_late, outcome,
                                        peer_left_unread, first_failing_send, first_errno_name, term_signal);
