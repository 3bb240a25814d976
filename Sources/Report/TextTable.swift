import PipeLabExperiment
import PipeLabKernel

/// A plain-text table with columns padded to their widest cell.
public enum TextTable {
    public static func render(header: [String], rows: [[String]]) -> String {
        // A cell is one line whatever its text (a CR or LF in a sweep's name would forge a row).
        let all = ([header] + rows).map { $0.map { TerminalText.shown($0) } }
        let widths = header.indices.map { column in all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { column, text in
                column == row.count - 1 ? text : RunView.pad(text, widths[column] + 2)
            }.joined()
        }.joined(separator: "\n") + "\n"
    }
}
