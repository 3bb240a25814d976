import PipeLabExperiment

/// The full outcome matrix for a terminal (`pipelab sweep --matrix`). One line per row of the
/// matrix (`Axes.rows`: transport, peer, sigpipe); one column per combination of the other
/// dimensions, under a header line for each of those that varies (sleep always). A cell is its
/// signature's code (SignatureText.code) or, where its runs disagree, each code with its runs, most
/// first (`..P 2 · ... 1`). Runs the machine disturbed are left out (a `*` marks their cells).
/// Cells without runs carry CellMarks' symbols (cannot exist, missing); a cell the grid never had
/// stays blank. Columns that do not fit `width` go on in further blocks that repeat the row labels;
/// a cell wider than a block can hold breaks between signatures.
package enum TerminalMatrix {
    package static let gap = "  "
    package static let disturbedMark = "*"

    package static func lines(_ matrix: OutcomeMatrix, marks: CellMarks, width: Int) -> [String] {
        let rowNames = Axes.rows.map(\.name)
        let rowFields = matrix.rows.map { row in Axes.rows.map { $0.format($0.value(of: row.cell)) } }
        let fieldWidths = rowNames.indices.map { i in max(rowNames[i].count, rowFields.map { $0[i].count }.max() ?? 0) }
        let labelWidth = fieldWidths.reduce(0, +) + gap.count * (fieldWidths.count - 1)
        func label(_ fields: [String]) -> String {
            zip(fields, fieldWidths).map { RunView.pad($0, $1) }.joined(separator: gap)
        }
        let axes = axes(matrix.columns)
        let headers = matrix.columns.map { column in axes.map { $0.format($0.value(of: column.cell)) } }
        let cellWidth = max(1, width - labelWidth - gap.count)
        let texts: [[[String]]] = matrix.rows.map { row in
            matrix.columns.map { column in
                if let cell = matrix.cell(row, column) { return TextWrap.parts(shares(cell), separator: " · ", width: cellWidth) }
                switch marks.mark(OutcomeMatrix.scenario(row, column)) {
                case .impossible: return [CellMarks.impossibleSymbol]
                case .missing: return [CellMarks.missingSymbol]
                case .ran, .outside: return [""]
                }
            }
        }
        let columnWidths = matrix.columns.indices.map { c in
            max(headers[c].map(\.count).max() ?? 0, texts.flatMap { $0[c] }.map(\.count).max() ?? 0)
        }
        var lines: [String] = []
        for block in blocks(columnWidths, labelWidth: labelWidth, width: width) {
            if !lines.isEmpty { lines.append("") }
            func line(_ head: String, right: Bool = false, _ text: (Int) -> String) -> String {
                RunView.pad(head, labelWidth, right: right) + block.map { gap + RunView.pad(text($0), columnWidths[$0]) }.joined()
            }
            for (index, axis) in axes.enumerated() {
                lines.append(line(axis.name, right: true) { headers[$0][index] })
            }
            lines.append(label(rowNames))
            for (row, fields) in rowFields.enumerated() {
                let height = block.map { texts[row][$0].count }.max() ?? 1
                for part in 0..<height {
                    lines.append(line(part == 0 ? label(fields) : "") { texts[row][$0].indices.contains(part) ? texts[row][$0][part] : "" })
                }
            }
        }
        return lines.map(TextWrap.trimmed)
    }

    /// The column dimensions that vary in the sweep, each a header line named by the dimension; sleep always.
    package static func axes(_ columns: [OutcomeMatrix.ColumnKey]) -> [ScenarioDimension] {
        Axes.columns.filter { dimension in
            dimension.name == Dimensions.sleep.name || Axes.varying([dimension], in: columns.map(\.cell)).count == 1
        }
    }

    /// Consecutive columns that fit beside the row labels, as many as fit, at least one.
    package static func blocks(_ columnWidths: [Int], labelWidth: Int, width: Int) -> [Range<Int>] {
        var blocks: [Range<Int>] = []
        var start = 0
        while start < columnWidths.count {
            var end = start + 1
            var used = labelWidth + gap.count + columnWidths[start]
            while end < columnWidths.count && used + gap.count + columnWidths[end] <= width {
                used += gap.count + columnWidths[end]
                end += 1
            }
            blocks.append(start..<end)
            start = end
        }
        return blocks
    }

    /// `..P`, or `..P 2`, `... 1` for a cell whose counted runs disagree (signatures that differ
    /// only in a short count share a code and are counted together); `*` after a cell with
    /// disturbed runs.
    package static func shares(_ cell: OutcomeMatrix.Cell) -> [String] {
        var runs: [String: Int] = [:]
        for entry in cell.undisturbed.isEmpty ? cell.signatures : cell.undisturbed { runs[SignatureText.code(entry.signature), default: 0] += entry.runs }
        let counted = runs.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
        var parts = counted.count == 1 ? [counted[0].key] : counted.map { "\($0.key) \($0.value)" }
        if !cell.disturbed.isEmpty, let last = parts.popLast() { parts.append(last + disturbedMark) }
        return parts
    }

    /// The lines under the matrix that say what its marks mean: the reasons a cell cannot exist
    /// are the summary's, grouped under "not run".
    package static func legend(_ matrix: OutcomeMatrix, marks: CellMarks) -> [String] {
        var lines = SignatureText.codeLegend.map { "  " + $0 }
        if !matrix.nondeterministic.isEmpty { lines.append("  ..P 2 · ... 1 = the cell's runs disagree: each signature with its runs, most first") }
        let cells = matrix.rows.flatMap { row in matrix.columns.map { matrix.cell(row, $0) } }
        let empty = matrix.rows.flatMap { row in matrix.columns.filter { matrix.cell(row, $0) == nil }.map { marks.mark(OutcomeMatrix.scenario(row, $0)) } }
        var marked: [String] = []
        if empty.contains(where: { if case .impossible = $0 { true } else { false } }) {
            marked.append("\(CellMarks.impossibleSymbol) = \(CellMarks.impossibleMeaning) (why: under \"not run\")")
        }
        if empty.contains(.missing) { marked.append("\(CellMarks.missingSymbol) = \(CellMarks.missingMeaning)") }
        if empty.contains(.outside) { marked.append("blank = not in the sweep's grid") }
        if !marked.isEmpty { lines.append("  " + marked.joined(separator: "   ")) }
        let disturbed = cells.compactMap { $0?.disturbed.values.reduce(0, +) }.filter { $0 > 0 }
        if !disturbed.isEmpty {
            lines.append("  \(disturbedMark) = the machine disturbed \(Plural.count(disturbed.reduce(0, +), "run")) in \(Plural.count(disturbed.count, "cell")) (a late peer or pause), left out of the verdicts")
        }
        return lines
    }
}
