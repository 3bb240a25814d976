import Foundation

/// `pipelab report`: a pure function from the recorded data of one sweep to Markdown, in the order
/// a reader asks: what happened, where it races, why, runs the machine disturbed, timings, how to
/// reproduce. Every table fits GitHub's 980 px column (MarkdownWidth), and the built-in grid's
/// report stays under 300 lines.
public enum MarkdownReport {
    /// A chart written beside the report.
    public struct Chart: Sendable {
        public var file: String
        public var title: String
        /// What the chart shows, true of the data drawn (the charts pipelab draws carry theirs inside).
        public var caption: String
        public init(file: String, title: String, caption: String = "") {
            self.file = file
            self.title = title
            self.caption = caption
        }
    }

    public static func render(_ data: ReportData, charts: [Chart] = []) -> String {
        let sweep = data.sweep
        let spec = (try? SpecFile.parse(Data(sweep.spec.utf8), source: "stored spec"))?.applied(to: .builtIn)
        let matrix = OutcomeMatrix(data.cells)
        let letters = SignatureLetters(matrix)
        var out = "# pipelab report: \(Markdown.text(sweep.name))\n\n"
        out += header(data, matrix: matrix)
        out += "\n## What happened\n\n"
        out += "Each signature is one token per send (`ok`, `short:N`, or the errno), `+SIGPIPE` when the call raised SIGPIPE, `killed:SIGNAME` when a signal ended the process. The matrices below show each cell's signature by its letter; `A/B` marks a cell whose repeats disagree (see the next section).\n\n"
        out += letters.legend
        out += "\n" + matrixTables(matrix, letters: letters)
        out += "\n## Where it races and where it settles\n\n"
        out += races(matrix, letters: letters)
        out += "\n## Why\n\n"
        out += explanations(data, letters: letters)
        out += "\n## Runs the machine disturbed\n\n"
        out += disturbed(data)
        out += "\n## Timings\n\n"
        out += timings(data)
        if !charts.isEmpty {
            out += "\n## Charts\n\n"
            for chart in charts {
                out += "![\(Markdown.text(chart.title))](\(chart.file))\n\n" + (chart.caption.isEmpty ? "" : Markdown.text(chart.caption) + "\n\n")
            }
        }
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
            ["sweep", "\(s.id) (" + Markdown.code(s.uuid) + "), " + Markdown.text(s.status.rawValue)],
            ["host", Markdown.text("\(host.hostname): Linux \(host.kernel), \(host.os), \(host.arch), \(host.cpus) CPUs")],
            ["pipelab", Markdown.text(s.pipelabVersion) + ", started " + Markdown.text(s.startedAt)
                + (duration(from: s.startedAt, to: s.endedAt).map { ", took " + $0 } ?? "")],
            ["runs", "\(runs) of \(s.plannedRuns) planned, \(data.disturbed.count) disturbed"],
            ["cells", "\(Plural.count(cellCount, "cell")) run, \(matrix.nondeterministic.count) racing"],
        ]
        if !data.skipped.isEmpty {
            rows.append(["skipped", Plural.count(s.skippedCells, "cell") + " that cannot exist: " + data.skipped.map {
                Markdown.text($0.label)
            }.joined(separator: "; ")])
        }
        return Markdown.table(["", ""], rows)
    }

    /// One table per transport: rows peer and sigpipe, columns the (probe, sleep, sends, payload) of the grid.
    static func matrixTables(_ matrix: OutcomeMatrix, letters: SignatureLetters) -> String {
        var out = ""
        let multipleSends = Set(matrix.columns.map(\.sends)).count > 1
        let multiplePayloads = Set(matrix.columns.map(\.payloadBytes)).count > 1
        let multipleProbes = Set(matrix.columns.map(\.probe)).count > 1
        for transport in uniqued(matrix.rows.map(\.transport)) {
            let rows = matrix.rows.filter { $0.transport == transport }
            let header = ["peer", "sigpipe"] + matrix.columns.map { column in
                var label = DurationText.format(column.sleepNs)
                if multipleSends { label += " ×\(column.sends)" }
                if multiplePayloads { label += " " + SizeText.label(column.payloadBytes) }
                if multipleProbes && column.probe != .none { label += " " + column.probe.rawValue }
                return label
            }
            let body = rows.map { row in
                [row.peer.rawValue, row.sigpipe.rawValue] + matrix.columns.map { column in
                    matrix.cell(row, column).map { letters.cell($0) } ?? "–"
                }
            }
            for part in MarkdownWidth.split(header: header, rows: body, keep: 2) {
                out += "**\(transport.rawValue)**\(part.isContinuation ? " (continued)" : "")\n\n"
                out += Markdown.table(part.header, part.rows) + "\n"
            }
        }
        return out
    }

    static func races(_ matrix: OutcomeMatrix, letters: SignatureLetters) -> String {
        let racing = matrix.nondeterministic
        let sleeps = uniqued(matrix.columns.map(\.sleepNs)).sorted()
        guard !racing.isEmpty else {
            return "Nowhere: in every cell the repeats the machine did not disturb agree" + (sleeps.count > 1 ? ", at every sleep.\n" : ".\n")
        }
        let latest = racing.map(\.column.sleepNs).max() ?? 0
        let all = matrix.scenarios
        var out = "\(Plural.count(racing.count, "cell")) of \(all.count) gave different signatures on different repeats: there the client's later sends and the peer's ending overlap, so which comes first varies from run to run."
        if let settled = sleeps.first(where: { $0 > latest }) {
            out += " No cell races at a sleep of \(DurationText.format(settled)) or more; the last racing sleep is \(DurationText.format(latest)).\n\n"
        } else {
            out += " Cells race up to the longest sleep in the grid (\(DurationText.format(latest))).\n\n"
        }
        // Cells whose repeats show the same set of signatures are listed together, counts pooled.
        var groups: [(signatures: [String], cells: [Scenario], counts: [String: Int], runs: Int)] = []
        for (row, column, cell) in racing {
            let scenario = OutcomeMatrix.scenario(row, column)
            let seen = cell.undisturbed
            let key = seen.map(\.signature).sorted()
            let index = groups.firstIndex { $0.signatures == key } ?? {
                groups.append((key, [], [:], 0))
                return groups.count - 1
            }()
            groups[index].cells.append(scenario)
            for entry in seen { groups[index].counts[entry.signature, default: 0] += entry.runs }
            groups[index].runs += seen.reduce(0) { $0 + $1.runs }
        }
        out += Markdown.table(["cells", "signatures (runs, pooled over the cells)"], groups.map { group in
            [Markdown.text(CellSet(group.cells, in: all).text),
             group.counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
                .map { "\(letters.letter($0.key)) \(Percent.of($0.value, group.runs))" }.joined(separator: " · ")
                + " of \(group.runs)"]
        })
        return out
    }

    /// One explanation per mechanism: the representative runs grouped by signature and by the text
    /// their recorded steps give, each naming the cells it covers.
    static func explanations(_ data: ReportData, letters: SignatureLetters) -> String {
        var groups: [(signature: String, text: [String], cells: [Scenario], runs: Int)] = []
        var index: [String: Int] = [:]
        for example in data.examples {
            let run = example.run
            let text = Explainer.explain(run)
            let key = run.signature + "\u{1}" + text.joined(separator: "\u{1}")
            if let at = index[key] {
                groups[at].cells.append(run.scenario)
                groups[at].runs += example.runs
            } else {
                index[key] = groups.count
                groups.append((run.signature, text, [run.scenario], example.runs))
            }
        }
        guard !groups.isEmpty else { return "No run was recorded undisturbed, so there is nothing to explain.\n" }
        let all = uniqued(data.cells.map(\.scenario))
        groups.sort { (letters.rank($0.signature), -$0.runs) < (letters.rank($1.signature), -$1.runs) }
        var out = "Derived from the steps each run recorded: what the peer read, the order of the calls, each call's result, errno, SIGPIPE and TCP state. One paragraph per mechanism, with the cells it covers.\n\n"
        for group in groups {
            out += "- **\(letters.letter(group.signature))** " + Markdown.code(group.signature) + " in "
                + Markdown.text(CellSet(group.cells, in: all).text) + " (\(Plural.count(group.runs, "run"))): "
                + group.text.map(Markdown.text).joined(separator: " ") + "\n"
        }
        return out
    }

    static func disturbed(_ data: ReportData) -> String {
        guard !data.disturbed.isEmpty else {
            return "None: in every run whose sleep was \(DurationText.format(RunEvidence.settledSleepNs)) or more, the peer had begun to end the connection before send #2.\n"
        }
        let shown = data.disturbed.prefix(20)
        var out = "In \(Plural.count(data.disturbed.count, "run")) the peer had not begun to end the connection when send #2 started, although the sleep should have let it: the machine starved the peer of the CPU. They are kept (`runs.peer_late` = 1, view `disturbed_runs`) and left out of their cells' verdicts and of the explanations above.\n\n"
        out += Markdown.table(["transport", "peer", "sigpipe", "sleep", "payload", "repeat", "signature", "slept", "peer ended after send #2 by"],
                              shown.map { run in
            let s = run.scenario
            return [s.transport.rawValue, s.peer.rawValue, s.sigpipe.rawValue, DurationText.format(s.sleepNs), SizeText.label(s.payloadBytes),
                    String(run.repeatIndex), Markdown.code(run.signature), display(run.sleptNs),
                    run.peerEndAfterSend2Ns.map(DurationDisplay.format) ?? "never"]
        })
        if data.disturbed.count > shown.count {
            out += "\n\(data.disturbed.count - shown.count) more: `SELECT * FROM disturbed_runs WHERE sweep_id = \(data.sweep.id);`\n"
        }
        return out
    }

    static func timings(_ data: ReportData) -> String {
        var out = ""
        if data.timings.isEmpty {
            out += "No send failed and returned (a send that killed its process has no duration), so there is no failing call to time.\n"
        } else {
            out += "The first failing send of each undisturbed run, by transport, peer and what it returned: how long the call took, and the time from the peer's ending call (close, shutdown or SO_LINGER) to the failing call's return, which includes the client's sleep.\n\n"
            out += Markdown.table(["transport", "peer", "failed with", "runs", "call median", "call p95", "peer end → error median"],
                                  data.timings.map { t in
                [t.transport.rawValue, t.peer.rawValue, t.errnoName ?? "short write", String(t.failingCallNs.count),
                 display(Percentile.of(t.failingCallNs, 50)), display(Percentile.of(t.failingCallNs, 95)),
                 display(Percentile.of(t.peerToErrorNs, 50))]
            }, rightAligned: [3, 4, 5, 6])
        }
        let asked = data.sleepErrors.filter { $0.sleepNs > 0 }
        guard !asked.isEmpty else { return out }
        out += "\nSleep accuracy: how much longer than asked the client slept (end of send #1 to start of send #2, `runs.slept_ns`), and the share of runs within 1 % + 100 µs of the request.\n\n"
        out += Markdown.table(["transport", "sleep", "runs", "median error", "max error", "within 1 % + 100 µs"], asked.map { group in
            let tolerance = SleepTolerance.of(group.sleepNs)
            let within = group.errorsNs.filter { abs($0) <= tolerance }.count
            return [group.transport.rawValue, DurationText.format(group.sleepNs), String(group.errorsNs.count),
                    display(Percentile.of(group.errorsNs, 50)), display(group.errorsNs.max()), Percent.of(within, group.errorsNs.count)]
        }, rightAligned: [2, 3, 4, 5])
        return out
    }

    static func display(_ ns: Int64?) -> String {
        guard let ns else { return "–" }
        return ns < 0 ? "−" + DurationDisplay.format(-ns) : DurationDisplay.format(ns)
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

/// The tolerance a sleep is held to: 1 % of the request plus 100 µs.
public enum SleepTolerance {
    public static func of(_ sleepNs: Int64) -> Int64 { sleepNs / 100 + 100_000 }
}

/// `67 %`: a share for people.
enum Percent {
    static func of(_ part: Int, _ whole: Int) -> String {
        guard whole > 0 else { return "–" }
        return "\(Int((Double(part) * 100 / Double(whole)).rounded())) %"
    }
}

/// `1 cell`, `3 cells`.
enum Plural {
    static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
}
