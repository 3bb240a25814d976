import Foundation

/// Runs a sweep: records it, hands its runs to the worker pool, writes results in batches, and
/// marks it completed or interrupted.
public struct SweepRunner {
    public var store: Store
    public var quiet: Bool
    /// The pipelab binary for workers (default: this one).
    public var executable: String?

    public init(store: Store, quiet: Bool, executable: String? = nil) {
        self.store = store
        self.quiet = quiet
        self.executable = executable
    }

    /// Starts a new sweep of `spec`, or of its `shard`.
    public func start(_ spec: SweepSpec, commandLine: String, shard: Shard? = nil) throws -> SweepRecord {
        let grid = Grid(spec, shard: shard)
        let sweep = try store.createSweep(
            name: spec.name ?? "sweep", spec: spec.json(), commandLine: commandLine,
            plannedRuns: grid.runCount, skipped: grid.skipped, host: HostProbe.current(), shard: shard)
        return try execute(sweep, grid: grid, done: [])
    }

    /// Runs exactly the (cell, repeat) pairs of `sweep` that are not recorded yet.
    /// `jobs` may differ from the first attempt's: it changes how fast, not what is run.
    public func resume(_ sweep: SweepRecord, jobs: Int? = nil) throws -> SweepRecord {
        var overrides = try SpecFile.parse(Data(sweep.spec.utf8), source: "stored spec of sweep \(sweep.id)")
        if let jobs { overrides.jobs = jobs }
        let grid = Grid(overrides.applied(to: .builtIn), shard: try store.shard(of: sweep.id))
        try store.setStatus(of: sweep.id, to: .running)
        return try execute(sweep, grid: grid, done: try store.recordedRequests(sweepID: sweep.id))
    }

    private func execute(_ sweep: SweepRecord, grid: Grid, done: Set<RunRequest>) throws -> SweepRecord {
        let recorder = try SweepRecorder(writer: try store.runWriter(sweepID: sweep.id))
        let progress = Progress(total: grid.runCount - done.count, quiet: quiet)
        let pool = WorkerPool(size: grid.spec.jobs,
                              cpuBoundLimit: grid.spec.cpuBoundLimit,
                              timeoutNs: grid.spec.timeoutNs, executable: executable)
        Interrupts.install()
        do {
            try pool.perform(
                grid.requests(excluding: done),
                shouldStop: { Interrupts.requested },
                tick: { progress.draw() },
                onResult: { run in
                    try recorder.add(run)
                    progress.count()
                })
            try recorder.finish()
        } catch {
            // Keep what completed; the sweep can be resumed.
            try? recorder.finish()
            try? store.setStatus(of: sweep.id, to: .interrupted)
            progress.finish()
            throw error
        }
        progress.finish()
        try store.setStatus(of: sweep.id, to: Interrupts.requested ? .interrupted : .completed)
        return try store.sweep(id: sweep.id)
    }
}
