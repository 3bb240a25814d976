import Foundation
import PipeLabExperiment
import PipeLabKernel
import PipeLabStore

/// `pipelab report`: a pure function from the recorded data of one sweep to Markdown, answer
/// first: a header of a few lines, the answer table (what the client sees per transport and peer
/// ending), then the charts, where it races, why (one section per mechanism), runs the machine
/// disturbed, timings, how to reproduce, and the combinations that cannot exist last.
public enum MarkdownReport {
    /// A chart written beside the report (each carries its caption inside the SVG).
    public struct Chart: Sendable {
        /// Where the report shows it: the heatmap (and the link chart) under the answer, the race window under the
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
        let spec = SweepSpec.stored(sweep.spec)
        let matrix = OutcomeMatrix(data.cells)
        let answer = AnswerTable(data.cells)
        var out = "# pipelab report: \(Markdown.text(sweep.name))\n\n"
        out += header(data, matrix: matrix)
        out += "\n## The answer\n\n"
        out += answerIntro(answer) + "\n\n" + answer.markdown
        if let loss = lossLine(data) { out += "\n" + loss + "\n" }
        out += embedded(charts, .heatmap)
        out += embedded(charts, .link)
        if let runtimes = RuntimeTable.section(data) { out += "\n## What each program saw\n\n" + runtimes }
        out += "\n## Where it races\n\n"
        out += races(matrix, examples: data.examples, data: data)
        out += embedded(charts, .raceWindow)
        out += "\n## Why\n\n"
        out += explanations(data)
        let sequences = charts.filter { $0.kind == .sequence }
        if !sequences.isEmpty {
            out += "\nA typical run of each signature drawn as a sequence of calls: "
                + sequences.map { "[\(Markdown.text($0.title))](\($0.file))" }.joined(separator: ", ") + ".\n"
        }
        out += "\n## Runs the machine disturbed\n\n"
        out += disturbed(data)
        out += "\n## Timings\n\n"
        out += timings(data)
        out += appendix
        out += "\n## Reproduce\n\n"
        // Runs over a lossy link are captured whatever the flag; a captured lossless run says it was given.
        let captured = data.examples.contains { !$0.run.packets.isEmpty && $0.run.scenario.lossBasisPoints == 0 }
        if let spec { out += Markdown.codeBlock(ReproduceCommand.wrapped(spec, capture: captured), language: "sh") }
        out += "\nRecorded command line: " + Markdown.code(sweep.commandLine) + "; sweep UUID " + Markdown.code(sweep.uuid) + ".\n"
        let impossible = data.skipped.filter(\.cannotExist), unrunnable = data.skipped.filter { !$0.cannotExist }
        if !impossible.isEmpty {
            out += "\n## Not run: combinations that cannot exist\n\n"
            out += Plural.count(impossible.reduce(0) { $0 + $1.cells }, "cell") + " of the grid cannot exist and were not run:\n\n" + skippedList(impossible, data)
        }
        if !unrunnable.isEmpty {
            out += "\n## Not run here: what the machine could not run\n\n"
            out += "Left out because the machine that ran the sweep could not run them (" + Plural.count(unrunnable.reduce(0) { $0 + $1.cells }, "cell") + "):\n\n" + skippedList(unrunnable, data)
        }
        return out
    }

    package static func embedded(_ charts: [Chart], _ kind: Chart.Kind) -> String {
        charts.filter { $0.kind == kind }.map { "\n![\(Markdown.text($0.title))](\($0.file))\n" }.joined()
    }

    /// At most four lines: which sweep, on what, and how many runs.
    package static func header(_ data: ReportData, matrix: OutcomeMatrix) -> String {
        let s = data.sweep, host = s.host
        let runs = data.cells.reduce(0) { $0 + $1.runs }
        let took = duration(from: s.startedAt, to: s.endedAt).map { ", took " + $0 } ?? ""
        return [
            "Sweep \(s.id), " + Markdown.text(s.status.rawValue) + ": "
                + "\(runs) of \(Plural.count(s.plannedRuns, "run")) in \(Plural.count(matrix.scenarios.count, "cell")); "
                + "\(matrix.nondeterministic.count) racing, \(Plural.count(data.disturbed.count, "run")) disturbed.",
            Markdown.text("Linux \(host.kernel) on \(host.hostname) (\(host.arch), \(host.cpus) CPUs); pipelab \(s.pipelabVersion), started \(s.startedAt)\(took)."),
        ].joined(separator: "\\\n") + "\n"
    }

