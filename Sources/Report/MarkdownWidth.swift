import PipeLabExperiment

/// The width of a table as a reader sees it: cell text after removing Markdown markup, plus
/// ` | ` between cells (the answer table keeps its rows within AnswerTable.rowBudget).
public enum MarkdownWidth {
    /// The characters a reader sees of a cell's widest line (a `<br>` breaks a line): no
    /// backticks, no backslash escapes, entities as one.
    public static func visible(_ cell: String) -> Int {
        cell.components(separatedBy: "<br>").map(visibleLine).max() ?? 0
    }

    package static func visibleLine(_ cell: String) -> Int {
        var count = 0
        var escaped = false
        var inEntity = false
        for character in cell {
            if escaped { escaped = false; count += 1; continue }
            switch character {
            case "\\": escaped = true
            case "`": break
            case "*" where !inEntity: break
            case "&": inEntity = true
            case ";" where inEntity: inEntity = false; count += 1
            default: if !inEntity { count += 1 }
            }
        }
        return count
    }

    /// The visible width of a table row: its cells and the separators between them.
    public static func rowWidth(_ cells: [String]) -> Int {
        cells.reduce(1) { $0 + visible($1) + 3 }
    }
}
