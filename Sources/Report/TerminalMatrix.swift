import PipeLabExperiment

/// The outcome matrix for a terminal. One line per (transport, peer, sigpipe) under a header
/// naming those three; one column per (sleep, sends, payload) under three header lines naming
/// its values. A cell is its signature's letter or, where its runs disagree, every letter with
/// its share of the runs, most frequent first (`A 95% · B 5%`). Runs the machine disturbed are
/// left out (a `*` marks their cells). Columns that do not fit `width` go on in further blocks
/// that repeat the row labels; a cell wider than a block can hold breaks between signatures.
package enum TerminalMatrix {
    package static let rowNames = ["transport", "peer", "sigpipe"]
    package static let columnNames = ["sleep", "sends", "payload"]
    package static let gap = "  "
    /// A cell with no recorded run (a sweep cut short).
    package static let empty = "-"
    package static let disturbedMark = "*"

    package static func lines(_ matrix: OutcomeMatrix, letters: SignatureLetters, width: Int) -> [String] {
        let rowFields = matrix.rows.map { [$0.transport.rawValue, $0.peer.rawValue, $0.sigpipe.rawValue] }
        let fieldWidths = rowNames.indices.map { i in max(rowNames[i].count, rowFields.map { $0[i].count }.max() ?? 0) }
        let labelWidth = fieldWidths.reduce(0, +) + gap.count * (fieldWidths.count - 1)
        func label(_ fields: [String]) -> String {
            zip(fields, fieldWidths).map { RunView.pad($0, $1) }.joined(separator: gap)
        }
        // A network line only where the sweep has networks other than the plain one.
        let networkLine = matrix.columns.contains { $0.network != .plain }
        let columnNames = Self.columnNames + (networkLine ? ["network"] : [])
        let headers = matrix.columns.map {
            [DurationText.format($0.sleepNs), String($0.sends), SizeText.label($0.payloadBytes)] + (networkLine ? [$0.network.label] : [])
        }
        let cellWidth = max(1, width - labelWidth - gap.count)
        let texts: [[[String]]] = matrix.rows.map { row in
            matrix.columns.map { column in
                matrix.cell(row, column).map { TextWrap.parts(shares($0, letters), separator: " · ", width: cellWidth) } ?? [empty]
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
            for (index, name) in columnNames.enumerated() {
                lines.append(line(name, right: true) { headers[$0][index] })
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

    /// `A`, or `A 95%`, `B 5%` for a cell whose counted runs disagree; `*` after a cell with
    /// disturbed runs.
    package static func shares(_ cell: OutcomeMatrix.Cell, _ letters: SignatureLetters) -> [String] {
        let counted = letters.counted(cell)
        let total = counted.reduce(0) { $0 + $1.runs }
        var parts = counted.count == 1
            ? [letters.letter(counted[0].signature)]
            : counted.map { "\(letters.letter($0.signature)) \(percent($0.runs, of: total))" }
        if !cell.disturbed.isEmpty, let last = parts.popLast() { parts.append(last + disturbedMark) }
        return parts
    }

    /// Whole percents; a share that rounds to 0 or 100 but is neither says so (`<1%`, `>99%`).
    package static func percent(_ part: Int, of whole: Int) -> String {
        let rounded = Int((Double(part) * 100 / Double(whole)).rounded())
        if rounded == 0 { return "<1%" }
        if rounded == 100 && part < whole { return ">99%" }
        return "\(rounded)%"
    }
}
