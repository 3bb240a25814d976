import Foundation

/// `pipelab report`: a pure function from the recorded data of one sweep to Markdown.
public enum MarkdownReport {
    /// - Parameter charts: the SVG files beside the report, with their titles, to link.
    public static func render(_ data: ReportData, charts: [(file: String, title: String)] = []) -> String {
        let sweep = data.sweep
        let spec = (try? SpecFile.parse(Data(sweep.spec.utf8), source: "stored spec"))?.applied(to: .builtIn)
        let matrix = OutcomeMatrix(data.cells)
        var out = "# pipelab report: \(Markdown.text(sweep.name))\n\n"
        out += header(data, matrix: matrix)
        out += "\n## The grid\n\n"
        if let spec { out += grid(spec) }
        out += "\n## Outcome matrix\n\n"
        out += "Each cell is the signature of its runs: one token per send (`ok`, `short:N`, or the errno), `+SIGPIPE` when the call raised SIGPIPE, `killed:SIGNAME` when the signal ended the process. Where repeats disagree, every signature is shown with its frequency.\n\n"
        out += matrixTables(matrix)
        out += "\n## Cells that are not deterministic\n\n"
        out += nondeterministic(matrix)
        out += "\n## Timings\n\n"
        out += timings(data.timings)
        if !charts.isEmpty {
            out += "\n## Charts\n\n" + charts.map { "![\(Markdown.text($0.title))](\($0.file))\n" }.joined(separator: "\n")
        }
        out += "\n## What the signatures mean\n\n"
        out += explanations(data, matrix: matrix)
        out += "\n## Reproduce\n\n"
        if let spec { out += Markdown.codeBlock(ReproduceCommand.of(spec), language: "sh") }
        out += "\nRecorded command line: " + Markdown.code(sweep.commandLine) + "\n"
        return out
    }

    static func header(_ data: ReportData, matrix: OutcomeMatrix) -> String {
        let s = data.sweep, host = s.host
        let runs = data.cells.reduce(0) { $0 + $1.runs }
        let cellCount = Set(data.cells.map(\.scenario)).count
        var rows: [[String]] = [
            ["sweep", "\(s.id) (" + Markdown.code(s.uuid) + ")"],
            ["status", Markdown.text(s.status.rawValue)],
            ["host", Markdown.text("\(host.hostname): Linux \(host.kernel), \(host.os), \(host.arch), \(host.cpus) CPUs")],
            ["pipelab", Markdown.text(s.pipelabVersion)],
            ["started", Markdown.text(s.startedAt)],
        ]
        if let duration = duration(from: s.startedAt, to: s.endedAt) { rows.append(["duration", duration]) }
        rows += [
            ["runs", "\(runs) of \(s.plannedRuns) planned"],
            ["cells", "\(cellCount) run, \(matrix.nondeterministic.count) not deterministic"],
            ["skipped", "\(s.skippedCells) cells that cannot exist" + (data.skipped.isEmpty ? "" : ": " + data.skipped.map {
                Markdown.text("\($0.transport.rawValue) \($0.peer.rawValue) \($0.sigpipe.rawValue)")
            }.joined(separator: "; "))],
        ]
        return Markdown.table(["", ""], rows)
    }

    static func grid(_ spec: SweepSpec) -> String {
        Markdown.table(["parameter", "values"], [
            ["transport", spec.transport.map(\.rawValue).joined(separator: ", ")],
            ["peer", spec.peer.map(\.rawValue).joined(separator: ", ")],
            ["sigpipe", spec.sigpipe.map(\.rawValue).joined(separator: ", ")],
            ["sleep", spec.sleep.map(DurationText.format).joined(separator: ", ")],
            ["sends", spec.sends.map(String.init).joined(separator: ", ")],
            ["payload", spec.payload.map(SizeText.label).joined(separator: ", ")],
            ["repeat", String(spec.repeats)],
            ["order", spec.order == .shuffle ? "shuffle (seed \(spec.seed))" : "grid"],
            ["timeout", DurationText.format(spec.timeoutNs)],
            ["jobs", String(spec.jobs)],
        ])
    }

    /// One table per transport and (sends, payload): rows peer × sigpipe, columns the sleeps.
    static func matrixTables(_ matrix: OutcomeMatrix) -> String {
        var out = ""
        let groups = uniqued(matrix.columns.map { ($0.sends, $0.payloadBytes) }.map { "\($0.0)|\($0.1)" })
        for transport in uniqued(matrix.rows.map(\.transport)) {
            for group in groups {
                let columns = matrix.columns.filter { "\($0.sends)|\($0.payloadBytes)" == group }
                guard let first = columns.first else { continue }
                let rows = matrix.rows.filter { $0.transport == transport }
                out += "### \(transport.rawValue): \(first.sends) send\(first.sends == 1 ? "" : "s") of \(SizeText.label(first.payloadBytes))\n\n"
                let header = ["peer", "sigpipe"] + columns.map { "sleep " + DurationText.format($0.sleepNs) }
                let body = rows.map { row in
                    [row.peer.rawValue, row.sigpipe.rawValue] + columns.map { column in
                        matrix.cell(row, column).map(cellText) ?? "–"
                    }
                }
                out += Markdown.table(header, body) + "\n"
            }
        }
        return out
    }