    /// One paragraph: what the table is read at, and what its columns count.
    /// Over each lossy network: how many undisturbed runs lost a packet, and how many ended
    /// otherwise than most runs of the same cell without loss (where the sweep has that cell).
    package static func lossLine(_ data: ReportData) -> String? {
        guard !data.lossCounts.isEmpty else { return nil }
        typealias Runs = (signature: String, runs: Int)
        let undisturbed: [Scenario: [Runs]] = Dictionary(grouping: data.cells, by: \.scenario)
            .mapValues { cells in cells.map { (signature: $0.signature, runs: $0.runs - $0.disturbedRuns) } }
        let parts = data.lossCounts.map { count in
            var text = "at loss \(LossText.format(count.lossBasisPoints)), \(count.dropped) of \(Plural.count(count.runs, "run")) lost a packet"
            var otherwise = 0, compared = false
            for (scenario, signatures) in undisturbed where scenario.lossBasisPoints == count.lossBasisPoints {
                var lossless = scenario
                lossless.lossBasisPoints = 0
                let usual = undisturbed[lossless]?.filter { $0.runs > 0 }
                    .max { ($0.runs, $1.signature) < ($1.runs, $0.signature) }?.signature
                guard let usual else { continue }
                compared = true
                otherwise += signatures.filter { $0.signature != usual }.reduce(0) { $0 + $1.runs }
            }
            if compared { text += ", and \(otherwise) ended otherwise than most runs of the same cell without loss" }
            return text
        }
        return "The link's losses: " + parts.joined(separator: "; ") + " (Where it races and Why tell what the drops changed)."
    }

    package static func answerIntro(_ answer: AnswerTable) -> String {
        var text = "What the client sees once the peer is gone, \(answer.scope), in undisturbed runs. Fails first: the first send not written whole, and how, where SIGPIPE is ignored, caught, blocked or suppressed."
        if answer.hasDefault { text += " Kills: the send `default` SIGPIPE ends." }
        text += " At shorter sleeps: runs that end otherwise"
        if let common = answer.commonRaceOutcome { text += ", mostly as \"\(common)\" unless said" }
        return text + " (CI: Wilson 95 %); Where it races tells which cells vary from run to run."
    }

    /// Combinations not run, one line per reason, written compactly over the dimensions a grid
    /// combination fixes.
    package static func skippedList(_ skipped: [SkippedCombination], _ data: ReportData) -> String {
        let universe = data.skipped.map(\.combination)
            + data.cells.map { CellPart($0.scenario, on: Grid.combinationDimensions).cell }
        return uniqued(skipped.map(\.reason)).map { reason in
            let combos = skipped.filter { $0.reason == reason }.map(\.combination)
            return "- " + Markdown.text(CellSet(combos, in: universe).text) + ": " + Markdown.text(reason) + "\n"
        }.joined()
    }

