import PipeLabExperiment
import PipeLabKernel

/// Everything from the database goes into Markdown through these, so no name or value can break
/// a table or inject markup.
public enum Markdown {
    /// Text safe in a paragraph or a table cell: Markdown punctuation backslash-escaped, HTML
    /// special characters as entities, line breaks as spaces, other control characters shown as
    /// on a terminal (`\e`, `\x07`), so a report read with `cat` obeys none of them.
    public static func text(_ raw: String) -> String {
        var out = ""
        for character in TerminalText.shown(raw, keepingLineBreaks: true) {
            switch character {
            case "\n", "\r", "\r\n", "\t": out += " "
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\\", "`", "*", "_", "[", "]", "|", "#", "!", "~", "{", "}": out += "\\" + String(character)
            default: out.append(character)
            }
        }
        return out
    }

    /// A code span for a value pipelab itself produced (a signature, a command); anything that
    /// could escape the span is shown as escaped text instead.
    public static func code(_ raw: String) -> String {
        let safe = raw.allSatisfy { $0.isLetter || $0.isNumber || " ,:+-_./=()'\"@%×".contains($0) }
        return safe && !raw.isEmpty ? "`" + raw + "`" : text(raw)
    }

    /// A table from already-escaped cells.
    public static func table(_ header: [String], _ rows: [[String]], rightAligned: Set<Int> = []) -> String {
        var lines = ["| " + header.joined(separator: " | ") + " |"]
        lines.append("|" + header.indices.map { rightAligned.contains($0) ? "---:" : "---" }.joined(separator: "|") + "|")
        lines += rows.map { "| " + $0.joined(separator: " | ") + " |" }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A fenced code block whose fence no content can close.
    public static func codeBlock(_ content: String, language: String = "") -> String {
        var fence = "```"
        while content.contains(fence) { fence += "`" }
        return fence + language + "\n" + content + "\n" + fence + "\n"
    }
}

/// Nearest-rank percentiles over recorded durations.
public enum Percentile {
    public static func of(_ values: [Int64], _ p: Double) -> Int64? {
        guard !values.isEmpty else { return nil }
        return values.sorted()[NearestRank.index(p, count: values.count)]
    }
}

/// Durations for people: `850ns`, `12.4µs`, `3.10ms`, `1.002s`.
public enum DurationDisplay {
    public static func format(_ ns: Int64) -> String {
        let value = Double(ns)
        if ns < 1_000 { return "\(ns)ns" }
        if ns < 1_000_000 { return fixed(value / 1e3, 1) + "µs" }
        if ns < 1_000_000_000 { return fixed(value / 1e6, 2) + "ms" }
        return fixed(value / 1e9, 3) + "s"
    }

    package static func fixed(_ value: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int64((value * scale).rounded())
        let whole = scaled / Int64(scale), fraction = String(scaled % Int64(scale))
        return digits == 0 ? "\(whole)" : "\(whole)." + String(repeating: "0", count: digits - fraction.count) + fraction
    }
}
