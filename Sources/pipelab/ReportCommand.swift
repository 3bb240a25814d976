import ArgumentParser
import Foundation
import PipeLabExperiment
import PipeLabKernel
import PipeLabNetwork
import PipeLabReport
import PipeLabStore
import PipeLabSweep
import PipeLabWorker

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

    @Argument(help: "The sweep: its id, name, UUID prefix, latest, or group:UUIDPREFIX (a shard reports its whole group).") var sweep = "latest"
    @Option(help: "Write the report here (and the chart beside it) instead of standard output.") var out: String?
    @OptionGroup var database: DatabaseOption

    func run() throws {
        if let out, !out.hasSuffix(".md") {
            throw InputError("--out: '\(out)' does not end in .md; accepted: a path like report.md (the charts go beside it as report-heatmap.svg, …)")
        }
        // The charts' paths are known only once the data is read; write() checks them before writing any.
        if let out { try OutputFile.checkUpFront(out, option: "--out", example: "report.md") }
        let store = try database.openForReading()
        var data: ReportData
        let source: (store: Store, sweepIDs: [Int64], fold: GroupFold?)
        let appendix: String
        do {
            let selection = try store.findSelection(sweep)
            // Only a shard recorded by two sweeps (files of two attempts merged side by side) has
            // runs to choose between; the shards of any other group are read where they are.
            let fold = try selection.hasRepeatedShards ? GroupFold(selection, from: store) : nil
            source = (fold?.store ?? store, fold.map { [$0.sweepID] } ?? selection.sweepIDs, fold)
            data = try source.store.reportData(sweepIDs: source.sweepIDs)
            data.sweep = selection.asOneSweep
            appendix = ShardSection.render(selection) + HostSections.render(try store.hostRuns(sameSpecAs: selection.record.spec))
        } catch {
            throw CommandFailure.store(error)
        }
        guard let out else {
            print(TerminalText.shown(MarkdownReport.render(data, appendix: appendix), keepingLineBreaks: true), terminator: "")
            return
        }
        let charts: [ReportChart]
        do {
            var chartData = try source.store.chartData(sweepIDs: source.sweepIDs)
            if source.fold == nil { chartData.sweep = data.sweep }
            charts = ReportCharts.all(chartData)
        } catch { throw CommandFailure.store(error) }
        var outputs: [OutputFile.Output] = []
        var links: [MarkdownReport.Chart] = []
        for chart in charts {
            let path = OutputFile.chartPath(for: out, name: chart.name)
            outputs.append(.init(path: path, content: chart.svg))
            links.append(MarkdownReport.Chart(kind: chart.kind, file: URL(fileURLWithPath: path).lastPathComponent, title: chart.title))
        }
        // Every file or none: the charts and the report are renamed into place together.
        try OutputFile.write(outputs + [.init(path: out, content: MarkdownReport.render(data, charts: links, appendix: appendix))])
        print("wrote \(out) and \(charts.count) charts beside it")
    }
}
