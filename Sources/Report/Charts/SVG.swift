import PipeLabStore
import PipeLabExperiment
import PipeLabKernel

/// The pieces every chart is drawn with: escaped text, fixed-precision numbers, and the document
/// around them. Charts are pure functions of their data, so the same data gives the same bytes.
package enum SVG {
    /// The smallest font size any chart uses: readable in GitHub's column without zooming.
    package static let minimumFontSize = 12.0
    /// The widest a chart should be to show unscaled in GitHub's column: 980 px less the page's
    /// padding (45 px a side) leaves 890 px; a wider image is shrunk, and its 12 px text with it.
    package static let columnWidth = 880.0

    package static let sansFont = "Helvetica, Arial, DejaVu Sans, sans-serif"
    package static let monoFont = "Menlo, Consolas, DejaVu Sans Mono, monospace"

    /// Text for use inside an element or an attribute value. XML 1.0 cannot carry most control
    /// characters even as references, so they become U+FFFD.
    package static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x20 || (0xFFFE...0xFFFF).contains(scalar.value): out += "\u{FFFD}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A coordinate with at most one decimal, so output does not depend on float printing.
    package static func number(_ value: Double) -> String {
        let tenths = Int64((value * 10).rounded())
        let sign = tenths < 0 ? "-" : ""
        let magnitude = tenths.magnitude
        return magnitude % 10 == 0 ? "\(sign)\(magnitude / 10)" : "\(sign)\(magnitude / 10).\(magnitude % 10)"
    }

    /// A generous estimate of the width of `text` in pixels (no font metrics at hand): wide enough
    /// for Helvetica, Arial and DejaVu Sans, and exact for the monospace fonts.
    package static func textWidth(_ text: String, size: Double = minimumFontSize, mono: Bool = false) -> Double {
        Double(text.count) * size * (mono ? 0.61 : 0.6)
    }

    package enum Anchor: String { case start, middle, end }

    package static func text(_ content: String, x: Double, y: Double, size: Double = minimumFontSize, anchor: Anchor = .start,
                     bold: Bool = false, mono: Bool = false, fill: String? = nil, rotate: Double? = nil) -> String {
        var attributes = #"x="\#(number(x))" y="\#(number(y))" font-size="\#(number(max(size, minimumFontSize)))""#
        if anchor != .start { attributes += #" text-anchor="\#(anchor.rawValue)""# }
        if bold { attributes += #" font-weight="bold""# }
        if mono { attributes += #" font-family="\#(monoFont)""# }
        if let fill { attributes += #" fill="\#(fill)""# }
        if let rotate { attributes += #" transform="rotate(\#(number(rotate)) \#(number(x)) \#(number(y)))""# }
        return "<text \(attributes)>\(escape(content))</text>"
    }

    package static func rect(x: Double, y: Double, width: Double, height: Double, fill: String, stroke: String? = nil,
                     dashed: Bool = false, radius: Double? = nil) -> String {
        var attributes = #"x="\#(number(x))" y="\#(number(y))" width="\#(number(width))" height="\#(number(height))" fill="\#(fill)""#
        if let radius { attributes += #" rx="\#(number(radius))""# }
        if let stroke { attributes += #" stroke="\#(stroke)" stroke-width="1""# }
        if dashed { attributes += #" stroke-dasharray="3 2""# }
        return "<rect \(attributes)/>"
    }

    package static func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String, width: Double = 1, dashed: Bool = false) -> String {
        #"<line x1="\#(number(x1))" y1="\#(number(y1))" x2="\#(number(x2))" y2="\#(number(y2))" stroke="\#(stroke)" stroke-width="\#(number(width))"\#(dashed ? #" stroke-dasharray="4 3""# : "")/>"#
    }

    /// Words of `text` in lines no wider than `width` pixels at the minimum font size.
    package static func wrap(_ text: String, width: Double) -> [String] {
        var lines: [String] = [], current = ""
        for word in text.split(separator: " ") {
            let candidate = current.isEmpty ? String(word) : current + " " + word
            if textWidth(candidate) > width, !current.isEmpty {
                lines.append(current)
                current = String(word)
            } else {
                current = candidate
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    /// A caption's paragraphs, wrapped, as text elements starting at baseline `y`; returns the
    /// elements and the baseline after the last line.
    package static func paragraphs(_ texts: [String], x: Double, y: Double, width: Double) -> (elements: [String], end: Double) {
        var elements: [String] = [], baseline = y
        for text in texts {
            for line in wrap(text, width: width) {
                elements.append(self.text(line, x: x, y: baseline, fill: "#333333"))
                baseline += 16
            }
            baseline += 4
        }
        return (elements, baseline)
    }

    /// The whole document on a white background.
    package static func document(width: Double, height: Double, defs: [String] = [], body: [String]) -> String {
        let w = number(width.rounded(.up)), h = number(height.rounded(.up))
        var out = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
        out += #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(w)" height="\#(h)" viewBox="0 0 \#(w) \#(h)" font-family="\#(sansFont)">"# + "\n"
        if !defs.isEmpty { out += "<defs>\n" + defs.joined(separator: "\n") + "\n</defs>\n" }
        out += #"<rect width="100%" height="100%" fill="white"/>"# + "\n"
        out += body.joined(separator: "\n") + "\n</svg>\n"
        return out
    }
}
