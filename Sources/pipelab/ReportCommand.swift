import ArgumentParser
import Foundation
import PipeLab

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a Markdown report of one sweep.",
        discussion: "With --out FILE.md the chart is written beside it as FILE.svg and linked; without, the Markdown goes to standard output, without the chart.")

    @Argument(help: "The sweep: its id, name, UUID prefix, latest, or group:UUIDPREFIX (a shard reports its whole group).") var sweep = "latest"
    @Option(help: "Write the report here (and the chart beside it) instead of standard output.") var out: String?
    @OptionGroup var database: DatabaseOption

    func run() throws {
        if let out, !out.hasSuffix(".md") {
            throw InputError("--out: '\(out)' does not end in .md; accepted: a path like report.md (the chart goes beside it as report.svg)")
        }
        let store = try database.open(create: false)
        var data: ReportData
        let source: (store: Store, sweepID: Int64, fold: GroupFold?)
        let appendix: String
        do {
            let selection = try store.findSelection(sweep)
            let fold = try selection.group.map { _ throws(StoreError) in try GroupFold(selection, from: store) }
            source = (fold?.store ?? store, fold?.sweepID ?? selection.record.id, fold)
            data = try source.store.reportData(sweepID: source.sweepID)
            data.sweep = selection.asOneSweep
            appendix = ShardSection.render(selection) + HostSections.render(try store.hostRuns(sameSpecAs: selection.record.spec))
        } catch {
            throw CommandFailure.store(error)
        }
        guard let out else {
            print(MarkdownReport.render(data, appendix: appendix), terminator: "")
            return
        }
        let charts: [ReportChart]
        do { charts = ReportCharts.all(try source.store.chartData(sweepID: source.sweepID)) } catch { throw CommandFailure.store(error) }
        var links: [MarkdownReport.Chart] = []
        for chart in charts {
            let path = OutputFile.chartPath(for: out, name: chart.name)
            try OutputFile.write(chart.svg, to: path)
            links.append(MarkdownReport.Chart(file: URL(fileURLWithPath: path).lastPathComponent, title: chart.title))
        }
        try OutputFile.write(MarkdownReport.render(data, charts: links, appendix: appendix), to: out)
        print("wrote \(out) and \(charts.count) charts beside it")
    }
}
