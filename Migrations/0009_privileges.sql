-- pipelab schema version 9: what the recording process was not allowed to do (DESIGN.md,
-- "Untrusted input and a shared machine"). sweeps gains `privileges_lost`: the capabilities a
-- sweep ran without, comma-separated from 'isolation', 'links', 'capture', 'real-time'; '' when
-- it had them all; NULL for sweeps recorded before this version. Only adds a column.

ALTER TABLE sweeps ADD COLUMN privileges_lost TEXT;
