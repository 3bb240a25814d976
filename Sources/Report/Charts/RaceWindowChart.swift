import Foundation
import PipeLabExperiment
import PipeLabKernel
import PipeLabStore

/// The race window: for each transport, the share of its runs that produced each signature as the
/// sleep grows, on a logarithmic sleep axis, with Wilson 95 % intervals. Where a share moves
/// between sleeps, the sleep decides the outcome: the client races the peer's close.
public enum RaceWindowChart {
    /// Signatures with a colour of their own; the rest are pooled as "other".
    public static let seriesLimit = 8
    package static let palette = ["#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#882255", "#AA4499"]
    package static let otherColor = "#999999", otherName = "other"

    package struct Model {
        package var transports: [Transport]
        package var sleeps: [Int64]
        /// Signatures drawn as series, most runs first; the last is "other" when signatures were pooled.
        package var series: [String]
        package var pooledSignatures: Int
        /// Runs per transport and sleep, and per transport, sleep and series.
        package var totals: [Transport: [Int64: Int]] = [:]
        package var counts: [Transport: [Int64: [String: Int]]] = [:]

        package init(_ groups: [RunGroup]) {
            transports = Transport.allCases.filter { t in groups.contains { $0.scenario.transport == t } }
            sleeps = Set(groups.map(\.scenario.sleepNs)).sorted()
            var bySignature: [String: Int] = [:]
            for group in groups { bySignature[group.signature, default: 0] += group.runs }
            let ranked = bySignature.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map(\.key)
            let pooled = ranked.count > seriesLimit + 1
            series = pooled ? Array(ranked.prefix(seriesLimit)) + [otherName] : ranked
            pooledSignatures = pooled ? ranked.count - seriesLimit : 0
            let own = Set(series)
            for group in groups {
                let s = group.scenario, name = own.contains(group.signature) ? group.signature : otherName
                totals[s.transport, default: [:]][s.sleepNs, default: 0] += group.runs
                counts[s.transport, default: [:]][s.sleepNs, default: [:]][name, default: 0] += group.runs
            }
        }

        package func color(_ series: String) -> String {
            series == otherName && pooledSignatures > 0 ? otherColor : palette[(self.series.firstIndex(of: series) ?? 0) % palette.count]
        }
    }

    /// A panel's sleep axis: logarithmic for the non-zero sleeps, sleep 0 left of a break.
    package struct SleepAxis {
        package var zeroX: Double?, logLeft: Double, logRight: Double, lowLog: Double, highLog: Double

        package init(sleeps: [Int64], left: Double, right: Double) {
            let nonZero = sleeps.filter { $0 > 0 }
            zeroX = sleeps.contains(0) ? left + 14 : nil
            logLeft = left + (zeroX == nil ? 14 : 56)
            logRight = right - 14
            lowLog = log10(Double(nonZero.first ?? 1))
            highLog = log10(Double(nonZero.last ?? 10))
        }

        package func x(_ sleep: Int64) -> Double {
            guard sleep > 0 else { return zeroX ?? logLeft }
            let span = highLog - lowLog
            return span > 0 ? logLeft + (log10(Double(sleep)) - lowLog) / span * (logRight - logLeft) : (logLeft + logRight) / 2
        }
    }

    package static let margin = 16.0, panelGap = 24.0, plotHeight = 180.0, axisLabelWidth = 44.0

