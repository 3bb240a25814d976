import Foundation
import PipeLabExperiment
import PipeLabKernel
import PipeLabNetwork
import PipeLabStore
import PipeLabWorker

/// Runs a sweep: records it, hands its runs to the worker pool, writes results in batches, and
/// marks it completed or interrupted.
public struct SweepRunner {
    public var store: Store
    public var quiet: Bool
    /// The pipelab binary for workers (default: this one).
    public var executable: String?
    /// Record each TCP run's packets (`sweep --capture`); off, nothing extra runs per run.
    public var capture: Bool

    public init(store: Store, quiet: Bool, executable: String? = nil, capture: Bool = false) {
        self.store = store
        self.quiet = quiet
        self.executable = executable
        self.capture = capture
    }

    /// Starts a new sweep of `spec`, or of its `shard`.
    public func start(_ spec: SweepSpec, commandLine: String, shard: Shard? = nil) throws -> SweepRecord {
        let grid = Grid(spec, shard: shard, unavailable: ClientPrograms.unavailable(spec.client, userCommand: spec.clientCommand),
                        linksUnrunnable: Isolation.linkAbsence)
        let sweep = try store.createSweep(
            name: spec.name ?? "sweep", spec: spec.json(), commandLine: commandLine,
            plannedRuns: grid.runCount, skipped: grid.skipped, host: HostProbe.current(),
            isolation: Isolation.available.rawValue, privilegesLost: Privileges.current.recorded, shard: shard,
            scheduler: "[" + SchedulerIDs.attempt(ProcessInfo.processInfo.environment) + "]")
        return try execute(sweep, grid: grid, done: [])
    }

    /// Runs exactly the (cell, repeat) pairs of `sweep` that are not recorded yet, and again
    /// those recorded as `harness-error`. `jobs` may differ from the first attempt's: it changes
    /// how fast, not what is run; so does the machine: link cells the first attempt left out
    /// stay out, and links it planned are refused where they cannot run. Refused while another
    /// live process runs the sweep.
    public func resume(_ sweep: SweepRecord, jobs: Int? = nil) throws -> SweepRecord {
        var overrides = try SpecFile.parse(Data(sweep.spec.utf8), source: "stored spec of sweep \(sweep.id)")
        if let jobs { overrides.jobs = jobs }
        let spec = overrides.applied(to: .builtIn), shard = try store.shard(of: sweep.id)
        let unavailable = ClientPrograms.unavailable(spec.client, userCommand: spec.clientCommand)
        // A possible link combination whose client could run was left out for its link.
        let leftOut = try store.skipped(sweepID: sweep.id).first {
            $0.combination.hasLink && !$0.cannotExist && unavailable[$0.combination.client] == nil
        }?.reason
        let grid = Grid(spec, shard: shard, unavailable: unavailable, linksUnrunnable: leftOut)
        if leftOut == nil, let absence = Isolation.linkAbsence, grid.cells.combinations.contains(where: \.base.hasLink) {
            throw UnrunnableHere("sweep \(sweep.id) plans runs over an emulated link, and \(absence); accepted: --resume on a machine that can make the link")
        }
        let resumed = try store.beginResume(of: sweep.id, scheduler: SchedulerIDs.attempt(ProcessInfo.processInfo.environment))
        return try execute(resumed, grid: grid, done: try store.recordedRequests(sweepID: sweep.id, rerunningHarnessErrors: true))
    }

    private func execute(_ sweep: SweepRecord, grid: Grid, done: Set<RunRequest>) throws -> SweepRecord {
        let recorder = try SweepRecorder(writer: try store.runWriter(sweepID: sweep.id))
        let progress = Progress(total: grid.runCount - done.count, quiet: quiet)
        let pool = WorkerPool(size: grid.spec.jobs,
                              cpuBoundLimit: grid.spec.cpuBoundLimit,
                              timeoutNs: grid.spec.timeoutNs, executable: executable, capture: capture,
                              userCommand: grid.spec.clientCommand)
        Interrupts.install()
        var harnessErrors: [RunRequest] = []
        // Retries are not counted by the progress line: their runs were counted once already.
        func perform(_ requests: some Sequence<RunRequest>, retrying: Bool = false) throws {
            try pool.perform(
                requests,
                shouldStop: { Interrupts.requested },
                tick: { progress.draw() },
                onResult: { run in
                    try recorder.add(run)
                    if run.outcome == .harnessError { harnessErrors.append(RunRequest(scenario: run.scenario, repeatIndex: run.repeatIndex)) }
                    if !retrying { progress.count() }
                })
        }
        do {
            try perform(grid.requests(excluding: done))
            // Runs pipelab could not carry out (a worker killed from outside, say) get one more try.
            let retries = harnessErrors
            if !retries.isEmpty && !Interrupts.requested { try perform(retries, retrying: true) }
            try recorder.finish()
        } catch {
            // Keep what completed; the sweep can be resumed.
            try? recorder.finish()
            try? store.setStatus(of: sweep.id, to: .interrupted)
            progress.finish()
            throw error
        }
        progress.finish()
        // Runs in flight when the signal came may have been the last ones: then nothing is missing.
        let complete = try store.sweep(id: sweep.id).recordedRuns >= grid.runCount
        try store.setStatus(of: sweep.id, to: complete || !Interrupts.requested ? .completed : .interrupted)
        return try store.sweep(id: sweep.id)
    }
}
