/// The compact text `pipelab sweep` prints when it ends: an outcome matrix in which each
/// signature is a letter (legend below), then the counts, the database and the sweep's id.
public enum SweepSummary {
    public static func text(sweep: SweepRecord, cells: [CellSignature], skipped: [SkippedCombination], databasePath: String) -> String {
        let matrix = OutcomeMatrix(cells)
        let letters = Dictionary(uniqueKeysWithValues: matrix.signatures.enumerated().map { ($1.signature, SignatureLetters.letter(at: $0)) })
        var lines: [String] = []
        if !matrix.rows.isEmpty {
            let header = matrix.columns.map(columnLabel)
            let rowLabels = matrix.rows.map { "\($0.transport.rawValue) \($0.peer.rawValue) \($0.sigpipe.rawValue)" }
            let labelWidth = (rowLabels.map(\.count).max() ?? 0) + 2
            var cellTexts: [[String]] = matrix.rows.map { row in
                matrix.columns.map { column in
                    guard let cell = matrix.cell(row, column) else { return "·" }
                    return cell.signatures.map { letters[$0.signature] ?? "?" }.joined(separator: "/")
                }
            }
            let widths = header.indices.map { i in max(header[i].count, cellTexts.map { $0[i].count }.max() ?? 0) + 2 }
            lines.append(RunView.pad("", labelWidth) + header.indices.map { RunView.pad(header[$0], widths[$0]) }.joined())
            for (index, label) in rowLabels.enumerated() {
                lines.append(RunView.pad(label, labelWidth) + cellTexts[index].indices.map { RunView.pad(cellTexts[index][$0], widths[$0]) }.joined())
            }
            cellTexts.removeAll()
            lines.append("")
            for (index, entry) in matrix.signatures.enumerated() {
                lines.append("  \(SignatureLetters.letter(at: index)) = \(entry.signature)   (\(entry.runs) run\(entry.runs == 1 ? "" : "s") in \(entry.cells) cell\(entry.cells == 1 ? "" : "s"))")
            }
            lines.append("  A/B: the cell's repeats disagree (most frequent first)")
            lines.append("")
        }
        let runs = cells.reduce(0) { $0 + $1.runs }
        let cellCount = matrix.scenarios.count
        lines.append("sweep \(sweep.id) '\(sweep.name)' \(sweep.status.rawValue): \(runs) of \(sweep.plannedRuns) runs recorded in \(cellCount) cells, \(matrix.nondeterministic.count) nondeterministic")
        if !skipped.isEmpty {
            lines.append("skipped \(sweep.skippedCells) cells that cannot exist:")
            for s in skipped {
                lines.append("  \(s.label): \(s.reason)")
            }
        }
        lines.append("database: \(databasePath)   sweep id: \(sweep.id) (\(sweep.uuid))")
        if sweep.status == .interrupted {
            lines.append("interrupted: `pipelab sweep --resume \(sweep.id)` runs the rest")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `1s ×3 5B` style column label.
    static func columnLabel(_ c: OutcomeMatrix.ColumnKey) -> String {
        "\(DurationText.format(c.sleepNs)) ×\(c.sends) \(SizeText.label(c.payloadBytes))" + (c.probe == .none ? "" : " " + c.probe.rawValue)
    }
}

