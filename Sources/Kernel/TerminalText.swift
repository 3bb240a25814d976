/// Text that came from a database or a file, made safe to print on a terminal: a control
/// character (C0, DEL, C1) or a bidirectional override is shown as an escape (`\e`, `\r`,
/// `\x07`, `\u{202E}`), never obeyed, so a sweep named ESC [2J cannot clear the screen and a CR or
/// LF in a name cannot forge a row.
public enum TerminalText {
    /// `text` with its control characters shown; `keepingLineBreaks` leaves LF and tab alone, for
    /// output whose own lines and columns are made by pipelab (the fields in it are escaped too).
    public static func shown(_ text: String, keepingLineBreaks: Bool = false) -> String {
        guard text.unicodeScalars.contains(where: { isControl($0, keepingLineBreaks: keepingLineBreaks) }) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard isControl(scalar, keepingLineBreaks: keepingLineBreaks) else {
                out.append(scalar)
                continue
            }
            let escape: String
            switch scalar.value {
            case 0x1B: escape = "\\e"
            case 0x0A: escape = "\\n"
            case 0x0D: escape = "\\r"
            case 0x09: escape = "\\t"
            case ..<0x100: escape = "\\x" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
            default: escape = "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            }
            out.append(contentsOf: escape.unicodeScalars)
        }
        return String(out)
    }

    private static func isControl(_ scalar: Unicode.Scalar, keepingLineBreaks: Bool) -> Bool {
        switch scalar.value {
        case 0x0A, 0x09: !keepingLineBreaks
        case 0x00..<0x20, 0x7F...0x9F: true
        // Bidirectional embeddings, overrides and isolates reorder what follows them on screen.
        case 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }
}
