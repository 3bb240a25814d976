-- One runner per sweep. The process recording a sweep's runs holds its lease and renews the
-- heartbeat every few seconds; another `pipelab sweep --resume` is refused while the lease is
-- live, and takes it over once the holder is gone (its pid dead on the same host) or silent
-- (no heartbeat for 30 s). Only the lease lives here: this migration touches no other table.
CREATE TABLE sweep_leases (
    sweep_id     INTEGER PRIMARY KEY REFERENCES sweeps (id) ON DELETE CASCADE,
    hostname     TEXT NOT NULL,             -- host of the holding process
    pid          INTEGER NOT NULL,          -- its process id on that host
    acquired_at  TEXT NOT NULL,             -- ISO 8601, UTC
    heartbeat_at TEXT NOT NULL              -- ISO 8601, UTC: the holder's last sign of life
);
