import ArgumentParser
import Glibc
import PipeLab

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Run a grid of scenarios and record every run in SQLite.",
        discussion: """
            With no options: the built-in grid, which covers every value of every dimension and \
            finishes in under a minute. Each parameter flag takes a comma-separated list; flags \
            override --spec. Ctrl-C stops starting runs, lets those in flight finish, marks the \
            sweep interrupted and exits 130; --resume finishes it.
            """
    )

    @Option(help: "Transports: tcp4,tcp6,unix,pipe.") var transport: String?
    @Option(help: "Peer endings: close,shutdown-wr,shutdown-rdwr,linger0,close-unread.") var peer: String?
    @Option(help: "SIGPIPE dispositions: default,ignore,handler,nosignal,blocked.") var sigpipe: String?
    @Option(help: "Sleeps after the first send, e.g. 0,250us,10ms,1s.") var sleep: String?
    @Option(help: "Numbers of sends, e.g. 1,3.") var sends: String?
    @Option(help: "Bytes per send, e.g. 5,64KiB,4MiB.") var payload: String?
    @Option(help: "Probes after the sleep: none,recv,poll,so-error,shutdown-wr.") var probe: String?
    @Option(name: .customLong("probe-sleep"), help: "Run probes other than none only at these of the sleeps (default: all).") var probeSleep: String?
    @Option(name: .customLong("repeat"), help: "Runs per cell.") var repeats: String?
    @Option(help: "Runs in flight (default: 2 per CPU, or 16 per CPU up to 64 when the grid sleeps 1ms or more).") var jobs: String?
    @Option(help: "Stop a run that takes longer than this, e.g. 5s.") var timeout: String?
    @Option(help: "A name for the sweep.") var name: String?
    @Option(help: "Order runs start in: grid or shuffle.") var order: String?
    @Option(help: "Seed of the shuffled order.") var seed: String?
    @Option(help: "A JSON spec file with the same keys as these flags.") var spec: String?
    @Flag(help: "Finish an interrupted sweep (default: the latest interrupted one).") var resume = false
    @Argument(help: "With --resume: the sweep's id, name or UUID.") var sweep: String?
    @Flag(help: "No progress line.") var quiet = false
    @OptionGroup var database: DatabaseOption

    func run() throws {
        if resume { return try resumeSweep() }
        guard sweep == nil else { throw InputError("unexpected argument '\(sweep ?? "")'; accepted: a sweep id, only with --resume") }
        let spec = try parsedSpec()
        let store = try database.open(create: true)
        let runner = SweepRunner(store: store, quiet: quiet)
        let record = try runner.start(spec, commandLine: CommandLineText.current)
        try finish(record, store: store)
    }

    /// Built-in grid ← spec file ← flags; every value, and the grid's size, checked before anything is opened.
    func parsedSpec() throws(InputError) -> SweepSpec {
        var overrides = try spec.map { (path: String) throws(InputError) in try SpecFile.read(path: path) } ?? SpecOverrides()
        for (key, value) in flagValues { try overrides.set(key, value, label: "--\(key)") }
        let spec = overrides.applied(to: .builtIn)
        try Grid.check(spec)
        return spec
    }

    private var flagValues: [(String, String)] {
        let all: [(String, String?)] = [
            ("transport", transport), ("peer", peer), ("sigpipe", sigpipe), ("sleep", sleep), ("sends", sends),
            ("payload", payload), ("probe", probe), ("probe-sleep", probeSleep), ("repeat", repeats), ("jobs", jobs), ("timeout", timeout), ("name", name),
            ("order", order), ("seed", seed),
        ]
        return all.compactMap { key, value in value.map { (key, $0) } }
    }

    private func resumeSweep() throws {
        let fixed = flagValues.filter { $0.0 != "jobs" }.map { "--" + $0.0 } + (spec == nil ? [] : ["--spec"])
        guard fixed.isEmpty else {
            throw InputError("--resume runs the sweep's stored spec; it cannot be combined with \(fixed.joined(separator: ", ")); accepted: only --jobs, --db, --quiet with --resume")
        }
        var jobCount: Int?
        if let jobs { jobCount = try CountText.parse(jobs, name: "--jobs", maximum: Limits.jobs) }
        let store = try database.open(create: false)
        let target: SweepRecord
        do { target = try store.findSweep(sweep ?? "latest-interrupted") } catch { throw CommandFailure.store(error) }
        guard target.status != .completed else {
            throw InputError("sweep \(target.id) '\(target.name)' is already completed; accepted: a sweep that is interrupted or was cut short")
        }
        let record = try SweepRunner(store: store, quiet: quiet).resume(target, jobs: jobCount)
        try finish(record, store: store)
    }

    private func finish(_ record: SweepRecord, store: Store) throws {
        print(SweepSummary.text(sweep: record, cells: try store.cellSignatures(sweepID: record.id),
                                skipped: try store.skipped(sweepID: record.id), databasePath: store.path), terminator: "")
        if record.status == .interrupted {
            throw CommandFailure(message: "interrupted by \(Interrupts.received.map(SignalName.of) ?? "a signal"); completed runs are recorded", exitCode: 130)
        }
    }
}
