/// An SVG chart: for each transport, how the share of runs by first failing send changes as the
/// sleep grows. Each bar is 100% of the runs at that sleep.
public enum FirstFailureChart {
    struct Category: Sendable {
        var label: String
        var color: String
        var matches: @Sendable (FirstFailureCount) -> Bool
    }

    static let categories: [Category] = [
        Category(label: "no send failed", color: "#43a047") { $0.send == nil },
        Category(label: "send #1 failed", color: "#8e24aa") { $0.send == 1 },
        Category(label: "send #2 failed", color: "#fb8c00") { $0.send == 2 },
        Category(label: "send #3 failed", color: "#e53935") { $0.send == 3 },
        Category(label: "a later send failed", color: "#546e7a") { ($0.send ?? 0) > 3 },
    ]

    static let panelHeight = 200.0, top = 48.0, left = 56.0, barWidth = 22.0, gap = 8.0

    public static func svg(_ counts: [FirstFailureCount], title: String) -> String {
        let transports = Transport.allCases.filter { t in counts.contains { $0.transport == t } }
        let sleeps = Array(Set(counts.map(\.sleepNs))).sorted()
        let panelWidth = Double(sleeps.count) * (barWidth + gap) + gap
        let width = left + Double(transports.count) * (panelWidth + 24) + 16
        let legendTop = top + panelHeight + 70
        let height = legendTop + 24
        var body: [String] = [
            #"<text x="\#(left)" y="22" font-size="15" font-weight="bold">\#(xml(title))</text>"#,
        ]
        // The shared y axis.
        for tick in stride(from: 0, through: 100, by: 25) {
            let y = top + panelHeight * (1 - Double(tick) / 100)
            body.append(#"<text x="\#(left - 8)" y="\#(y + 4)" font-size="11" text-anchor="end">\#(tick)%</text>"#)
            body.append(#"<line x1="\#(left)" y1="\#(y)" x2="\#(width - 16)" y2="\#(y)" stroke="rgb(221,221,221)" stroke-width="1"/>"#)
        }
        for (index, transport) in transports.enumerated() {
            let x0 = left + Double(index) * (panelWidth + 24)
            body.append(#"<text x="\#(x0 + panelWidth / 2)" y="\#(top - 8)" font-size="13" text-anchor="middle">\#(transport.rawValue)</text>"#)
            for (column, sleep) in sleeps.enumerated() {
                let here = counts.filter { $0.transport == transport && $0.sleepNs == sleep }
                let total = here.reduce(0) { $0 + $1.runs }
                let x = x0 + gap + Double(column) * (barWidth + gap)
                var y = top + panelHeight
                for category in categories where total > 0 {
                    let runs = here.filter(category.matches).reduce(0) { $0 + $1.runs }
                    guard runs > 0 else { continue }
                    let h = panelHeight * Double(runs) / Double(total)
                    y -= h
                    body.append(#"<rect x="\#(x)" y="\#(round(y))" width="\#(barWidth)" height="\#(round(h))" fill="\#(category.color)"><title>\#(transport.rawValue), sleep \#(DurationText.format(sleep)): \#(category.label), \#(runs) of \#(total) runs</title></rect>"#)
                }
                let labelY = top + panelHeight + 12
                body.append(#"<text x="\#(x + barWidth / 2)" y="\#(labelY)" font-size="10" text-anchor="end" transform="rotate(-45 \#(x + barWidth / 2) \#(labelY))">\#(DurationText.format(sleep))</text>"#)
            }
        }
        body.append(#"<text x="\#(left)" y="\#(top + panelHeight + 56)" font-size="11">sleep after the first send →</text>"#)
        var legendX = left
        for category in categories {
            body.append(#"<rect x="\#(legendX)" y="\#(legendTop)" width="12" height="12" fill="\#(category.color)"/>"#)
            body.append(#"<text x="\#(legendX + 16)" y="\#(legendTop + 10)" font-size="11">\#(category.label)</text>"#)
            legendX += 16 + Double(category.label.count) * 6.2 + 18
        }
        let fullWidth = max(width, legendX + 8)
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(fullWidth))" height="\(Int(height))" viewBox="0 0 \(Int(fullWidth)) \(Int(height))" font-family="Helvetica, Arial, sans-serif">
            <rect width="100%" height="100%" fill="white"/>
            \(body.joined(separator: "\n"))
            </svg>

            """
    }

    static func round(_ value: Double) -> String { DurationDisplay.fixed(value, 2) }

    static func xml(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(character)
            }
        }
        return out
    }
}
