import ArgumentParser
import PipeLabExperiment
import PipeLabKernel
import PipeLabNetwork
import PipeLabReport
import PipeLabStore
import PipeLabSweep
import PipeLabWorker

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Perform one run and show it step by step.",
        discussion: """
            With no options: the classic case. A TCP peer accepts, reads once and closes; the client \
            sends, sleeps 1s, then sends twice more. Exit status 0 whenever the run was carried out, \
            whatever its outcome: a broken pipe is the data, not a failure.

            Examples:
              pipelab run
              pipelab run --transport unix --sigpipe default --sleep 100ms
              pipelab run --peer linger0 --json
              pipelab run --pcap classic.pcapng && tcpdump -r classic.pcapng
              pipelab run --client python --sleep 100ms
            """
    )

    @OptionGroup var scenario: ScenarioOptions

    @Option(help: "Stop a run that takes longer than this (e.g. 5s).")
    var timeout = "5s"

    @Flag(help: "Print exactly one JSON object instead of the timeline.")
    var json = false

    @Option(help: "Also record the run in this database, as a one-run sweep.")
    var db: String?

    @Option(help: "Seed of the link's losses, to replay a run's (its loss_seed); with --loss above 0.")
    var seed: String?

    @Option(help: "Write the run's packets (TCP only) to this pcapng file, for tcpdump -r or Wireshark.")
    var pcap: String?

    @OptionGroup var client: ClientOptions

    func run() throws {
        var scenario = try scenario.scenario()
        let userCommand = try client.apply(to: &scenario)
        let timeoutNs = try DurationText.parseTimeout(timeout, name: "--timeout")
        let lossSeed = try seed.map { (text: String) throws(InputError) in try LossSeedText.parse(text) }
        if lossSeed != nil && scenario.lossBasisPoints == 0 {
            throw InputError("--seed fixes which packets the link drops, and this run loses none; accepted: --seed with --loss above 0")
        }
        if scenario.hasLink, let absence = Isolation.linkAbsence { throw UnrunnableHere("the run has an emulated link, and \(absence)") }
        // Check --pcap and open the database before the run, so a bad one costs no run and records nothing.
        if let pcap {
            guard scenario.transport.isTCP else {
                throw InputError("--pcap: a \(scenario.transport.rawValue) run has no packets; accepted: --pcap with --transport tcp4 or tcp6")
            }
            try OutputFile.checkUpFront(pcap, option: "--pcap", example: "capture.pcapng")
        }
        let store = try db.map { path in try DatabaseOption(explicitPath: path).open(create: true) }
        if let notice = Privileges.current.notice { writeStandardError(notice) }
        let result: RunResult
        do {
            result = try SingleRun.perform(scenario, timeoutNs: timeoutNs, lossSeed: lossSeed, userCommand: userCommand)
        } catch {
            throw CommandFailure.harness(error)
        }
        if let store {
            try store.recordSingleRun(result, commandLine: CommandLineText.current, host: HostProbe.current())
        }
        if let pcap { try OutputFile.write([.init(path: pcap, bytes: Pcapng.file(result))]) }
        print(json ? RunView.json(result) : RunView.timeline(result), terminator: json ? "\n" : "")
        if result.outcome == .harnessError {
            throw CommandFailure(message: "the run could not be carried out: \(result.harnessMessage ?? "unknown harness failure")", exitCode: 70)
        }
    }
}
