-- pipelab schema version 14: `sweeps.scheduler` records every attempt at a sweep, not only the
-- first: a JSON array of one object per attempt, in order (the start, then each --resume or
-- rerun of a shard task into its file: a Slurm requeue, a pod retry, a CI re-run), each holding
-- the scheduler variables that attempt had set ({} for one that had none). A sweep recorded at
-- versions 11 to 13 held its first attempt's object: it becomes the array of that one object. NULL stays
-- NULL (recorded before version 11, or since with no variable set).

UPDATE sweeps SET scheduler = json_array(json(scheduler))
WHERE scheduler IS NOT NULL AND json_valid(scheduler) AND json_type(scheduler) = 'object';