    static func cellText(_ cell: OutcomeMatrix.Cell) -> String {
        if cell.isDeterministic { return Markdown.code(cell.signatures[0].signature) }
        return cell.signatures.map { Markdown.code($0.signature) + " \($0.runs)/\(cell.runs)" }.joined(separator: " · ")
    }

    static func nondeterministic(_ matrix: OutcomeMatrix) -> String {
        let cells = matrix.nondeterministic
        guard !cells.isEmpty else { return "None: every cell's repeats agree.\n" }
        var out = "\(cells.count) cell\(cells.count == 1 ? "" : "s") gave different signatures on different repeats. Short sleeps race the peer's close and the RST it provokes; which side wins varies from run to run.\n\n"
        out += Markdown.table(["transport", "peer", "sigpipe", "sleep", "sends", "payload", "distribution"], cells.map { row, column, cell in
            [row.transport.rawValue, row.peer.rawValue, row.sigpipe.rawValue, DurationText.format(column.sleepNs),
             String(column.sends), SizeText.label(column.payloadBytes), cellText(cell)]
        })
        return out
    }

    static func timings(_ timings: [CellTiming]) -> String {
        guard !timings.isEmpty else { return "No send failed (or every failing send killed the process that made it), so there is nothing to time.\n" }
        var out = "For each cell with a failing send that returned: the duration of that call, and the time from the peer's ending call (close, shutdown or SO_LINGER) to the failing call's return, which includes the client's sleep. Median and p95 over the cell's runs.\n\n"
        out += Markdown.table(
            ["transport", "peer", "sigpipe", "sleep", "sends", "payload", "runs", "failing call median", "p95", "peer action → error median", "p95"],
            timings.map { t in
                let s = t.scenario
                return [s.transport.rawValue, s.peer.rawValue, s.sigpipe.rawValue, DurationText.format(s.sleepNs), String(s.sends),
                        SizeText.label(s.payloadBytes), String(t.failingCallNs.count),
                        display(Percentile.of(t.failingCallNs, 50)), display(Percentile.of(t.failingCallNs, 95)),
                        display(Percentile.of(t.peerToErrorNs, 50)), display(Percentile.of(t.peerToErrorNs, 95))]
            }, rightAligned: [6, 7, 8, 9, 10])
        return out
    }

    static func display(_ ns: Int64?) -> String { ns.map(DurationDisplay.format) ?? "–" }

    /// For each signature, the explanation of each mechanism that produced it, with the cells.
    static func explanations(_ data: ReportData, matrix: OutcomeMatrix) -> String {
        var out = ""
        for entry in matrix.signatures {
            out += "### " + Markdown.code(entry.signature) + "\n\n"
            out += "\(entry.runs) run\(entry.runs == 1 ? "" : "s") in \(entry.cells) cell\(entry.cells == 1 ? "" : "s").\n\n"
            // The same signature can arise from different mechanisms: group the (transport, peer,
            // sigpipe) rows that produced it by the explanation they get.
            var groups: [(text: [String], rows: [String])] = []
            for row in matrix.rows where matrix.columns.contains(where: { column in
                matrix.cell(row, column)?.signatures.contains { $0.signature == entry.signature } == true
            }) {
                let scenario = Scenario(transport: row.transport, peer: row.peer, sigpipe: row.sigpipe, sleepNs: 0, sends: 1,
                                        payloadBytes: data.cells.first { $0.signature == entry.signature }?.scenario.payloadBytes ?? 1)
                let text = Explainer.explain(signature: entry.signature, scenario: scenario)
                let label = "\(row.transport.rawValue) \(row.peer.rawValue) \(row.sigpipe.rawValue)"
                if let index = groups.firstIndex(where: { $0.text == text }) {
                    groups[index].rows.append(label)
                } else {
                    groups.append((text, [label]))
                }
            }
            for group in groups {
                out += "Seen with " + group.rows.map { Markdown.text($0) }.joined(separator: ", ") + ":\n\n"
                out += group.text.map { "- " + Markdown.text($0) }.joined(separator: "\n") + "\n\n"
            }
            if let states = data.exampleStates[entry.signature], states.contains(where: { $0 != nil }) {
                out += "Recorded TCP state of the client's socket after each send, in one such run: "
                    + states.map { $0 ?? "–" }.joined(separator: " → ") + "\n\n"
            }
        }
        return out
    }

    static func duration(from start: String, to end: String?) -> String? {
        guard let end, let a = Timestamp.parse(start), let b = Timestamp.parse(end) else { return nil }
        return DurationDisplay.format(Int64((b - a) * 1e9))
    }

    static func uniqued<T: Hashable>(_ values: [T]) -> [T] {
        var seen = Set<T>()
        return values.filter { seen.insert($0).inserted }
    }
}
