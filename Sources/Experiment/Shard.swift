import PipeLabKernel

/// One part of a sharded sweep: the K-th (0-based) of N disjoint, balanced parts of a grid, and
/// the group identity the N parts share (README, "Many machines").
public struct Shard: Equatable, Sendable {
    public var index: Int
    public var count: Int
    /// Lowercase UUID shared by every shard of one sweep.
    public var group: String
    /// How the grid's runs are dealt to the N shards (ShardPlan); one group has one dealing.
    public var dealing: Dealing

    public enum Dealing: Int, Sendable {
        /// Grid order, round-robin within each weight class: sweeps recorded before schema 11 (NULL).
        case roundRobin = 1
        /// Each repeat's cells in a seeded order, moved on by a shard after every balanced span.
        case spread = 2
    }

    public init(index: Int, count: Int, group: String, dealing: Dealing = .spread) {
        (self.index, self.count, self.group, self.dealing) = (index, count, group, dealing)
    }

    /// More parts than this would leave most of them empty for any grid pipelab accepts.
    public static let maximumCount = 100_000

    package static let accepted = "accepted: K/N with 0 <= K < N <= \(maximumCount) (e.g. 0/4), or auto"

    /// `K/N` from `--shard`; `auto` is resolved by `fromScheduler`.
    public static func parse(_ text: String, group: String) throws(InputError) -> Shard {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 else { throw InputError("--shard: '\(text)' is not K/N; \(accepted)") }
        let index = try number(parts[0], name: "--shard (K)", accepted: accepted)
        let count = try number(parts[1], name: "--shard (N)", accepted: accepted)
        return try checked(index: index, count: count, names: "--shard", group: group)
    }

    /// `--shard auto`: K and N from the scheduler's environment, in this order of precedence:
    /// a Slurm array, a Kubernetes Indexed Job, a CI matrix (PIPELAB_SHARD_INDEX/PIPELAB_SHARD_COUNT).
    /// `shards` is `--shards N` (or PIPELAB_SHARDS), the group's N: a Kubernetes Job needs it (it
    /// sets no count); in a Slurm array it makes the array id the shard index (so resubmitting any
    /// subset of ids runs exactly those shards); elsewhere it must agree with the scheduler's count.
    public static func fromScheduler(_ environment: [String: String], shards: Int?, group: String) throws(InputError) -> Shard {
        let variable = { (name: String) throws(InputError) -> Int? in
            try environment[name].map { (text: String) throws(InputError) in
                try number(text, name: name, accepted: "accepted: a whole number from 0")
            }
        }
        // srun -n M starts this command M times in one job step (Slurm sets SLURM_STEP_NUM_TASKS
        // there, and not in a batch script however many tasks it was given): the tasks share every
        // variable but SLURM_PROCID, so each would run the same shard into the same database. A
        // shard runs its runs in parallel itself; one task per shard is the way.
        if let tasks = try variable("SLURM_STEP_NUM_TASKS"), tasks > 1 {
            throw InputError("SLURM_STEP_NUM_TASKS: \(tasks) tasks of one Slurm job step (srun -n \(tasks)) would each run the same shard into the same database, and --shard auto does not split a shard between them; accepted: one task per shard (pipelab in the batch script, or srun -n 1, and --cpus-per-task for more CPUs: --jobs follows them), or --shard $SLURM_PROCID/$SLURM_STEP_NUM_TASKS with a database per task")
        }
        // Two schedulers' indexes at once (a CI runner inside a Slurm job, a leftover export) would
        // each name another shard: which one is meant is the user's to say.
        let indexes = ["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX", "PIPELAB_SHARD_INDEX"].filter { environment[$0] != nil }
        if indexes.count > 1 {
            throw InputError("\(indexes.joined(separator: " and ")) are both set, so the shard is ambiguous; accepted: --shard auto with one scheduler's variables, or --shard K/N")
        }
        // The group's N, given by the user: it must not be given twice with two values.
        let fromVariable = try variable("PIPELAB_SHARDS")
        if let shards, let fromVariable, shards != fromVariable {
            throw InputError("--shards: \(shards) disagrees with PIPELAB_SHARDS = \(fromVariable); accepted: one of them, or both equal")
        }
        let total = shards ?? fromVariable
        let (index, count, names): (Int, Int, String)
        if let id = try variable("SLURM_ARRAY_TASK_ID") {
            if let total {
                (index, count) = try slurm(id: id, shards: total, variable)
                names = "SLURM_ARRAY_TASK_ID/--shards"
            } else {
                (index, count) = try slurm(id: id, variable)
                names = "SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT"
            }
        } else if let completionIndex = try variable("JOB_COMPLETION_INDEX") {
            guard let total else {
                throw InputError("PIPELAB_SHARDS: not set, and a Kubernetes Indexed Job (JOB_COMPLETION_INDEX) gives no shard count; accepted: --shards N or PIPELAB_SHARDS=N, N the Job's completions")
            }
            (index, count, names) = (completionIndex, total, "JOB_COMPLETION_INDEX/PIPELAB_SHARDS")
        } else if let matrixIndex = try variable("PIPELAB_SHARD_INDEX") {
            guard let total = try variable("PIPELAB_SHARD_COUNT") else {
                throw InputError("PIPELAB_SHARD_COUNT: not set while PIPELAB_SHARD_INDEX is; accepted: both, e.g. from GitHub Actions' strategy.job-index and strategy.job-total")
            }
            (index, count, names) = (matrixIndex, total, "PIPELAB_SHARD_INDEX/PIPELAB_SHARD_COUNT")
        } else {
            throw InputError("SLURM_ARRAY_TASK_ID: not set, nor JOB_COMPLETION_INDEX (Kubernetes) nor PIPELAB_SHARD_INDEX (CI); accepted: --shard auto inside a Slurm array, a Kubernetes Indexed Job or a CI matrix that sets one of them, or --shard K/N")
        }
        if let total, total != count {
            throw InputError("--shards: \(total) disagrees with \(names) = \(index)/\(count); accepted: the scheduler's count, or no --shards")
        }
        return try checked(index: index, count: count, names: names, group: group)
    }

