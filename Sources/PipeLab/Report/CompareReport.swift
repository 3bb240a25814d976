import Foundation

/// `pipelab compare A B`: what differs between two sweeps (two kernels, two machines, two days).
/// A cell differs when it is deterministic in both sweeps with different signatures. A cell that
/// races (more than one signature in either sweep) has no single outcome to compare: when its
/// signatures differ it is listed with both distributions, apart from the differences.
public enum CompareReport {
    public static func render(_ a: ReportData, _ b: ReportData) -> String {
        let cellsA = distributions(a.cells), cellsB = distributions(b.cells)
        let common = a.cells.map(\.scenario).filter { cellsB[$0] != nil }
        let shared = MarkdownReport.uniqued(common)
        let changed = shared.filter { Set(cellsA[$0]!.map(\.signature)) != Set(cellsB[$0]!.map(\.signature)) }
        let differing = changed.filter { cellsA[$0]!.count == 1 && cellsB[$0]!.count == 1 }
        let racing = changed.filter { cellsA[$0]!.count > 1 || cellsB[$0]!.count > 1 }
        let onlyA = MarkdownReport.uniqued(a.cells.map(\.scenario).filter { cellsB[$0] == nil })
        let onlyB = MarkdownReport.uniqued(b.cells.map(\.scenario).filter { cellsA[$0] == nil })

        var out = "# pipelab compare: \(Markdown.text(a.sweep.name)) (A) and \(Markdown.text(b.sweep.name)) (B)\n\n"
        out += Markdown.table(["", "A", "B"], [
            ["sweep", "\(a.sweep.id) (" + Markdown.code(a.sweep.uuid) + ")", "\(b.sweep.id) (" + Markdown.code(b.sweep.uuid) + ")"],
            ["status", a.sweep.status.rawValue, b.sweep.status.rawValue],
            ["host", Markdown.text(a.sweep.host.hostname), Markdown.text(b.sweep.host.hostname)],
            ["kernel", Markdown.text(a.sweep.host.kernel), Markdown.text(b.sweep.host.kernel)],
            ["os", Markdown.text(a.sweep.host.os), Markdown.text(b.sweep.host.os)],
            ["arch, CPUs", Markdown.text("\(a.sweep.host.arch), \(a.sweep.host.cpus)"), Markdown.text("\(b.sweep.host.arch), \(b.sweep.host.cpus)")],
            ["pipelab", Markdown.text(a.sweep.pipelabVersion), Markdown.text(b.sweep.pipelabVersion)],
            ["started", Markdown.text(a.sweep.startedAt), Markdown.text(b.sweep.startedAt)],
            ["runs", String(a.cells.reduce(0) { $0 + $1.runs }), String(b.cells.reduce(0) { $0 + $1.runs })],
            ["grid", grid(a), grid(b)],
        ])
        out += "\n## Verdict\n\n"
        let racingNote = racing.isEmpty ? "" : " \(racing.count) cells race (more than one signature in at least one sweep) and are listed below without a verdict."
        if differing.isEmpty && onlyA.isEmpty && onlyB.isEmpty && racing.isEmpty {
            out += "**Equal**: the \(shared.count) cells in both sweeps produced the same signatures.\n"
        } else if differing.isEmpty && onlyA.isEmpty && onlyB.isEmpty {
            out += "**Equal** wherever the outcome is deterministic: \(shared.count - racing.count) cells produced the same signatures.\(racingNote)\n"
        } else {
            out += "\(differing.count) of the \(shared.count) cells in both sweeps produced different signatures; \(onlyA.count) cells are only in A, \(onlyB.count) only in B.\(racingNote)\n"
        }
        let columns = ["transport", "peer", "sigpipe", "sleep", "sends", "payload", "A", "B"]
        if !differing.isEmpty {
            out += "\n## Cells whose signatures differ\n\n"
            out += Markdown.table(columns, differing.map { cellColumns($0) + [describe(cellsA[$0]!), describe(cellsB[$0]!)] })
        }
        if !racing.isEmpty {
            out += "\n## Cells that race\n\nTheir repeats disagree in at least one sweep, so which signatures appear is partly chance; more repeats narrow the distributions.\n\n"
            out += Markdown.table(columns, racing.map { cellColumns($0) + [describe(cellsA[$0]!), describe(cellsB[$0]!)] })
        }
        for (title, cells, side) in [("only in A", onlyA, cellsA), ("only in B", onlyB, cellsB)] where !cells.isEmpty {
            out += "\n## Cells \(title)\n\n"
            out += Markdown.table(["transport", "peer", "sigpipe", "sleep", "sends", "payload", "signatures"],
                                  cells.map { cellColumns($0) + [describe(side[$0]!)] })
        }
        return out
    }

    static func distributions(_ cells: [CellSignature]) -> [Scenario: [CellSignature]] {
        Dictionary(grouping: cells, by: \.scenario)
    }

    static func cellColumns(_ s: Scenario) -> [String] {
        [s.transport.rawValue, s.peer.rawValue, s.sigpipe.rawValue, DurationText.format(s.sleepNs), String(s.sends), SizeText.label(s.payloadBytes)]
    }

    static func describe(_ cells: [CellSignature]) -> String {
        let total = cells.reduce(0) { $0 + $1.runs }
        return cells.sorted { $0.runs > $1.runs }.map { Markdown.code($0.signature) + " \($0.runs)/\(total)" }.joined(separator: " · ")
    }

    static func grid(_ data: ReportData) -> String {
        guard let spec = (try? SpecFile.parse(Data(data.sweep.spec.utf8), source: "stored spec"))?.applied(to: .builtIn) else { return "–" }
        return Markdown.code(ReproduceCommand.of(spec).replacingFirst("pipelab sweep ", with: ""))
    }
}

extension String {
    func replacingFirst(_ prefix: String, with replacement: String) -> String {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
    }
}
