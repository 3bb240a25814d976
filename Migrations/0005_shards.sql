-- pipelab schema version 5: sharded sweeps (README, "Many machines"). The N shards of one sweep
-- are N rows of `sweeps` that share a group identity; each runs a disjoint part of the grid.
-- Unsharded sweeps keep NULL in all three columns. Only adds columns, an index and a view of its
-- own, so it stays independent of what 0003 and 0004 change.

ALTER TABLE sweeps ADD COLUMN group_uuid TEXT;                                   -- shared by the shards of one sweep
ALTER TABLE sweeps ADD COLUMN shard_index INTEGER CHECK (shard_index >= 0);      -- K of --shard K/N, 0-based
ALTER TABLE sweeps ADD COLUMN shard_count INTEGER CHECK (shard_count >= 1 AND shard_index < shard_count); -- N

CREATE INDEX sweeps_by_group ON sweeps (group_uuid) WHERE group_uuid IS NOT NULL;

-- One row per group of shards: how many of its shards are in this database and how far they got.
CREATE VIEW shard_groups AS
SELECT s.group_uuid, MIN(s.name) AS name, MAX(s.shard_count) AS shard_count,
       COUNT(DISTINCT s.shard_index) AS shards_recorded,
       SUM(s.status = 'completed') AS shards_completed,
       SUM(s.planned_runs) AS planned_runs,
       SUM((SELECT COUNT(*) FROM runs r WHERE r.sweep_id = s.id)) AS runs,
       COUNT(DISTINCT h.hostname) AS hosts,
       MIN(s.started_at) AS started_at, MAX(s.ended_at) AS ended_at
FROM sweeps s JOIN hosts h ON h.id = s.host_id WHERE s.group_uuid IS NOT NULL
GROUP BY s.group_uuid;