    package static func races(_ matrix: OutcomeMatrix, examples: [CellExample], data: ReportData) -> String {
        let racing = matrix.nondeterministic
        let sleeps = uniqued(matrix.columns.map(\.sleepNs)).sorted()
        guard !racing.isEmpty else {
            return "Nowhere: in every cell the repeats the machine did not disturb agree" + (sleeps.count > 1 ? ", at every sleep.\n" : ".\n")
        }
        let latest = racing.map(\.column.sleepNs).max() ?? 0
        let all = matrix.scenarios
        var out = "In \(racing.count) of \(Plural.count(all.count, "cell")) the repeats gave different signatures."
        let traced = racing.filter { OutcomeMatrix.scenario($0.row, $0.column).client.isReal }.count
        if traced > 0 {
            out += " \(traced) of them \(traced == 1 ? "is a real program's cell" : "are real programs' cells"), traced by strace: their shares are measured at the traced pace (What each program saw says how much slower) and are not the untraced program's."
        }
        let causes = RaceCauses(racing.map { OutcomeMatrix.scenario($0.row, $0.column) }, examples: examples)
        if !causes.lossy.isEmpty {
            out += " In \(Plural.count(causes.lossy.count, "cell")) over a lossy link the link dropped packets in some of the runs Why tells."
        }
        if !causes.short.isEmpty {
            out += " At sleeps under \(DurationText.format(RunEvidence.settledSleepNs)) (\(Plural.count(causes.short.count, "cell"))) the client's later sends and the peer's ending overlap, so which comes first varies from run to run."
        }
        if !causes.settled.isEmpty {
            out += settledRaces(causes.settled, examples: examples)
        }
        if let settled = sleeps.first(where: { $0 > latest }) {
            out += " No cell races at a sleep of \(DurationText.format(settled)) or more.\n\n"
        } else {
            out += " Cells differ up to the longest sleep in the grid (\(DurationText.format(latest))).\n\n"
        }
        // Cells whose repeats show the same set of signatures are listed together, counts pooled.
        var groups: [(signatures: [String], cells: [Scenario], counts: [String: Int], runs: Int)] = []
        for (row, column, cell) in racing {
            let seen = cell.undisturbed
            let key = seen.map(\.signature).sorted()
            let index = groups.firstIndex { $0.signatures == key } ?? {
                groups.append((key, [], [:], 0))
                return groups.count - 1
            }()
            groups[index].cells.append(OutcomeMatrix.scenario(row, column))
            for entry in seen { groups[index].counts[entry.signature, default: 0] += entry.runs }
            groups[index].runs += seen.reduce(0) { $0 + $1.runs }
        }
        out += "The racing cells, grouped by the signatures their repeats gave:\n\n"
        let sorted = groups.sorted { ($0.runs, $1.signatures.joined(separator: " ")) > ($1.runs, $0.signatures.joined(separator: " ")) }
        for group in sorted.prefix(Self.raceGroupsShown) {
            let shares = group.counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
                .map { Markdown.code(SignatureText.compact($0.key)) + " \(Share.text($0.value, of: group.runs))" }.joined(separator: ", ")
            out += "- \(shares), in " + Markdown.text(CellSet(group.cells, in: all).condensed()) + "\n"
        }
        if sorted.count > Self.raceGroupsShown {
            let rest = sorted.dropFirst(Self.raceGroupsShown)
            out += "- and \(Plural.count(rest.count, "more group")) (\(Plural.count(rest.reduce(0) { $0 + $1.cells.count }, "cell"))) with fewer runs: `SELECT * FROM nondeterministic_cells WHERE sweep_id = \(data.sweep.id);`\n"
        }
        return out
    }

    /// What varies in the cells that race at sleeps of 1 ms or more, by the runs told under Why (one
    /// per signature, and per link fate where captured, which places the peer's ending): the first send still in progress at the peer's ending, the calls in the same
    /// order in every signature (the kernel's timing varies), or the peer's ending between other calls
    /// (a link whose round trip the sleep does not cover leaves that open).
    package static func settledRaces(_ cells: Set<Scenario>, examples: [CellExample]) -> String {
        let told = examples.filter { cells.contains($0.run.scenario) }.map { RunEvidence($0.run) }
        let counted = " At longer sleeps (\(Plural.count(cells.count, "cell")))"
        if Set(told.filter(\.firstSendOverlapsPeerEnd).map(\.scenario)) == cells {
            return counted + " the first send was still in progress when the peer ended the connection, and how much of its data had arrived varies from run to run."
        }
        // Before which sends the peer had begun to end the connection, per signature's run.
        let orders = Dictionary(grouping: told, by: \.scenario).mapValues { runs in
            Set(runs.map { e in e.writes.indices.map { e.peerEndedBefore(send: $0 + 1) == true } })
        }
        let varied = cells.filter { (orders[$0]?.count ?? 0) > 1 }
        let same = " the calls came in the same order in every run Why tells, and what varies lies in the kernel's timing"
        guard !varied.isEmpty else { return counted + same + "." }
        let link = varied.allSatisfy({ $0.hasLink && $0.sleepNs < $0.rttNs }) ? " (over a link whose round trip the sleep does not cover)" : ""
        let between = "the peer's ending fell between other calls from run to run\(link)"
        return varied.count == cells.count ? counted + " " + between + "."
            : counted + ": in \(cells.count - varied.count)" + same + "; in \(varied.count) " + between + "."
    }

    /// Race groups listed one by one; the others are counted in one line.
    package static let raceGroupsShown = 3

    /// One section per mechanism (WhySections), after what each disposition makes of SIGPIPE; then the probes.
    package static func explanations(_ data: ReportData) -> String {
        let plain = data.examples.filter { $0.run.scenario.probe == .none }
        let probed = data.examples.filter { $0.run.scenario.probe != .none }
        guard !data.examples.isEmpty else { return "No run was recorded undisturbed, so there is nothing to explain.\n" }
        let all = uniqued(data.cells.map(\.scenario))
        var out = "From the steps the runs recorded (what the peer left unread, the order of the calls, each result and errno), one section per mechanism, failures first; `pipelab run` tells one run in full.\n\n"
        out += sigpipeNote(Set(data.cells.map(\.scenario.sigpipe)))
        out += WhySections.markdown(WhySections.sections(plain) { Explainer.explain($0, detail: .mechanism) },
                                    in: all.filter { $0.probe == .none }, spec: SweepSpec.stored(data.sweep.spec))
        if !probed.isEmpty {
            out += "\n### The probes\n\nWhat the client's extra call after the sleep returned or consumed, and what that left for the next send (the runs are as above otherwise).\n\n"
            out += probes(probed, in: all.filter { $0.probe != .none })
        }
        return out
    }

