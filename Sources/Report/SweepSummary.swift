import PipeLabStore
import PipeLabExperiment

/// What `pipelab sweep` prints when it ends, in at most about 40 lines of at most `width`
/// columns: what ran, the answer in compact form (AnswerTable), racing and disturbed counts, the
/// combinations that cannot exist grouped by reason, and last two lines that say where the sweep
/// is and what to do next (all `--quiet` prints). The full matrix comes first with `--matrix`.
public enum SweepSummary {
    public static let width = 100

    /// `databaseArgument`: the path later commands must name with `--db`, or nil when pipelab
    /// finds the database without it.
    public static func text(sweep: SweepRecord, cells: [CellSignature], skipped: [SkippedCombination],
                            databasePath: String, databaseArgument: String?, matrix showMatrix: Bool = false, quiet: Bool = false,
                            clientOutcomes: [ClientOutcome] = []) -> String {
        let marks = CellMarks(sweep, recorded: cells.map(\.scenario))
        let matrix = OutcomeMatrix(cells)
        var lines: [String] = []
        if showMatrix && !matrix.rows.isEmpty {
            let laidOut = OutcomeMatrix(cells, laidOut: marks.unrecorded(impossible: false))
            lines += TerminalMatrix.lines(laidOut, marks: marks, width: width)
            lines.append("")
            lines += TerminalMatrix.legend(laidOut, marks: marks)
            lines.append("")
        }
        let ran = ran(cells, sweep: sweep)
        lines += TextWrap.parts(ran.parts, separator: ran.separator, width: width - 4)
            .enumerated().map { ($0.offset == 0 ? "ran " : "    ") + $0.element }
        let answer = AnswerTable(cells)
        if !answer.rows.isEmpty {
            lines.append("")
            lines.append("what the client sees once the peer is gone, \(answer.scope):")
            lines += answerLines(answer)
        }
        if let runtimes = RuntimeTable(clientOutcomes) {
            lines.append("")
            lines.append("what each program saw \(runtimes.scope) (client, peer, SIGPIPE: signature · told · end):")
            lines += runtimes.lines(width: width, limit: 12)
        }
        lines.append("")
        let disturbed = cells.filter { $0.disturbedRuns > 0 }
        lines.append("racing: \(matrix.nondeterministic.count) of \(Plural.count(matrix.scenarios.count, "cell")) (repeats disagree); "
            + "disturbed: \(Plural.count(disturbed.reduce(0) { $0 + $1.disturbedRuns }, "run")) in \(Plural.count(Set(disturbed.map(\.scenario)).count, "cell")) (left out)")
        for (kind, group) in [("that cannot exist", skipped.filter(\.cannotExist)), ("this machine cannot run", skipped.filter { !$0.cannotExist })] where !group.isEmpty {
            lines.append("not run, \(Plural.count(group.reduce(0) { $0 + $1.cells }, "cell")) \(kind):")
            for reason in uniqued(group.map(\.reason)) {
                let count = group.filter { $0.reason == reason }.reduce(0) { $0 + $1.cells }
                lines += TextWrap.parts("\(Plural.count(count, "cell")): \(reason)".split(separator: " ").map(String.init), separator: " ", width: width - 4)
                    .enumerated().map { ($0.offset == 0 ? "  " : "    ") + $0.element }
            }
        }
        let status = "sweep \(sweep.id) '\(sweep.name)' \(sweep.status.rawValue): \(cells.reduce(0) { $0 + $1.runs }) of \(Plural.count(sweep.plannedRuns, "run")), database \(databasePath)"
        let next = sweep.status == .interrupted
            ? "next: \(resumeCommand(sweep, databaseArgument: databaseArgument)) runs the rest"
            : "next: \(reportCommand(sweep, databaseArgument: databaseArgument))"
        lines = quiet ? [status, next] : lines + ["", status, next]
        return lines.map(TextWrap.trimmed).joined(separator: "\n") + "\n"
    }

    /// `1380 cells`, `4 transport`, …, `3 repeats each`: the parts of the line saying what ran,
    /// each dimension that varies with its count of values.
    /// Joined by ` × ` where the cells are every combination of the values, else by `, `: a grid
    /// whose combinations cannot all exist (or that runs some values only with others) is no product.
    package static func ran(_ cells: [CellSignature], sweep: SweepRecord) -> (parts: [String], separator: String) {
        let scenarios = uniqued(cells.map(\.scenario))
        let counts = Axes.varying(Dimensions.all, in: scenarios).map { dimension in
            (count: Set(scenarios.map(dimension.value(of:))).count, name: dimension.name)
        }
        let varying = counts.map { "\($0.count) \($0.name)" }
        let product = counts.reduce(1) { $0.multipliedReportingOverflow(by: $1.count).partialValue }
        let whole = product == scenarios.count
        let repeats = cells.map(\.cellRuns).max() ?? 0
        var parts = varying.isEmpty ? ["1 cell"]
            : ["\(scenarios.count) cells" + (whole ? ": " : ", not every combination of ") + varying[0]] + varying.dropFirst()
        parts[parts.count - 1] += ", up to \(Plural.count(repeats, "repeat")) each"
        return (parts, whole ? " × " : ", ")
    }

    /// One line per row (rows that read alike for several transports merged), wrapped at `width`.
    package static func answerLines(_ answer: AnswerTable) -> [String] {
        let labels = answer.rows.map { $0.transports.map(\.rawValue).joined(separator: ",") + " " + $0.peer.rawValue }
        let labelWidth = labels.map(\.count).max() ?? 0
        return zip(labels, answer.rows).flatMap { label, row -> [String] in
            // Terse for a terminal line: `#3` for send #3, `<10ms` for below 10ms, `42/54` runs.
            let terse = { (text: String) in text.replacingOccurrences(of: "send #", with: "#") }
            var parts = [terse(row.fails)]
            if answer.hasDefault { parts.append("default: " + terse(row.kills)) }
            if let race = row.race {
                parts.append("differs " + race.span.replacingOccurrences(of: "below ", with: "<") + ": \(race.differing)/\(race.runs), "
                             + race.interval)
            }
            let head = "  " + RunView.pad(label, labelWidth) + "  "
            // Wrapped between words, so that a long part breaks too.
            // A `%` stays with its number: no line starts with one.
            let words = parts.joined(separator: " · ").split(separator: " ").map(String.init).reduce(into: [String]()) { words, word in
                if word == "%", let last = words.indices.last { words[last] += " %" } else { words.append(word) }
            }
            return TextWrap.parts(words, separator: " ", width: width - head.count).enumerated().map {
                ($0.offset == 0 ? head : String(repeating: " ", count: head.count)) + $0.element
            }
        }
    }

    /// `pipelab report 3 --db 'my lab.sqlite' --out report.md`, ready to paste into a shell.
    package static func reportCommand(_ sweep: SweepRecord, databaseArgument: String?) -> String {
        "pipelab report \(sweep.id)" + databaseFlag(databaseArgument) + " --out report.md"
    }

    /// `pipelab sweep --resume 3 --db 'my lab.sqlite'`, ready to paste into a shell.
    package static func resumeCommand(_ sweep: SweepRecord, databaseArgument: String?) -> String {
        "pipelab sweep --resume \(sweep.id)" + databaseFlag(databaseArgument)
    }

    private static func databaseFlag(_ argument: String?) -> String {
        guard let argument else { return "" }
        let quoted = ReproduceCommand.shellQuoted(argument)
        // Attached when it starts with '-', so that it is not read as an option.
        return quoted.hasPrefix("-") ? " --db=\(quoted)" : " --db \(quoted)"
    }
}