    /// nil when the sweep has fewer than three sleeps: two points make no window.
    public static func svg(_ data: ChartData) -> String? {
        let model = Model(data.runGroups)
        guard model.sleeps.count >= 3 else { return nil }
        let columns = model.transports.count > 1 ? 2 : 1
        let panelWidth = (SVG.columnWidth - 2 * margin - Double(columns - 1) * panelGap) / Double(columns)
        let panelHeight = 28 + plotHeight + 44
        var body = [SVG.text("Signatures by sleep, per transport: \(data.sweep.name)", x: margin, y: 24, size: 16, bold: true)]
        let top = 40.0
        for (index, transport) in model.transports.enumerated() {
            let left = margin + Double(index % columns) * (panelWidth + panelGap)
            let panelTop = top + Double(index / columns) * panelHeight
            body += panel(model, transport, left: left, top: panelTop, width: panelWidth)
        }
        let rows = (model.transports.count + columns - 1) / columns
        let (legendElements, legendEnd) = legend(model, top: top + Double(rows) * panelHeight + 4)
        body += legendElements
        let caption = SVG.paragraphs(captionText(data.runGroups, model), x: margin, y: legendEnd + 22,
                                     width: SVG.columnWidth - 2 * margin)
        body += caption.elements
        return SVG.document(width: SVG.columnWidth, height: caption.end, body: body)
    }

    package static func panel(_ model: Model, _ transport: Transport, left: Double, top: Double, width: Double) -> [String] {
        let plotLeft = left + axisLabelWidth, plotRight = left + width, plotTop = top + 28, plotBottom = plotTop + plotHeight
        let totals = model.totals[transport] ?? [:]
        let low = totals.values.min() ?? 0, high = totals.values.max() ?? 0
        var out = [SVG.text(transport.rawValue, x: plotLeft, y: top + 16, size: 14, bold: true),
                   SVG.text(low == high ? "\(low) runs per sleep" : "\(low) to \(high) runs per sleep",
                            x: plotRight, y: top + 16, anchor: .end, fill: "#555555")]
        for percent in stride(from: 0, through: 100, by: 25) {
            let y = plotBottom - plotHeight * Double(percent) / 100
            out.append(SVG.line(x1: plotLeft, y1: y, x2: plotRight, y2: y, stroke: percent == 0 ? "#555555" : "#e0e0e0"))
            out.append(SVG.text("\(percent)%", x: plotLeft - 6, y: y + 4, anchor: .end))
        }
        let axis = SleepAxis(sleeps: model.sleeps, left: plotLeft, right: plotRight)
        var labelEnd = -Double.infinity
        for sleep in model.sleeps {
            let x = axis.x(sleep), label = DurationText.format(sleep), half = SVG.textWidth(label) / 2
            out.append(SVG.line(x1: x, y1: plotBottom, x2: x, y2: plotBottom + 4, stroke: "#555555"))
            guard x - half > labelEnd + 4 else { continue }  // no overlapping tick labels
            out.append(SVG.text(label, x: x, y: plotBottom + 18, anchor: .middle))
            labelEnd = x + half
        }
        if let zeroX = axis.zeroX {
            // The break between sleep 0 and the logarithmic part of the axis.
            let middle = (zeroX + axis.logLeft) / 2
            out.append(SVG.rect(x: middle - 4, y: plotBottom - 3, width: 8, height: 6, fill: "white"))
            for dx in [-4.0, 2.0] {
                out.append(SVG.line(x1: middle + dx, y1: plotBottom + 5, x2: middle + dx + 2, y2: plotBottom - 5, stroke: "#555555"))
            }
        }
        out.append(SVG.text("sleep after the first send (log scale)", x: (plotLeft + plotRight) / 2, y: plotBottom + 36,
                            anchor: .middle, fill: "#333333"))
        let present = model.series.filter { name in model.sleeps.contains { (model.counts[transport]?[$0]?[name] ?? 0) > 0 } }
        for (rank, name) in present.enumerated() {
            // Series side by side at each sleep, so their intervals do not hide each other.
            let dodge = (Double(rank) - Double(present.count - 1) / 2) * 3
            out += series(name, color: model.color(name), points: model.sleeps.compactMap { sleep in
                guard let trials = totals[sleep], let interval = Wilson.interval(successes: model.counts[transport]?[sleep]?[name] ?? 0, trials: trials)
                else { return nil }
                let share = Double(model.counts[transport]?[sleep]?[name] ?? 0) / Double(trials)
                let y = { (p: Double) in plotBottom - plotHeight * p }
                return (x: axis.x(sleep) + dodge, y: y(share), low: y(interval.low), high: y(interval.high), isZero: sleep == 0,
                        title: "\(transport.rawValue), sleep \(DurationText.format(sleep)): \(name) in \(model.counts[transport]?[sleep]?[name] ?? 0) of \(trials) runs")
            })
        }
        return out
    }

