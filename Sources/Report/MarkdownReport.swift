import Foundation
import PipeLabExperiment
import PipeLabKernel
import PipeLabStore

/// `pipelab report`: a pure function from the recorded data of one sweep to Markdown, in the order
/// a reader asks: what happened, where it races, why, runs the machine disturbed, timings, how to
/// reproduce. Every table fits GitHub's 980 px column (MarkdownWidth), and the built-in grid's
/// report stays under 300 lines.
public enum MarkdownReport {
    /// A chart written beside the report (each carries its caption inside the SVG).
    public struct Chart: Sendable {
        /// Where the report shows it: the heatmap (and the link chart) under what happened, the race window under the
        /// races, the sequence diagrams linked in one line under the explanations.
        public enum Kind: Sendable { case heatmap, link, raceWindow, sequence }
        public var kind: Kind
        public var file: String
        public var title: String
        public init(kind: Kind, file: String, title: String) {
            self.kind = kind
            self.file = file
            self.title = title
        }
    }

    /// `appendix`: sections other parts of pipelab add (shards, hosts), before Reproduce.
    public static func render(_ data: ReportData, charts: [Chart] = [], appendix: String = "") -> String {
        let sweep = data.sweep
        let spec = (try? SpecFile.parse(Data(sweep.spec.utf8), source: "stored spec"))?.applied(to: .builtIn)
        let matrix = OutcomeMatrix(data.cells)
        let letters = SignatureLetters(matrix)
        var out = "# pipelab report: \(Markdown.text(sweep.name))\n\n"
        out += header(data, matrix: matrix)
        out += "\n## What happened\n\n"
        let order = uniqued(matrix.rows.map(\.sigpipe)).map { "`\($0.rawValue)`" }.joined(separator: " ")
        out += "Each signature is one token per send (`ok`, `short:N`, or the errno), `+SIGPIPE` when the call raised SIGPIPE, `killed:SIGNAME` when a signal ended the process. The table below gives each cell's signature by its letter, one letter per SIGPIPE disposition in the order \(order); `*` marks a cell whose repeats disagree (the letter is its most frequent signature; the next section has the rest), `·` a combination that cannot exist.\n\n"
        out += letters.legend
        out += "\n" + matrixTables(matrix, letters: letters)
        out += embedded(charts, .heatmap)
        out += embedded(charts, .link)
        out += "\n## Where it races and where it settles\n\n"
        out += races(matrix, letters: letters, examples: data.examples, data: data)
        out += embedded(charts, .raceWindow)
        out += "\n## Why\n\n"
        out += explanations(data, letters: letters)
        let sequences = charts.filter { $0.kind == .sequence }
        if !sequences.isEmpty {
            out += "\nOne run of each signature drawn as a sequence of calls: "
                + sequences.map { "[\(Markdown.text($0.title))](\($0.file))" }.joined(separator: " · ") + "\n"
        }
        out += "\n## Runs the machine disturbed\n\n"
        out += disturbed(data)
        out += "\n## Timings\n\n"
        out += timings(data)
        out += appendix
        out += "\n## Reproduce\n\n"
        if let spec { out += Markdown.codeBlock(ReproduceCommand.wrapped(spec), language: "sh") }
        out += "\nRecorded command line: " + Markdown.code(sweep.commandLine) + "\n"
        return out
    }

    package static func embedded(_ charts: [Chart], _ kind: Chart.Kind) -> String {
        charts.filter { $0.kind == kind }.map { "\n![\(Markdown.text($0.title))](\($0.file))\n" }.joined()
    }

    package static func header(_ data: ReportData, matrix: OutcomeMatrix) -> String {
        let s = data.sweep, host = s.host
        let runs = data.cells.reduce(0) { $0 + $1.runs }
        let cellCount = Set(data.cells.map(\.scenario)).count
        let rows: [[String]] = [
            ["sweep", "\(s.id) (" + Markdown.code(s.uuid) + "), " + Markdown.text(s.status.rawValue)],
            ["host", Markdown.text("\(host.hostname): Linux \(host.kernel), \(host.os), \(host.arch), \(host.cpus) CPUs")],
            ["pipelab", Markdown.text(s.pipelabVersion) + ", started " + Markdown.text(s.startedAt)
                + (duration(from: s.startedAt, to: s.endedAt).map { ", took " + $0 } ?? "")],
            ["runs", "\(runs) of \(s.plannedRuns) planned, \(data.disturbed.count) disturbed"],
            ["cells", "\(Plural.count(cellCount, "cell")) run, \(matrix.nondeterministic.count) racing"],
        ]
        var out = Markdown.table(["", ""], rows)
        if !data.skipped.isEmpty {
            out += "\nNot run: " + Plural.count(s.skippedCells, "cell") + " that cannot exist:\n\n" + skippedList(data)
        }
        return out
    }