    /// A Slurm array task of a group whose N is given (`--shards N` or PIPELAB_SHARDS): the
    /// array id is the shard index, so `sbatch --array=2` reruns exactly shard 2 of N, whatever
    /// else the array holds. An array with more tasks than shards, or an id of N or more, is refused.
    package static func slurm(id: Int, shards: Int, _ variable: (String) throws(InputError) -> Int?) throws(InputError) -> (Int, Int) {
        if let tasks = try variable("SLURM_ARRAY_TASK_COUNT"), tasks > shards {
            throw InputError("--shards: \(shards) is fewer than the array's SLURM_ARRAY_TASK_COUNT = \(tasks); accepted: --shards N with array ids among 0..N-1 (sbatch --array=0-\(max(0, tasks - 1)) with --shards \(tasks))")
        }
        guard id < shards else {
            throw InputError("SLURM_ARRAY_TASK_ID: \(id) is not a shard index below --shards \(shards); accepted: array ids among 0..\(max(0, shards - 1)), the shard indexes, when N is given")
        }
        return (id, shards)
    }

    /// A Slurm array's task as a 0-based rank among MIN..MAX. With a step (`--array=0-30:10`)
    /// the rank is (ID − MIN) / STEP; without one the ids must be MIN, MIN+1, …: a list such as
    /// `--array=1,5,9` without a step has no rank Slurm tells us, so it is refused.
    package static func slurm(id: Int, _ variable: (String) throws(InputError) -> Int?) throws(InputError) -> (Int, Int) {
        guard let count = try variable("SLURM_ARRAY_TASK_COUNT") else {
            throw InputError("SLURM_ARRAY_TASK_COUNT: not set while SLURM_ARRAY_TASK_ID is; accepted: a Slurm array job (sbatch --array=0-3)")
        }
        guard let minimum = try variable("SLURM_ARRAY_TASK_MIN") else {
            throw InputError("SLURM_ARRAY_TASK_MIN: not set while SLURM_ARRAY_TASK_ID is; accepted: a Slurm array job (sbatch --array=0-3)")
        }
        let step = try variable("SLURM_ARRAY_TASK_STEP") ?? 1
        // Every value is a whole number from 0 (number()), so id - minimum cannot overflow; the
        // last id, minimum + (count - 1) * step, is computed only for a count a shard may have
        // and with overflow reported, not trapped.
        guard step >= 1, id >= minimum, (id - minimum) % step == 0 else {
            throw InputError("SLURM_ARRAY_TASK_ID: \(id) is not MIN \(minimum) plus a multiple of STEP \(step); accepted: an array of evenly spaced ids (--array=0-3 or --array=0-30:10)")
        }
        guard count >= 1, count <= maximumCount else {
            throw InputError("SLURM_ARRAY_TASK_COUNT: \(count) is not a number of shards; \(accepted)")
        }
        let rank = (id - minimum) / step
        let (span, spanOverflow) = (count - 1).multipliedReportingOverflow(by: step)
        let (last, lastOverflow) = minimum.addingReportingOverflow(span)
        if let maximum = try variable("SLURM_ARRAY_TASK_MAX"), spanOverflow || lastOverflow || maximum != last {
            throw InputError("SLURM_ARRAY_TASK_MAX: \(maximum) does not follow from MIN \(minimum), STEP \(step) and COUNT \(count), so the ids are not evenly spaced; accepted: --array=A-B or --array=A-B:STEP")
        }
        return (rank, count)
    }

    package static func checked(index: Int, count: Int, names: String, group: String) throws(InputError) -> Shard {
        guard count >= 1, count <= maximumCount, index < count else {
            throw InputError("\(names): \(index)/\(count) is not a shard; \(accepted)")
        }
        return Shard(index: index, count: count, group: group)
    }

    package static func number(_ text: String, name: String, accepted: String) throws(InputError) -> Int {
        let trimmed = text.trimmingSpaces()
        guard !trimmed.isEmpty, trimmed.allSatisfy(\.isASCIIDigit), let value = Int(trimmed) else {
            throw InputError("\(name): '\(text)' is not a whole number from 0; \(accepted)")
        }
        return value
    }

    /// `--group`: a UUID in its usual 8-4-4-4-12 hexadecimal form, kept lowercase.
    public static func group(_ text: String) throws(InputError) -> String {
        let lower = text.lowercased()
        let groups = lower.split(separator: "-", omittingEmptySubsequences: false)
        guard groups.map(\.count) == [8, 4, 4, 4, 12], groups.allSatisfy({ $0.allSatisfy(\.isHexDigit) }) else {
            throw InputError("--group: '\(text)' is not a UUID; accepted: 8-4-4-4-12 hexadecimal digits, e.g. 2f1c9a4e-5b7d-5e21-9c3a-0d4b6e8f1a27")
        }
        return lower
    }
}