    package typealias Point = (x: Double, y: Double, low: Double, high: Double, isZero: Bool, title: String)

    /// One signature: its line (dashed across the axis break), its points and their intervals.
    package static func series(_ name: String, color: String, points: [Point]) -> [String] {
        var out: [String] = []
        for (a, b) in zip(points, points.dropFirst()) {
            out.append(SVG.line(x1: a.x, y1: a.y, x2: b.x, y2: b.y, stroke: color, width: 2, dashed: a.isZero))
        }
        for p in points {
            out.append(SVG.line(x1: p.x, y1: p.low, x2: p.x, y2: p.high, stroke: color, width: 1.5))
            for y in [p.low, p.high] { out.append(SVG.line(x1: p.x - 3, y1: y, x2: p.x + 3, y2: y, stroke: color, width: 1.5)) }
            out.append(#"<circle cx="\#(SVG.number(p.x))" cy="\#(SVG.number(p.y))" r="3.5" fill="\#(color)"><title>\#(SVG.escape(p.title))</title></circle>"#)
        }
        return out
    }

    package static func legend(_ model: Model, top: Double) -> (elements: [String], end: Double) {
        let itemWidth = (model.series.map { SVG.textWidth($0, mono: true) }.max() ?? 0) + 40
        let perRow = max(1, Int((SVG.columnWidth - 2 * margin) / itemWidth))
        var out: [String] = []
        for (index, name) in model.series.enumerated() {
            let x = margin + Double(index % perRow) * itemWidth, y = top + Double(index / perRow) * 20
            out.append(SVG.line(x1: x, y1: y + 7, x2: x + 22, y2: y + 7, stroke: model.color(name), width: 2))
            out.append(#"<circle cx="\#(SVG.number(x + 11))" cy="\#(SVG.number(y + 7))" r="3.5" fill="\#(model.color(name))"/>"#)
            let label = name == otherName && model.pooledSignatures > 0 ? "other (\(model.pooledSignatures) signatures)" : name
            out.append(SVG.text(label, x: x + 28, y: y + 11, mono: name != otherName || model.pooledSignatures == 0))
        }
        let rows = (model.series.count + perRow - 1) / perRow
        return (out, top + Double(rows) * 20)
    }

    package static func captionText(_ groups: [RunGroup], _ model: Model) -> [String] {
        func values<T: Hashable>(_ all: [T], _ key: (Scenario) -> T, _ text: (T) -> String) -> String {
            let present = Set(groups.map { key($0.scenario) })
            return all.filter(present.contains).map(text).joined(separator: ", ")
        }
        let pooled = [
            "peer (" + values(PeerAction.allCases, \.peer, \.rawValue) + ")",
            "sigpipe (" + values(SigpipeMode.allCases, \.sigpipe, \.rawValue) + ")",
            "sends (" + values(Set(groups.map(\.scenario.sends)).sorted(), \.sends) { String($0) } + ")",
            "payload (" + values(Set(groups.map(\.scenario.payloadBytes)).sorted(), \.payloadBytes, SizeText.label) + ")",
        ]
        var text = [
            "Each point is the share of one transport's runs at one sleep that produced the signature, pooled over "
                + pooled.joined(separator: ", ") + ". Bars are Wilson 95 % intervals over those runs; points are nudged sideways so they do not hide each other. Runs the machine disturbed are left out.",
        ]
        var axis = "The sleep axis is logarithmic"
        if model.sleeps.contains(0) { axis += "; sleep 0 sits left of the break, at a distance that is not to scale (the dashed segment)" }
        text.append(axis + ". A signature is drawn in a panel only if it occurs there"
            + (model.pooledSignatures > 0 ? "; the \(seriesLimit) most frequent signatures have their own colour, the other \(model.pooledSignatures) are pooled as other." : "."))
        return text
    }
}
