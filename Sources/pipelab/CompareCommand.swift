import ArgumentParser
import PipeLabExperiment
import PipeLabKernel
import PipeLabReport
import PipeLabStore
import PipeLabSweep
import PipeLabWorker

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Show what differs between two sweeps, judged cell by cell with Fisher's exact test.",
        discussion: """
            Exits 0 when at least one cell was compared and none differs significantly, 1 when \
            one does (like diff), 2 when no cell could be compared (no cell in both sweeps with \
            undisturbed runs in each, or too few repeats in all of them), 64 on bad input.

            Examples:
              pipelab compare monday tuesday
              pipelab compare 1 2 --format json --out diff.json
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case markdown, json
    }

    @Argument(help: ArgumentHelp("Sweep A: id, name, UUID prefix, latest, or group:UUIDPREFIX (a shard stands for its whole group).",
                                 valueName: "sweep-a")) var a: String
    @Argument(help: ArgumentHelp("Sweep B.", valueName: "sweep-b")) var b: String
    @Option(help: "Output format.") var format: Format = .markdown
    @Option(help: "Write the comparison here instead of standard output.") var out: String?
    @OptionGroup var database: DatabaseOption

    func run() throws {
        if let out { try OutputFile.checkUpFront(out, option: "--out", example: format == .json ? "comparison.json" : "comparison.md") }
        let store = try database.openForReading()
        let comparison: SweepComparison
        do {
            let sweepA = try store.findSelection(a), sweepB = try store.findSelection(b)
            comparison = SweepComparison(a: sweepA.asOneSweep, cellsA: try store.cellSignatures(sweepIDs: sweepA.sweepIDs),
                                         b: sweepB.asOneSweep, cellsB: try store.cellSignatures(sweepIDs: sweepB.sweepIDs))
        } catch {
            throw CommandFailure.store(error)
        }
        let text = format == .json ? CompareJSON.render(comparison) : CompareReport.render(comparison)
        if let out { try OutputFile.write([.init(path: out, content: text)]) } else { print(TerminalText.shown(text, keepingLineBreaks: true), terminator: "") }
        if comparison.exitCode != .noDifference { throw ExitStatus(code: comparison.exitCode.rawValue) }
    }
}
