-- pipelab schema version 11: shard tasks (docs/many-machines.md). sweeps gains `shard_dealing`,
-- how a shard's runs were dealt: 2 for spread dealing (each repeat's cells in a seeded order,
-- moved on by a shard after every balanced span, so a cell's repeats land on different shards);
-- NULL for a shard recorded before this version (round-robin in grid order) and for an unsharded
-- sweep. And `scheduler`: the ids of the scheduler task that started the sweep (Slurm job, array
-- task, step and restart count, Kubernetes completion index and pod, GitHub Actions run, attempt
-- and job, PIPELAB_CAMPAIGN), as a JSON object of the variables that were set; NULL when none
-- was. Only adds columns.

ALTER TABLE sweeps ADD COLUMN shard_dealing INTEGER CHECK (shard_dealing IS NULL OR shard_dealing = 2);
ALTER TABLE sweeps ADD COLUMN scheduler TEXT;
