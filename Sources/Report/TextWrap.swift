import PipeLabExperiment
import PipeLabKernel

/// Breaks a list of parts into lines of at most `width` characters, only between parts.
package enum TextWrap {
    /// Parts joined by `separator`; a line that breaks ends with the separator's visible part
    /// (`,` for `","`, ` ·` for `" · "`), so the reader sees that it goes on. A part wider than
    /// `width` gets a line of its own.
    package static func parts(_ parts: [String], separator: String, width: Int) -> [String] {
        var tail = separator
        while tail.last == " " { tail.removeLast() }
        var lines: [String] = []
        var current = ""
        for (index, part) in parts.enumerated() {
            let candidate = current.isEmpty ? part : current + separator + part
            let reserved = index == parts.count - 1 ? 0 : tail.count
            if !current.isEmpty && candidate.count + reserved > width {
                lines.append(current + tail)
                current = part
            } else {
                current = candidate
            }
        }
        lines.append(current)
        return lines
    }

    /// The line without the spaces at its end.
    package static func trimmed(_ line: String) -> String {
        var line = line
        while line.last == " " { line.removeLast() }
        return line
    }
}
