import PipeLabExperiment
import PipeLabKernel
import PipeLabStore

/// The report's runtime table: per client and peer ending (and the SIGPIPE disposition it was
/// started with), what the program saw: the signature its system calls made, what its runtime
/// told it, and how it ended. pipelab's own client, where the sweep has it, is the first row of
/// each ending: the system calls' answer the runtimes are read against. It is read at the sweep's
/// settled sleeps (the longest where none is): at shorter ones the client and the peer race, which
/// Where it races tells.
package struct RuntimeTable {
    package var rows: [ClientOutcome]
    package var sleeps: [Int64]

    /// nil for a sweep of pipelab's own client only.
    package init?(_ outcomes: [ClientOutcome]) {
        guard outcomes.contains(where: \.client.isReal) else { return nil }
        let all = Set(outcomes.map(\.sleepNs)).sorted()
        let settled = all.filter { $0 >= RunEvidence.settledSleepNs }
        sleeps = settled.isEmpty ? Array(all.suffix(1)) : settled
        let read = Set(sleeps)
        rows = Self.pooled(outcomes.filter { read.contains($0.sleepNs) }).sorted {
            ($0.transport.position, $0.peer.position, $0.client.position, $0.sigpipe.position, -$0.runs)
                < ($1.transport.position, $1.peer.position, $1.client.position, $1.sigpipe.position, -$1.runs)
        }
    }

    private var showsTransport: Bool { Set(rows.map(\.transport)).count > 1 }

    /// The same report at several sleeps counts as one row.
    private static func pooled(_ outcomes: [ClientOutcome]) -> [ClientOutcome] {
        var pooled: [ClientOutcome] = []
        for var outcome in outcomes {
            outcome.sleepNs = 0
            if let same = pooled.firstIndex(where: { $0.sameReport(as: outcome) }) { pooled[same].runs += outcome.runs } else { pooled.append(outcome) }
        }
        return pooled
    }

    /// `at sleep 100ms`, `at sleeps 10ms, 1s`.
    package var scope: String { "at sleep\(sleeps.count == 1 ? "" : "s") " + sleeps.map(DurationText.format).joined(separator: ", ") }

    /// `ignore`, or `default → ignore` when the program's writes met another disposition than it started with.
    package static func disposition(_ row: ClientOutcome) -> String {
        guard let met = row.disposition, met.name != row.sigpipe.rawValue else { return row.sigpipe.rawValue }
        return "\(row.sigpipe.rawValue) → \(met.name)"
    }

    /// Every failure the program was told of, in order; `—` when none (or for the harness).
    package static func told(_ row: ClientOutcome) -> String { row.error ?? "—" }

    /// `exit 0`, `killed by SIGPIPE`; for the harness `returned` or its death.
    package static func ended(_ row: ClientOutcome) -> String {
        if row.outcome == .timeout { return "timed out" }
        if let signal = row.termSignal { return "killed by \(signal)" }
        if let code = row.exitCode { return "exit \(code)" }
        return "returned"
    }

    package var markdown: String {
        let body = rows.map { row in
            [Markdown.text(row.client.rawValue),
             Markdown.text((showsTransport ? row.transport.rawValue + " " : "") + row.peer.rawValue),
             Markdown.text(Self.disposition(row)), Markdown.code(row.signature), Markdown.text(Self.told(row)),
             Markdown.text(Self.ended(row)), String(row.runs)]
        }
        return Markdown.table(["client", "peer", "SIGPIPE (started → met)", "signature", "what the program was told", "how it ended", "runs"],
                              body, rightAligned: [6])
    }

    /// For the terminal: the real programs' rows, one line each, at most `limit` lines.
    package func lines(width: Int, limit: Int) -> [String] {
        let real = rows.filter(\.client.isReal)
        let labels = real.map { "\($0.client.rawValue) \((showsTransport ? $0.transport.rawValue + " " : "") + $0.peer.rawValue) \(Self.disposition($0))" }
        let labelWidth = labels.map(\.count).max() ?? 0
        var lines = zip(labels, real).prefix(limit).map { label, row in
            let text = "  " + RunView.pad(label, labelWidth) + "  " + row.signature + " · " + Self.told(row) + " · " + Self.ended(row)
            return text.count > width ? String(text.prefix(width - 1)) + "…" : text
        }
        if real.count > limit { lines.append("  … \(real.count - limit) more in the report") }
        return lines
    }
}

