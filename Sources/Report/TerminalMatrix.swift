import PipeLabExperiment

/// The full outcome matrix for a terminal (`pipelab sweep --matrix`). One line per (transport,
/// peer, sigpipe); one column per (probe, network, sends, payload, sleep) under a header line for
/// each of those that varies (sleep always). A cell is its signature's code (SignatureText.code)
/// or, where its runs disagree, each code with its runs, most first (`..P 2 · ... 1`). Runs the
/// machine disturbed are left out (a `*` marks their cells). `·` marks a combination that cannot
/// exist, `-` one with no run recorded. Columns that do not fit `width` go on in further blocks
/// that repeat the row labels; a cell wider than a block can hold breaks between signatures.
package enum TerminalMatrix {
    package static let rowNames = ["transport", "peer", "sigpipe"]
    package static let gap = "  "
    /// A combination that cannot exist (the sweep lists it as not run).
    package static let impossible = "·"
    /// A cell with no recorded run: the sweep was cut short before it.
    package static let missing = "-"
    package static let disturbedMark = "*"

    package static func lines(_ matrix: OutcomeMatrix, skipped: [SkippedCombination], width: Int) -> [String] {
        let rowFields = matrix.rows.map { [$0.transport.rawValue, $0.peer.rawValue, $0.sigpipe.rawValue] }
        let fieldWidths = rowNames.indices.map { i in max(rowNames[i].count, rowFields.map { $0[i].count }.max() ?? 0) }
        let labelWidth = fieldWidths.reduce(0, +) + gap.count * (fieldWidths.count - 1)
        func label(_ fields: [String]) -> String {
            zip(fields, fieldWidths).map { RunView.pad($0, $1) }.joined(separator: gap)
        }
        let axes = axes(matrix.columns)
        let headers = matrix.columns.map { column in axes.map { $0.value(column) } }
        let impossibleKeys = Set(skipped.map { [$0.transport.rawValue, $0.peer.rawValue, $0.sigpipe.rawValue, $0.probe.rawValue] })
        let cellWidth = max(1, width - labelWidth - gap.count)
        let texts: [[[String]]] = matrix.rows.map { row in
            matrix.columns.map { column in
                if let cell = matrix.cell(row, column) { return TextWrap.parts(shares(cell), separator: " · ", width: cellWidth) }
                let key = [row.transport.rawValue, row.peer.rawValue, row.sigpipe.rawValue, column.probe.rawValue]
                return [impossibleKeys.contains(key) ? impossible : missing]
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

    /// The column dimensions that vary in the sweep, each with its header line; sleep always.
    package static func axes(_ columns: [OutcomeMatrix.ColumnKey]) -> [(name: String, value: (OutcomeMatrix.ColumnKey) -> String)] {
        let all: [(name: String, value: (OutcomeMatrix.ColumnKey) -> String)] = [
            ("probe", { $0.probe.rawValue }),
            ("network", { $0.network.label }),
            ("sends", { String($0.sends) }),
            ("payload", { SizeText.label($0.payloadBytes) }),
            ("sleep", { DurationText.format($0.sleepNs) }),
        ]
        return all.filter { axis in axis.name == "sleep" || Set(columns.map(axis.value)).count > 1 }
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

    /// The lines under the matrix that say what its marks mean.
    package static func legend(_ matrix: OutcomeMatrix) -> [String] {
        var lines = SignatureText.codeLegend.map { "  " + $0 }
        if !matrix.nondeterministic.isEmpty { lines.append("  ..P 2 · ... 1 = the cell's runs disagree: each signature with its runs, most first") }
        let cells = matrix.rows.flatMap { row in matrix.columns.map { matrix.cell(row, $0) } }
        if cells.contains(where: { $0 == nil }) {
            lines.append("  \(impossible) = cannot exist, not run   \(missing) = no run recorded (the sweep was cut short)")
        }
        let disturbed = cells.compactMap { $0?.disturbed.values.reduce(0, +) }.filter { $0 > 0 }
        if !disturbed.isEmpty {
            lines.append("  \(disturbedMark) = the machine disturbed \(Plural.count(disturbed.reduce(0, +), "run")) in \(Plural.count(disturbed.count, "cell")) (a late peer or pause), left out of the verdicts")
        }
        return lines
    }
}
