import ArgumentParser
import Foundation
import PipeLab

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a Markdown report of one sweep.",
        discussion: "With --out FILE.md the chart is written beside it as FILE.svg and linked; without, the Markdown goes to standard output, without the chart.")

    @Argument(help: "The sweep: its id, name, UUID prefix, or latest.") var sweep = "latest"
    @Option(help: "Write the report here (and the chart beside it) instead of standard output.") var out: String?
    @OptionGroup var database: DatabaseOption

    func run() throws {
        if let out, !out.hasSuffix(".md") {
            throw InputError("--out: '\(out)' does not end in .md; accepted: a path like report.md (the chart goes beside it as report.svg)")
        }
        let store = try database.openForReading()
        let data: ReportData
        do { data = try store.reportData(sweepID: try store.findSweep(sweep).id) } catch {
            throw CommandFailure.store(error)
        }
        guard let out else {
            print(MarkdownReport.render(data, chartFile: nil), terminator: "")
            return
        }
        let chart = OutputFile.chartPath(for: out)
        try OutputFile.write([
            .init(path: chart, content: FirstFailureChart.svg(data.firstFailures, title: "First failing send by sleep: \(data.sweep.name)")),
            .init(path: out, content: MarkdownReport.render(data, chartFile: URL(fileURLWithPath: chart).lastPathComponent)),
        ])
        print("wrote \(out) and \(chart)")
    }
}
