import PipeLabStore
import PipeLabExperiment

/// The compact text `pipelab sweep` prints when it ends: the outcome matrix (a letter per
/// signature, shares where a cell's runs disagree), its legend, the counts, the database, the
/// sweep's id, and how to finish the sweep when it was interrupted. No line of the matrix or the
/// legend is wider than `width`, and no line ends in a space.
public enum SweepSummary {
    public static let width = 100

    /// `databaseArgument`: the path the resume command must name with `--db`, or nil when
    /// pipelab finds the database without it.
    public static func text(sweep: SweepRecord, cells: [CellSignature], skipped: [SkippedCombination],
                            databasePath: String, databaseArgument: String?) -> String {
        let matrix = OutcomeMatrix(cells)
        var lines: [String] = []
        if !matrix.rows.isEmpty {
            lines += TerminalMatrix.lines(matrix, letters: SignatureLetters(matrix), width: width)
            lines.append("")
            lines += legend(matrix)
            lines.append("")
        }
        let runs = cells.reduce(0) { $0 + $1.runs }
        let cellCount = matrix.scenarios.count
        lines.append("sweep \(sweep.id) '\(sweep.name)' \(sweep.status.rawValue): \(runs) of \(Plural.count(sweep.plannedRuns, "run")) recorded in \(Plural.count(cellCount, "cell")), \(matrix.nondeterministic.count) nondeterministic")
        if !skipped.isEmpty {
            lines.append("skipped \(Plural.count(sweep.skippedCells, "cell")) that cannot exist:")
            for s in skipped {
                lines.append("  \(s.label): \(s.reason)")
            }
        }
        lines.append("database: \(databasePath)   sweep id: \(sweep.id) (\(sweep.uuid))")
        if sweep.status == .interrupted {
            lines.append("interrupted: `\(resumeCommand(sweep, databaseArgument: databaseArgument))` runs the rest")
        }
        return lines.map(TextWrap.trimmed).joined(separator: "\n") + "\n"
    }

    /// Each letter's signature with its runs and cells (long signatures broken after a comma),
    /// then a line for each mark the matrix uses.
    package static func legend(_ matrix: OutcomeMatrix) -> [String] {
        var lines: [String] = []
        for (index, entry) in matrix.signatures.enumerated() {
            let head = "  \(SignatureLetters.letter(at: index)) = "
            var tokens = entry.signature.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            tokens[tokens.count - 1] += "   (\(Plural.count(entry.runs, "run")) in \(Plural.count(entry.cells, "cell")))"
            let wrapped = TextWrap.parts(tokens, separator: ",", width: width - head.count)
            lines += wrapped.enumerated().map { ($0 == 0 ? head : String(repeating: " ", count: head.count)) + $1 }
        }
        let cells = matrix.rows.flatMap { row in matrix.columns.map { matrix.cell(row, $0) } }
        if !matrix.nondeterministic.isEmpty {
            lines.append("  A 67% · B 33% = the cell's runs disagree: each signature's share, most frequent first")
        }
        if cells.contains(where: { $0 == nil }) {
            lines.append("  \(TerminalMatrix.empty) = no run recorded in this cell")
        }
        let disturbed = cells.compactMap { $0?.disturbed.values.reduce(0, +) }.filter { $0 > 0 }
        if !disturbed.isEmpty {
            lines.append("  \(TerminalMatrix.disturbedMark) = the machine disturbed \(Plural.count(disturbed.reduce(0, +), "run")) in \(Plural.count(disturbed.count, "cell")) (a late peer or pause), left out of the verdicts")
        }
        return lines
    }

    /// `pipelab sweep --resume 3 --db 'my lab.sqlite'`, ready to paste into a shell.
    package static func resumeCommand(_ sweep: SweepRecord, databaseArgument: String?) -> String {
        var command = "pipelab sweep --resume \(sweep.id)"
        if let databaseArgument {
            let quoted = ReproduceCommand.shellQuoted(databaseArgument)
            // Attached when it starts with '-', so that it is not read as an option.
            command += quoted.hasPrefix("-") ? " --db=\(quoted)" : " --db \(quoted)"
        }
        return command
    }
}