extension RuntimeTable {
    /// The report's section: the table, then per program what its runtime made of the calls
    /// (RuntimeExplainer, from each signature's example run): its SIGPIPE disposition once, then
    /// per peer ending which call met which errno and what the program was told, said once.
    package static func section(_ data: ReportData) -> String? {
        guard let table = RuntimeTable(data.clientOutcomes) else { return nil }
        var out = "What each program saw once the peer was gone, \(table.scope), in undisturbed runs: the signature its system calls made "
            + "(recorded by strace), every failure its runtime told it of, in order, and how it ended. SIGPIPE: the "
            + "disposition it was started with, and the one its writes met where it differs (a runtime that changed it). "
            + "pipelab's own client (`harness`) gives the system calls' answer beside them.\n\n"
        let read = data.examples.map(\.run).filter { $0.scenario.client.isReal && table.sleeps.contains($0.scenario.sleepNs) }
        out += callsAgainstSends(read)
        out += table.markdown
        for client in uniqued(table.rows.map(\.client)) where client.isReal {
            let examples = read.filter { $0.scenario.client == client }
                .sorted { ($0.scenario.transport.position, $0.scenario.peer.position) < ($1.scenario.transport.position, $1.scenario.peer.position) }
            guard let dispositions = RuntimeExplainer.dispositions(examples) else { continue }
            out += "\n**\(client.rawValue)**: " + Markdown.text(ClientReport.withoutPorts(dispositions)) + "\n\n"
            let ending = { (run: RunResult) in "\(run.scenario.transport.rawValue) \(run.scenario.peer.rawValue)" }
            for place in uniqued(examples.map(ending)) {
                let here = examples.filter { ending($0) == place }
                // Per disposition started with; said once where they read alike.
                let byMode = uniqued(here.map(\.scenario.sigpipe)).sorted { $0.position < $1.position }.map { mode in
                    (mode, uniqued(here.filter { $0.scenario.sigpipe == mode }.flatMap(RuntimeExplainer.calls).map(ClientReport.withoutPorts)))
                }.filter { !$0.1.isEmpty }
                guard !byMode.isEmpty else { continue }
                let alike = Set(byMode.map(\.1)).count == 1
                let text = alike ? Markdown.text(byMode[0].1.joined(separator: " "))
                    : byMode.map { "*started \($0.0.rawValue)*: " + Markdown.text($0.1.joined(separator: " ")) }.joined(separator: " ")
                out += "- " + place + ": " + text + "\n"
            }
        }
        return out + tracingCost(data.sendGapsNs)
    }

    /// Where a program made another number of write calls than its sends (a runtime that fails a
    /// send itself, or splits one): the signature counts the calls, what it was told its sends.
    package static func callsAgainstSends(_ runs: [RunResult]) -> String {
        let differing = uniqued(runs.filter { $0.outcome == .ok || $0.outcome == .error }.compactMap { run -> String? in
            let calls = run.clientWrites.count
            guard calls != run.scenario.sends else { return nil }
            return "\(run.scenario.client.rawValue) made \(Plural.count(calls, "write call")) for its \(Plural.count(run.scenario.sends, "send"))"
        })
        guard !differing.isEmpty else { return "" }
        return "A real program's signature has a token per write system call, not per send of the program, and they differ here: "
            + Markdown.text(Plural.list(differing)) + " (below, what its runtime did with the others). What the program was told is at its own send.\n\n"
    }

    /// What strace costs, as this sweep measured it: the median time from send #2 to send #3 of
    /// each client with back-to-back sends, against pipelab's own where the sweep has it.
    package static func tracingCost(_ gaps: [ClientProgram: [Int64]]) -> String {
        let real = gaps.keys.filter(\.isReal).sorted { $0.position < $1.position }
        guard !real.isEmpty else { return "" }
        let harness = gaps[.harness].flatMap { Percentile.of($0, 50) }
        let measured = real.compactMap { client -> String? in
            guard let median = gaps[client].flatMap({ Percentile.of($0, 50) }) else { return nil }
            let ratio = harness.flatMap { $0 > 0 ? " (\(Self.ratio(Double(median) / Double($0)))×)" : nil } ?? ""
            return "\(client.rawValue) \(MarkdownReport.display(median))\(ratio)"
        }
        guard !measured.isEmpty else { return "" }
        var out = "\nUnder strace: strace stops a traced program at every call it traces and writes a line for it, so a real "
            + "program's calls are slower than the same calls untraced, and its pace between them is not its own. Measured in this sweep, "
            + "from the start of send #2 to the start of send #3 (back-to-back sends, medians of undisturbed runs): "
        out += (harness.map { ["pipelab's own client \(MarkdownReport.display($0))"] } ?? []).joined() + (harness == nil ? "" : "; ")
        out += measured.joined(separator: ", ") + ". "
        out += "A real program's races are measured at that traced pace (Where it races flags them), and the timings below are pipelab's own client's.\n"
        return out
    }

    private static func ratio(_ value: Double) -> String {
        value >= 10 ? String(Int(value.rounded())) : String((value * 10).rounded() / 10)
    }
}
