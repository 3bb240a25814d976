import ArgumentParser
import Foundation
import PipeLab

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a Markdown report of one sweep.",
        discussion: """
            With --out FILE.md the charts are written beside it as FILE-NAME.svg and linked; \
            without, the Markdown goes to standard output, without the charts.

            Examples:
              pipelab report
              pipelab report race-window --out Reports/race-window.md
              pipelab report 3 --db lab.sqlite > lab.md
            """)

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
            print(MarkdownReport.render(data), terminator: "")
            return
        }
        let charts: [ReportChart]
        do { charts = ReportCharts.all(try store.chartData(sweepID: data.sweep.id)) } catch { throw CommandFailure.store(error) }
        var outputs: [OutputFile.Output] = []
        var links: [MarkdownReport.Chart] = []
        for chart in charts {
            let path = OutputFile.chartPath(for: out, name: chart.name)
            outputs.append(.init(path: path, content: chart.svg))
            links.append(MarkdownReport.Chart(kind: chart.kind, file: URL(fileURLWithPath: path).lastPathComponent, title: chart.title))
        }
        // Every file or none: the charts and the report are renamed into place together.
        try OutputFile.write(outputs + [.init(path: out, content: MarkdownReport.render(data, charts: links))])
        print("wrote \(out) and \(charts.count) charts beside it")
    }
}
