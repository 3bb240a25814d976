import PipeLabExperiment

/// The width rule for tables: GitHub renders Markdown in a 980 px column, which holds about 100
/// characters of table text. A table row may be at most `budget` visible characters (cell text
/// after removing Markdown markup, plus ` | ` between cells); wider tables are split by columns,
/// repeating the first `keep` columns in each part.
public enum MarkdownWidth {
    public static let budget = 100

    public struct Part {
        public var header: [String]
        public var rows: [[String]]
        public var isContinuation: Bool
    }

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

    public static func split(header: [String], rows: [[String]], keep: Int) -> [Part] {
        let widths = header.indices.map { column in
            ([header] + rows).map { $0.indices.contains(column) ? visible($0[column]) + 3 : 0 }.max() ?? 0
        }
        let fixed = 1 + widths.prefix(keep).reduce(0, +)
        var parts: [Part] = []
        var start = keep
        while start < header.count || parts.isEmpty {
            var end = start
            var width = fixed
            while end < header.count && (end == start || width + widths[end] <= budget) {
                width += widths[end]
                end += 1
            }
            let columns = Array(0..<keep) + Array(start..<end)
            parts.append(Part(header: columns.map { header[$0] },
                              rows: rows.map { row in columns.map { row.indices.contains($0) ? row[$0] : "" } },
                              isContinuation: !parts.isEmpty))
            if end == start { break }
            start = end
        }
        return parts
    }
}