    /// One table per transport: rows peer and sigpipe, columns the (probe, sleep, sends, payload) of the grid.
    /// The grid as one table (split by columns where it is too wide): a row per transport and
    /// peer, a column per sleep, sends, payload and probe, and in each cell one letter per SIGPIPE
    /// disposition of the sweep, in the order the intro names.
    package static func matrixTables(_ matrix: OutcomeMatrix, letters: SignatureLetters) -> String {
        var out = ""
        let multipleSends = Set(matrix.columns.map(\.sends)).count > 1
        let multiplePayloads = Set(matrix.columns.map(\.payloadBytes)).count > 1
        let multipleProbes = Set(matrix.columns.map(\.probe)).count > 1
        let multipleNetworks = Set(matrix.columns.map(\.network)).count > 1
        let dispositions = uniqued(matrix.rows.map(\.sigpipe))
        // A header line per parameter (GitHub breaks a header at <br>): columns stay as narrow as
        // their letters, so more of them fit in the column.
        let header = ["transport, peer"] + matrix.columns.map { column in
            var lines = [DurationText.format(column.sleepNs)]
            if multipleSends { lines.append("×\(column.sends)") }
            if multiplePayloads { lines.append(SizeText.label(column.payloadBytes)) }
            if multipleProbes && column.probe != .none { lines.append(column.probe.rawValue) }
            if multipleNetworks && column.network != .plain { lines += column.network.label.components(separatedBy: " every ").enumerated().map { $0.offset == 0 ? $0.element : "every " + $0.element } }
            return lines.map(Markdown.text).joined(separator: "<br>")
        }
        let pairs = uniqued(matrix.rows.map { "\($0.transport.rawValue) \($0.peer.rawValue)" })
        let body = pairs.map { pair -> [String] in
            let row = matrix.rows.first { "\($0.transport.rawValue) \($0.peer.rawValue)" == pair }
            return [pair] + matrix.columns.map { column in
                dispositions.map { sigpipe -> String in
                    guard let row, let cell = matrix.cell(OutcomeMatrix.RowKey(transport: row.transport, peer: row.peer, sigpipe: sigpipe), column),
                          let first = letters.counted(cell).first else { return "·" }
                    return letters.letter(first.signature) + (cell.isDeterministic ? "" : "\\*")
                }.joined(separator: " ")
            }
        }
        for part in MarkdownWidth.split(header: header, rows: body, keep: 1) {
            out += Markdown.table(part.header, part.rows) + "\n"
        }
        return out
    }

    /// The impossible combinations, one line per reason, written compactly.
    package static func skippedList(_ data: ReportData) -> String {
        func combination(_ t: Transport, _ p: PeerAction, _ g: SigpipeMode, _ probe: Probe) -> Scenario {
            Scenario(transport: t, peer: p, sigpipe: g, sleepNs: 0, sends: 1, payloadBytes: 1, probe: probe)
        }
        let skipped = data.skipped.map { combination($0.transport, $0.peer, $0.sigpipe, $0.probe) }
        let universe = skipped + data.cells.map { combination($0.scenario.transport, $0.scenario.peer, $0.scenario.sigpipe, $0.scenario.probe) }
        return uniqued(data.skipped.map(\.reason)).map { reason in
            let combos = data.skipped.filter { $0.reason == reason }.map { combination($0.transport, $0.peer, $0.sigpipe, $0.probe) }
            return "- " + Markdown.text(CellSet(combos, in: universe).text) + ": " + Markdown.text(reason) + "\n"
        }.joined()
    }

