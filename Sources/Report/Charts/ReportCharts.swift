import PipeLabStore
import PipeLabExperiment

/// A chart to be written beside a report: `name` completes its file name, `title` is its alt text.
public struct ReportChart: Sendable {
    public var kind: MarkdownReport.Chart.Kind
    public var name: String
    public var title: String
    public var svg: String
}

/// The report's charts, in the order the report shows them.
public enum ReportCharts {
    public static func all(_ data: ChartData) -> [ReportChart] {
        var charts = [ReportChart(kind: .heatmap, name: "heatmap", title: "What happened to the first failing send, cell by cell", svg: Heatmap.svg(data))]
        if let link = LinkChart.svg(data) {
            charts.append(ReportChart(kind: .link, name: "link", title: "The first failing send against the network", svg: link))
        }
        if let race = RaceWindowChart.svg(data) {
            charts.append(ReportChart(kind: .raceWindow, name: "race-window", title: "First failure against the sleep, per transport, peer and payload", svg: race))
        }
        for (index, run) in data.representatives.prefix(sequencesDrawn).enumerated() {
            charts.append(ReportChart(kind: .sequence, name: "sequence-\(index + 1)", title: SignatureText.compact(run.signature),
                                      svg: SequenceDiagram.svg(run)))
        }
        return charts
    }

    /// Sequence diagrams drawn: those of the signatures with the most runs.
    package static let sequencesDrawn = 12
}
