import ArgumentParser
import Glibc
import PipeLabExperiment
import PipeLabKernel
import PipeLabNetwork
import PipeLabReport
import PipeLabStore
import PipeLabSweep
import PipeLabWorker

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Run a grid of scenarios and record every run in SQLite.",
        discussion: """
            Each dimension flag takes a comma-separated list. A dimension left out takes its single \
            `pipelab run` default (the value shown first in its help); with no dimension flag at \
            all (and none in --spec), the built-in grid, which covers every value of every \
            enumerated dimension and finishes in under a minute. Flags override --spec. Ctrl-C stops starting runs, lets those in flight finish, marks the \
            sweep interrupted and exits 130; --resume finishes it.

            Examples:
              pipelab sweep
              pipelab sweep --transport tcp4,unix --sleep 0,1ms,1s --repeat 10
              pipelab sweep --spec Examples/race-window.json --jobs 4 --db lab.sqlite
              pipelab sweep --client harness,c,python,node,perl --peer close,linger0 --sigpipe default,ignore --sleep 100ms
              pipelab sweep --resume
            """
    )

    @OptionGroup var dimensions: SweepDimensionOptions
    @Option(name: .customLong("probe-sleep"), help: "Run probes other than none only at these of the sleeps (default: every sleep; in the built-in grid: \(SweepDefaults.probeSleep)).") var probeSleep: String?
    @Option(name: .customLong("link-sleep"), help: "Run intervals and links other than 0 only at these of the sleeps, with probe none (default: every sleep and probe; in the built-in grid: \(SweepDefaults.linkSleep)).") var linkSleep: String?
    @Option(name: .customLong("repeat"), help: "Runs per cell (default: \(SweepDefaults.repeats)).") var repeats: String?
    @Option(help: "Runs in flight (default: \(SweepDefaults.jobs)).") var jobs: String?
    @Option(help: "Stop a run that takes longer than this (default: \(SweepDefaults.timeout)).") var timeout: String?
    @Option(help: "A name for the sweep (default: sweep).") var name: String?
    @Option(help: "Order runs start in: \(RunOrder.acceptedList) (default: \(SweepDefaults.order)).",
            completion: Completions.value(RunOrder.self)) var order: String?
    @Option(help: "Seed of the shuffled order (default: \(SweepDefaults.seed)).") var seed: String?
    @Option(help: "A JSON spec file with the same keys as these flags.") var spec: String?
    @Flag(help: "Finish an interrupted sweep (default: the latest interrupted one).") var resume = false
    @Flag(name: .customLong("other-host"), help: "With --resume: extend a sweep recorded on another host here; its new runs are filed under that host.") var otherHost = false
    @Argument(help: "With --resume: the sweep's id, name or UUID.") var sweep: String?
    @Flag(help: "No progress line, and of the summary only its last two lines (the sweep and the next command).") var quiet = false
    @Flag(help: "Print the full outcome matrix (every cell's signatures) before the summary.") var matrix = false
    @Flag(help: "Record each TCP run's packets in the packets table (with --resume: for the runs still to do).") var capture = false
    @OptionGroup var client: ClientOptions
    @OptionGroup var sharding: ShardOptions
    @OptionGroup var database: DatabaseOption

    func run() throws {
        // Before the database is touched: a signal from now on stops the sweep cleanly.
        Interrupts.install()
        if resume { return try resumeSweep() }
        guard sweep == nil else { throw InputError("unexpected argument '\(sweep ?? "")'; accepted: a sweep id, only with --resume") }
        guard !otherHost else { throw InputError("--other-host: only with --resume; accepted: pipelab sweep --resume --other-host") }
        let spec = try parsedSpec()
        // Link cells this machine cannot run are left out with the reason; only a grid of nothing else is refused.
        let whole = Self.grid(spec)
        if whole.unrunnableCellCount == whole.cells.count, let absence = whole.linksUnrunnable {
            throw UnrunnableHere("every cell of the grid has an emulated link, and \(absence)")
        }
        let shard = try sharding.shard(of: spec)
        let store = try database.open(create: true)
        if let notice = Privileges.current.notice { writeStandardError(notice) }
        let runner = SweepRunner(store: store, quiet: quiet, capture: capture)
        guard let shard else { return try finish(try runner.start(spec, commandLine: CommandLineText.current), store: store) }
        let task = try ShardTask.plan(shard, spec: spec, in: store, host: HostProbe.current())
        print(sharding.summary(shard, grid: Self.grid(spec, shard: shard)))
        switch task {
        case .start(let fresh):
            try finish(try runner.start(spec, commandLine: CommandLineText.current, shard: fresh), store: store)
        case .resume(let sweep):
            print("continuing its sweep \(sweep.id) in \(store.path): \(sweep.recordedRuns) of \(sweep.plannedRuns) runs recorded (\(sweep.status.rawValue))")
            try finish(try runner.resume(sweep, jobs: spec.jobs), store: store)
        case .complete(let sweep):
            print("already complete: sweep \(sweep.id) in \(store.path) holds its \(sweep.recordedRuns) runs; nothing to run")
        }
    }

    /// Built-in grid ← spec file ← flags; every value, and the grid's size, checked before anything is opened.
    func parsedSpec() throws(InputError) -> SweepSpec {
        var overrides = try spec.map { (path: String) throws(InputError) in try SpecFile.read(path: path) } ?? SpecOverrides()
        for (dimension, value) in dimensions.given { try overrides.set(dimension.name, value, label: dimension.flag) }
        for (key, value) in flagValues { try overrides.set(key, value, label: "--\(key)") }
        let spec = overrides.applied(to: .builtIn)
        try Grid.check(spec, unavailable: ClientPrograms.unavailable(spec.client, userCommand: spec.clientCommand))
        return spec
    }

    /// The grid as this machine runs it: without the clients it lacks, and the links it cannot make.
    static func grid(_ spec: SweepSpec, shard: Shard? = nil) -> Grid {
        Grid(spec, shard: shard, unavailable: ClientPrograms.unavailable(spec.client, userCommand: spec.clientCommand),
             linksUnrunnable: Isolation.linkAbsence)
    }

    private var flagValues: [(String, String)] {
        let all: [(String, String?)] = [
            ("probe-sleep", probeSleep), ("link-sleep", linkSleep), ("repeat", repeats), ("jobs", jobs), ("timeout", timeout), ("name", name),
            ("order", order), ("seed", seed), ("client-cmd", client.clientCommand),
        ]
        return all.compactMap { key, value in value.map { (key, $0) } }
    }

    private func resumeSweep() throws {
        let fixed = dimensions.given.map(\.0.flag) + flagValues.filter { $0.0 != "jobs" }.map { "--" + $0.0 }
            + (spec == nil ? [] : ["--spec"]) + sharding.given
        guard fixed.isEmpty else {
            throw InputError("--resume runs the sweep's stored spec; it cannot be combined with \(fixed.joined(separator: ", ")); accepted: only --jobs, --capture, --db, --quiet, --other-host with --resume")
        }
        var jobCount: Int?
        if let jobs { jobCount = try CountText.parse(jobs, name: "--jobs", maximum: Limits.jobs) }
        let store = try database.open(create: false)
        let target: SweepRecord
        do { target = try store.findSweep(sweep ?? "latest-interrupted") } catch { throw CommandFailure.store(error) }
        guard target.status != .completed else {
            throw InputError("sweep \(target.id) '\(target.name)' is already completed; accepted: a sweep that is interrupted or was cut short")
        }
        // A merged database holds other machines' sweeps: runs made here would be filed under
        // that machine's host and kernel, so extending one is asked for explicitly.
        let here = HostProbe.current()
        if !otherHost && (target.host.hostname, target.host.kernel, target.host.arch) != (here.hostname, here.kernel, here.arch) {
            throw InputError("sweep \(target.id) '\(target.name)' was recorded on \(target.host.hostname) (\(target.host.kernel), \(target.host.arch)), not on this host \(here.hostname) (\(here.kernel), \(here.arch)); its runs here would be filed under that host; accepted: --resume on that host, or --resume --other-host")
        }
        if let notice = Privileges.current.notice { writeStandardError(notice) }
        let record = try SweepRunner(store: store, quiet: quiet, capture: capture).resume(target, jobs: jobCount)
        try finish(record, store: store)
    }

    private func finish(_ record: SweepRecord, store: Store) throws {
        let summary = SweepSummary.text(sweep: record, cells: try store.cellSignatures(sweepID: record.id),
                                        skipped: try store.skipped(sweepID: record.id), databasePath: store.path,
                                        databaseArgument: database.isDefault ? nil : store.path, matrix: matrix, quiet: quiet,
                                        clientOutcomes: try store.clientOutcomes(sweepIDs: [record.id]))
        print(TerminalText.shown(summary, keepingLineBreaks: true), terminator: "")
        if record.status == .interrupted {
            throw CommandFailure(message: "interrupted by \(Interrupts.received.map(SignalName.of) ?? "a signal"); completed runs are recorded", exitCode: 130)
        }
    }
}