    package static func races(_ matrix: OutcomeMatrix, letters: SignatureLetters, examples: [CellExample], data: ReportData) -> String {
        let racing = matrix.nondeterministic
        let sleeps = uniqued(matrix.columns.map(\.sleepNs)).sorted()
        guard !racing.isEmpty else {
            return "Nowhere: in every cell the repeats the machine did not disturb agree" + (sleeps.count > 1 ? ", at every sleep.\n" : ".\n")
        }
        let latest = racing.map(\.column.sleepNs).max() ?? 0
        let all = matrix.scenarios
        var out = "\(Plural.count(racing.count, "cell")) of \(all.count) gave different signatures on different repeats."
        let short = racing.filter { $0.column.sleepNs < RunEvidence.settledSleepNs }
        let settledCells = Set(racing.filter { $0.column.sleepNs >= RunEvidence.settledSleepNs }.map { OutcomeMatrix.scenario($0.row, $0.column) })
        if !short.isEmpty {
            out += " At sleeps under \(DurationText.format(RunEvidence.settledSleepNs)) (\(Plural.count(short.count, "cell"))) the client's later sends and the peer's ending overlap, so which comes first varies from run to run."
        }
        if !settledCells.isEmpty {
            // In these cells the peer ended the connection before send #2 in every run counted.
            let overlapping = Set(examples.filter { settledCells.contains($0.run.scenario) && RunEvidence($0.run).firstSendOverlapsPeerEnd }
                .map(\.run.scenario))
            out += overlapping == settledCells
                ? " At longer sleeps (\(Plural.count(settledCells.count, "cell"))) the peer began to end the connection before send #2 in every run counted, yet the runs differ: the first send was still in progress when the peer ended the connection, and how far it had got (how much of its data had arrived) varies from run to run."
                : " At longer sleeps (\(Plural.count(settledCells.count, "cell"))) the peer began to end the connection before send #2 in every run counted, yet the runs differ: the order of the calls was the same, what varies lies in the kernel's timing (each signature's mechanism is under Why)."
        }
        if let settled = sleeps.first(where: { $0 > latest }) {
            out += " No cell races at a sleep of \(DurationText.format(settled)) or more; the last racing sleep is \(DurationText.format(latest)).\n\n"
        } else {
            out += " Cells differ up to the longest sleep in the grid (\(DurationText.format(latest))).\n\n"
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
        out += "Cells whose repeats show the same signatures are listed together, with the share of each signature among their runs:\n\n"
        // The groups with the most runs; the rest in one line, so that the report stays short.
        let shown = groups.sorted { $0.runs > $1.runs }.prefix(Self.raceGroupsShown)
        let rest = groups.count - shown.count
        for group in shown {
            let shares = group.counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
                .map { "**\(letters.letter($0.key))** \(Percent.of($0.value, group.runs))" }.joined(separator: " · ")
            out += "- \(shares) of \(Plural.count(group.runs, "run")) in " + Markdown.text(CellSet(group.cells, in: all).text) + "\n"
        }
        if rest > 0 {
            let cells = groups.sorted { $0.runs > $1.runs }.dropFirst(shown.count).reduce(0) { $0 + $1.cells.count }
            out += "- and \(Plural.count(rest, "more group")) (\(Plural.count(cells, "cell"))) with fewer runs: `SELECT * FROM nondeterministic_cells WHERE sweep_id = \(data.sweep.id);`\n"
        }
        return out
    }

    /// Race groups listed one by one; the others are counted in one line.
    package static let raceGroupsShown = 12

    /// One explanation per mechanism: the representative runs grouped by signature and by the text
    /// their recorded steps give, each naming the cells it covers.
    package static func explanations(_ data: ReportData, letters: SignatureLetters) -> String {
        let plain = data.examples.filter { $0.run.scenario.probe == .none }
        let probed = data.examples.filter { $0.run.scenario.probe != .none }
        guard !data.examples.isEmpty else { return "No run was recorded undisturbed, so there is nothing to explain.\n" }
        let all = uniqued(data.cells.map(\.scenario))
        var out = "Derived from the steps each run recorded: what the peer read and left unread (its FIONREAD before it ended the connection), the order of the calls, each call's result and errno. One paragraph per mechanism, with the cells it covers; `pipelab run` tells one run in full, with its TCP states.\n\n"
        out += sigpipeNote(Set(data.cells.map(\.scenario.sigpipe)))
        out += mechanisms(plain, in: all, letters: letters) { Explainer.explain($0, detail: .mechanism) }
        if !probed.isEmpty {
            out += "\nThe probes: what the client's extra call after the sleep returned or consumed, and what that left for the next send (the runs are as above otherwise).\n\n"
            out += mechanisms(probed, in: all, letters: letters) { ProbeExplainer.sentence($0, detail: .mechanism).map { [$0] } ?? [] }
        }
        return out
    }

    /// Bullets of the examples grouped by the text `explain` gives them: runs whose mechanism reads
    /// alike are one explanation, whatever their signatures (which differ by what the SIGPIPE
    /// disposition made of the same EPIPE, or by a short count), naming the cells it covers.
    package static func mechanisms(_ examples: [CellExample], in all: [Scenario], letters: SignatureLetters,
                           _ explain: (RunResult) -> [String]) -> String {
        var groups: [(signatures: [String], text: [String], cells: [Scenario], runs: Int)] = []
        var index: [[String]: Int] = [:]
        for example in examples {
            let run = example.run
            let text = explain(run)
            guard !text.isEmpty else { continue }
            if let at = index[text] {
                groups[at].cells.append(run.scenario)
                groups[at].runs += example.runs
                if !groups[at].signatures.contains(run.signature) { groups[at].signatures.append(run.signature) }
            } else {
                index[text] = groups.count
                groups.append(([run.signature], text, [run.scenario], example.runs))
            }
        }
        for at in groups.indices { groups[at].signatures.sort { letters.rank($0) < letters.rank($1) } }
        groups.sort { (letters.rank($0.signatures[0]), -$0.runs) < (letters.rank($1.signatures[0]), -$1.runs) }
        return groups.map { group in
            "- " + group.signatures.map { "**\(letters.letter($0))** " + Markdown.code($0) }.joined(separator: ", ") + " in "
                + Markdown.text(CellSet(group.cells, in: all).text) + " (\(Plural.count(group.runs, "run"))): "
                + group.text.map(Markdown.text).joined(separator: " ") + "\n"
        }.joined()
    }

    /// What each disposition present makes of SIGPIPE, said once for all the mechanisms.
    package static func sigpipeNote(_ present: Set<SigpipeMode>) -> String {
        let meaning: [SigpipeMode: String] = [
            .default: "`default`: its default action ends the process inside that call (`killed:SIGPIPE`)",
            .ignore: "`ignore`: SIG\\_IGN discards it and only the errno remains (Python's BrokenPipeError)",
            .handler: "`handler`: a handler catches it and the call returns the error (`+SIGPIPE`)",
            .nosignal: "`nosignal`: MSG\\_NOSIGNAL keeps send(2) from raising it",
            .blocked: "`blocked`: it stays pending while the call returns the error (`+SIGPIPE`)",
        ]
        let said = SigpipeMode.allCases.filter(present.contains).compactMap { meaning[$0] }
        guard !said.isEmpty else { return "" }
        return "The kernel raises SIGPIPE when a send or write can send nothing because the other end is gone or the socket is shut down for sending: with EPIPE, never with ECONNRESET. A pipe write cut short by the reader's close raises it too, with its count (pipe\\_write()); a socket send cut short does not (tcp\\_sendmsg() and unix\\_stream\\_sendmsg() raise it only when nothing was sent). What the process sees depends on the disposition: " + said.joined(separator: "; ") + ".\n\n"
    }

    package static func disturbed(_ data: ReportData) -> String {
        guard !data.disturbed.isEmpty else {
            return "None: in every run whose sleep was \(DurationText.format(RunEvidence.settledSleepNs)) or more (and covered the round trip) the peer had begun to end the connection before send #2, every timed pause ended within 1 % + 100 µs of its time, and at shorter sleeps the peer was waiting when send #1 began.\n"
        }
        let shown = data.disturbed.prefix(8)
        let meaning: [(Disturbance.Reason, String)] = [
            (.peerLate, "the peer had not begun to end the connection when send #2 started (or the probe, with one send), although the sleep should have let it and the link dropped nothing before"),
            (.pauseLate, "a timed pause (the sleep or an interval) ran more than 1 % + 100 µs over"),
            (.peerStartedLate, "at a sleep too short to settle, the peer's first call began more than 1 ms after send #1 did"),
        ]
        let counted = meaning.compactMap { reason, text in
            let n = data.disturbed.filter { $0.reason == reason }.count
            return n == 0 ? nil : "in \(Plural.count(n, "run")) (`\(reason.rawValue)`) \(text)"
        }
        var out = "The machine disturbed \(Plural.count(data.disturbed.count, "run")): " + counted.joined(separator: "; ") + ". They are kept (`runs.disturbance` = 'cpu', `runs.peer_late` = 1, view `disturbed_runs`) and left out of their cells' verdicts and of the explanations above. Runs the emulated link decided (`disturbance` = 'link') are the experiment and counted.\n\n"
        out += "\"Peer late by\" is how long after send #2 began the peer began to end the connection.\n\n"
        out += Markdown.table(["cell", "repeat", "signature", "why", "slept", "peer late by"], shown.map { run in
            let s = run.scenario
            return [Markdown.text("\(s.transport.rawValue) \(s.peer.rawValue) \(s.sigpipe.rawValue) \(DurationText.format(s.sleepNs)) ×\(s.sends) \(SizeText.label(s.payloadBytes))"),
                    String(run.repeatIndex), Markdown.code(run.signature), run.reason.map { Markdown.code($0.rawValue) } ?? "",
                    display(run.sleptNs),
                    run.reason != .peerLate ? "" : run.peerEndAfterSend2Ns.map(DurationDisplay.format) ?? "never"]
        }, rightAligned: [1, 4, 5])
        if data.disturbed.count > shown.count {
            out += "\n\(data.disturbed.count - shown.count) more: `SELECT * FROM disturbed_runs WHERE sweep_id = \(data.sweep.id);`\n"
        }
        return out
    }

    package static func timings(_ data: ReportData) -> String {
        var out = ""
        if data.timings.isEmpty {
            out += "No send failed and returned (a send that killed its process has no duration), so there is no failing call to time.\n"
        } else {
            out += "The first failing send of each undisturbed run that returned, by transport and what it returned: how long the call took, and the time from the peer's ending call (close, shutdown or SO_LINGER) to the failing call's return, which includes the client's sleep.\n\n"
            out += Markdown.table(["transport", "failed with", "runs", "call median", "call p95", "peer end → error median"],
                                  data.timings.map { t in
                [t.transport.rawValue, t.errnoName ?? "short write", String(t.failingCallNs.count),
                 display(Percentile.of(t.failingCallNs, 50)), display(Percentile.of(t.failingCallNs, 95)),
                 display(Percentile.of(t.peerToErrorNs, 50))]
            }, rightAligned: [2, 3, 4, 5])
        }
        // Per sleep, every transport's runs together (`run_details.sleep_error_ns` has them per run).
        let asked = Dictionary(grouping: data.sleepErrors.filter { $0.sleepNs > 0 }, by: \.sleepNs)
            .map { (sleepNs: $0.key, errorsNs: $0.value.flatMap(\.errorsNs)) }.sorted { $0.sleepNs < $1.sleepNs }
        guard !asked.isEmpty else { return out }
        out += "\nSleep accuracy: how much longer than asked the client slept (end of send #1 to start of send #2, `runs.slept_ns`), and the share of runs within 1 % + 100 µs of the request.\n\n"
        out += Markdown.table(["sleep", "runs", "median error", "max error", "within 1 % + 100 µs"], asked.map { group in
            let tolerance = SleepTolerance.of(group.sleepNs)
            let within = group.errorsNs.filter { abs($0) <= tolerance }.count
            return [DurationText.format(group.sleepNs), String(group.errorsNs.count),
                    display(Percentile.of(group.errorsNs, 50)), display(group.errorsNs.max()), Percent.of(within, group.errorsNs.count)]
        }, rightAligned: [1, 2, 3, 4])
        return out
    }

    package static func display(_ ns: Int64?) -> String {
        guard let ns else { return "–" }
        return ns < 0 ? "−" + DurationDisplay.format(-ns) : DurationDisplay.format(ns)
    }

    package static func duration(from start: String, to end: String?) -> String? {
        guard let end, let a = Timestamp.parse(start), let b = Timestamp.parse(end) else { return nil }
        return DurationDisplay.format(Int64((b - a) * 1e9))
    }
}

/// The tolerance a sleep is held to: 1 % of the request plus 100 µs.
public enum SleepTolerance {
    public static func of(_ sleepNs: Int64) -> Int64 { sleepNs / 100 + 100_000 }
}

/// `67 %`: a share for people.
package enum Percent {
    package static func of(_ part: Int, _ whole: Int) -> String {
        guard whole > 0 else { return "–" }
        return "\(Int((Double(part) * 100 / Double(whole)).rounded())) %"
    }
}