    /// One bullet per probe sentence that changes what the sends see, with where it holds; the
    /// results of a probe that leaves the sends as they were without it in one bullet per probe.
    package static func probes(_ examples: [CellExample], in all: [Scenario]) -> String {
        var groups: [(text: String, cells: [Scenario], runs: Int)] = []
        var looks: [(probe: Probe, result: String, cells: [Scenario], runs: Int)] = []
        for example in examples {
            let run = example.run
            guard let text = ProbeExplainer.sentence(run, detail: .mechanism) else { continue }
            if text.hasSuffix(Self.unchanged), let result = run.probeResult {
                if let at = looks.firstIndex(where: { $0.probe == run.scenario.probe && $0.result == result }) {
                    if !looks[at].cells.contains(run.scenario) { looks[at].cells.append(run.scenario) }
                    looks[at].runs += example.runs
                } else {
                    looks.append((run.scenario.probe, result, [run.scenario], example.runs))
                }
            } else if let at = groups.firstIndex(where: { $0.text == text }) {
                if !groups[at].cells.contains(run.scenario) { groups[at].cells.append(run.scenario) }
                groups[at].runs += example.runs
            } else {
                groups.append((text, [run.scenario], example.runs))
            }
        }
        // "The probe, getsockopt(SO_ERROR), returned X: why" as "**so-error** returned X in CELLS: why",
        // without what an earlier bullet said.
        var said = WhySections.Said()
        var out = groups.sorted { $0.runs > $1.runs }.map { group in
            let probe = group.cells[0].probe
            let name = "**\(probe.rawValue)**"
            let cells = Markdown.text(CellSet(group.cells, in: all.filter { $0.probe == probe }).condensed()) + " (\(Plural.count(group.runs, "run")))"
            guard let colon = group.text.range(of: ": "), let returned = group.text[..<colon.lowerBound].range(of: ", re") else {
                return "- \(name) in \(cells): " + Markdown.text(group.text) + "\n"
            }
            let why = said.unsaid(String(group.text[colon.upperBound...]), in: probe.rawValue)
            let pointer = why.earlier.isEmpty ? [] : [(why.kept.isEmpty ? "As" : "Otherwise as") + " for " + Plural.list(why.earlier) + " above."]
            return "- \(name) re" + Markdown.text(String(group.text[returned.upperBound..<colon.lowerBound])) + " in \(cells): "
                + Markdown.text((why.kept + pointer).joined(separator: " ")) + "\n"
        }.joined()
        for probe in uniqued(looks.map(\.probe)) {
            let mine = looks.filter { $0.probe == probe }.sorted { $0.runs > $1.runs }
            let cells = all.filter { $0.probe == probe }
            out += "- **\(probe.rawValue)** left the sends as they were without it. It returned:\n"
                + mine.map { "  - " + Markdown.code($0.result) + " in " + Markdown.text(CellSet($0.cells, in: cells).condensed(products: 1)) + " (\(Plural.count($0.runs, "run")))\n" }
                    .joined()
        }
        return out
    }

    /// How ProbeExplainer ends a sentence about a probe that changed nothing for the sends.
    package static let unchanged = "the sends go on as without a probe."

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
        return "The kernel raises SIGPIPE when a send or write can send nothing because the other end is gone or the socket is shut down for sending: with EPIPE, never with ECONNRESET. A pipe write cut short by the reader's close raises it too, with its count (pipe\\_write()); a socket send cut short does not (tcp\\_sendmsg() and unix\\_stream\\_sendmsg() raise it only when nothing was sent).\n\nWhat the process sees depends on the disposition:\n\n" + said.map { "- " + $0 + "\n" }.joined() + "\n"
    }

    package static func disturbed(_ data: ReportData) -> String {
        guard !data.disturbed.isEmpty else {
            // Over a lossy link a run whose peer was late may be the link's doing: that run is the experiment.
            let orLink = data.cells.contains { $0.scenario.lossBasisPoints > 0 }
                ? " or the link had dropped a packet before then (`runs.disturbance` = 'link': the experiment, counted)" : ""
            return "None: in every run whose sleep was \(DurationText.format(RunEvidence.settledSleepNs)) or more (beyond the round trip, over a link) the peer had begun to end the connection before send #2\(orLink), every timed pause ended within 1 % + 100 µs of its time, and at shorter sleeps no peer's first call began more than \(DurationText.format(RunEvidence.settledSleepNs)) after send #1 did.\n"
        }
        let shown = data.disturbed.prefix(3)
        let meaning: [(Disturbance.Reason, String)] = [
            (.peerLate, "the peer had not begun to end the connection when send #2 or, with one send, the probe started, although the sleep should have let it and the link dropped nothing before"),
            (.pauseLate, "a timed pause (the sleep or an interval) ran more than 1 % + 100 µs over"),
            (.peerStartedLate, "at a sleep too short to settle, the peer's first call began more than 1 ms after send #1 did"),
        ]
        let counted = meaning.compactMap { reason, text in
            let n = data.disturbed.filter { $0.reason == reason }.count
            return n == 0 ? nil : "\(n) `\(reason.rawValue)` (\(text))"
        }
        var out = "The machine disturbed \(Plural.count(data.disturbed.count, "run")): " + Plural.list(counted) + ". They are kept (`runs.disturbance` = 'cpu', `runs.peer_late` = 1, view `disturbed_runs`) and left out of the verdicts and explanations above; runs the emulated link decided (`disturbance` = 'link') are the experiment and counted.\n\n"
        out += "\"Peer late by\" is how long after send #2 began the peer began to end the connection.\n\n"
        out += Markdown.table(["cell", "repeat", "signature", "why", "slept", "peer late by"], shown.map { run in
            // The whole cell (probe, interval, network where not at their defaults), as compare names it.
            return [Markdown.text(run.scenario.label),
                    String(run.repeatIndex), Markdown.code(SignatureText.compact(run.signature)), run.reason.map { Markdown.code($0.rawValue) } ?? "",
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
            out += "The first failing send of each undisturbed run that returned: how long the call took, and the time from the peer's ending call (close, shutdown or SO_LINGER) to its return, which includes the client's sleep.\n\n"
            out += Markdown.table(["transport", "failed with", "runs", "call median", "call p95", "peer end → error median"],
                                  data.timings.map { t in
                [t.transport.rawValue, t.errnoName ?? "short write", String(t.runs),
                 display(t.callMedianNs), display(t.callP95Ns), display(t.peerToErrorMedianNs)]
            }, rightAligned: [2, 3, 4, 5])
        }
        // Per sleep, every transport's runs together (`run_details.sleep_error_ns` has them per run).
        let asked = Dictionary(grouping: data.sleepErrors.filter { $0.sleepNs > 0 }, by: \.sleepNs)
            .map { (sleepNs: $0.key, errorsNs: $0.value.flatMap(\.errorsNs)) }.sorted { $0.sleepNs < $1.sleepNs }
        guard !asked.isEmpty else { return out }
        out += "\nSleep accuracy: how much longer than asked the client slept (end of send #1 to start of send #2, `runs.slept_ns`).\n\n"
        out += Markdown.table(["sleep", "runs", "median error", "max error", "within 1 % + 100 µs"], asked.map { group in
            let tolerance = SleepTolerance.of(group.sleepNs)
            let within = group.errorsNs.filter { abs($0) <= tolerance }.count
            return [DurationText.format(group.sleepNs), String(group.errorsNs.count),
                    display(Percentile.of(group.errorsNs, 50)), display(group.errorsNs.max()), Share.text(within, of: group.errorsNs.count)]
        }, rightAligned: [1, 2, 3, 4])
        return out
    }

    package static func display(_ ns: Int64?) -> String {
        guard let ns, let size = Int64(exactly: ns.magnitude) else { return "–" }
        return (ns < 0 ? "−" : "") + DurationDisplay.format(size)
    }

    /// nil for timestamps that do not read, or that end before they start.
    package static func duration(from start: String, to end: String?) -> String? {
        guard let end, let a = Timestamp.parse(start), let b = Timestamp.parse(end), b >= a,
              let ns = Int64(exactly: ((b - a) * 1e9).rounded()) else { return nil }
        return DurationDisplay.format(ns)
    }
}

/// The tolerance a sleep is held to: 1 % of the request plus 100 µs.
public enum SleepTolerance {
    public static func of(_ sleepNs: Int64) -> Int64 { sleepNs / 100 + 100_000 }
}
