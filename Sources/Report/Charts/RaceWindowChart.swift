import Foundation
import PipeLabExperiment
import PipeLabKernel
import PipeLabStore

/// The race window: for each family (transport × peer × payload) with three sleeps or more, the
/// share of its runs with each first failure (AnswerTable's words, the same whatever the SIGPIPE
/// disposition) as the sleep grows, on a logarithmic sleep axis, with Wilson 95 % intervals. Where
/// a share moves between sleeps, the sleep decides the outcome: the client races the peer's close.
/// Runs of the default disposition (which die) and of other probes and networks are left out;
/// families whose every sleep gives the same outcome are named in the caption, not drawn.
public enum RaceWindowChart {
    /// Signatures with a colour of their own; the rest are pooled as "other".
    public static let seriesLimit = 8
    package static let palette = ["#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#882255", "#AA4499"]
    package static let otherColor = "#999999", otherName = "other"

    /// Runs of one transport, peer and payload (and number of sends, where the sweep has several).
    package struct Family: Hashable {
        package var transport: Transport, peer: PeerAction, payloadBytes: Int64, sends: Int
        package var label: String { "\(transport.rawValue) · \(peer.rawValue) · \(SizeText.label(payloadBytes))" }
    }

    package struct Model {
        /// The families drawn: those whose shares move with the sleep.
        package var families: [Family]
        /// Families with three sleeps or more whose every sleep gave one outcome, with it.
        package var flat: [(family: Family, outcome: String)]
        package var sleeps: [Int64]
        /// Outcomes drawn as series, most runs first; the last is "other" when outcomes were pooled.
        package var series: [String]
        package var pooledSignatures: Int
        /// Runs per family and sleep, and per family, sleep and series.
        package var totals: [Family: [Int64: Int]]
        package var counts: [Family: [Int64: [String: Int]]]
        package var multipleSends: Bool

        package init(_ allGroups: [RunGroup]) {
            // The sends' own story: probe none on plain loopback where the sweep has them; never the default disposition.
            let probe: Probe = allGroups.contains { $0.scenario.probe == .none } ? .none : allGroups.first?.scenario.probe ?? .none
            let network: NetworkCell = allGroups.contains { $0.scenario.network == .plain } ? .plain : allGroups.first?.scenario.network ?? .plain
            let groups = allGroups.filter { $0.scenario.probe == probe && $0.scenario.network == network && $0.scenario.sigpipe != .default }
            multipleSends = Set(groups.map(\.scenario.sends)).count > 1
            func family(_ s: Scenario) -> Family { Family(transport: s.transport, peer: s.peer, payloadBytes: s.payloadBytes, sends: s.sends) }
            sleeps = Set(groups.map(\.scenario.sleepNs)).sorted()
            var totals: [Family: [Int64: Int]] = [:], counts: [Family: [Int64: [String: Int]]] = [:]
            for group in groups {
                let name = AnswerTable.failure(group.signature), f = family(group.scenario)
                totals[f, default: [:]][group.scenario.sleepNs, default: 0] += group.runs
                counts[f, default: [:]][group.scenario.sleepNs, default: [:]][name, default: 0] += group.runs
            }
            let all = uniqued(groups.map { family($0.scenario) }).filter { (totals[$0]?.count ?? 0) >= 3 }
                .sorted { ($0.transport.position, $0.peer.position, $0.sends, $0.payloadBytes) < ($1.transport.position, $1.peer.position, $1.sends, $1.payloadBytes) }
            // A family is drawn when its outcomes move with the sleep, or disagree at some sleep.
            let moving = { (f: Family) in Set((counts[f] ?? [:]).values.map { Set($0.keys) }).count > 1 || (counts[f] ?? [:]).values.contains { $0.count > 1 } }
            families = all.filter(moving)
            flat = all.filter { !moving($0) }.map { ($0, counts[$0]?.values.first?.keys.first ?? "") }
            let drawn = Set(families)
            var ranked: [String: Int] = [:]
            for (f, bySleep) in counts where drawn.contains(f) { for (_, c) in bySleep { for (name, n) in c { ranked[name, default: 0] += n } } }
            let order = ranked.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map(\.key)
            let pooled = order.count > seriesLimit + 1
            series = pooled ? Array(order.prefix(seriesLimit)) + [otherName] : order
            pooledSignatures = pooled ? order.count - seriesLimit : 0
            if pooled {
                let own = Set(series)
                for f in families {
                    for (sleep, c) in counts[f] ?? [:] {
                        var merged: [String: Int] = [:]
                        for (name, n) in c { merged[own.contains(name) ? name : otherName, default: 0] += n }
                        counts[f]?[sleep] = merged
                    }
                }
            }
            self.totals = totals
            self.counts = counts
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

    package static let margin = 16.0, panelGap = 24.0, plotHeight = 110.0, axisLabelWidth = 44.0, panelsPerRow = 3

    /// nil when no family has three sleeps whose outcomes move: two points make no window.
    public static func svg(_ data: ChartData) -> String? {
        let model = Model(data.runGroups)
        guard !model.families.isEmpty else { return nil }
        let columns = min(panelsPerRow, model.families.count)
        let panelWidth = (SVG.columnWidth - 2 * margin - Double(columns - 1) * panelGap) / Double(columns)
        let panelHeight = 28 + plotHeight + 44
        var body = [SVG.text("First failure by sleep, per transport, peer and payload: \(data.sweep.name)", x: margin, y: 24, size: 16, bold: true)]
        let top = 40.0
        for (index, family) in model.families.enumerated() {
            let left = margin + Double(index % columns) * (panelWidth + panelGap)
            let panelTop = top + Double(index / columns) * panelHeight
            body += panel(model, family, left: left, top: panelTop, width: panelWidth)
        }
        let rows = (model.families.count + columns - 1) / columns
        let (legendElements, legendEnd) = legend(model, top: top + Double(rows) * panelHeight + 4)
        body += legendElements
        let caption = SVG.paragraphs(captionText(data.runGroups, model), x: margin, y: legendEnd + 22,
                                     width: SVG.columnWidth - 2 * margin)
        body += caption.elements
        return SVG.document(width: SVG.columnWidth, height: caption.end, body: body)
    }

    package static func panel(_ model: Model, _ family: Family, left: Double, top: Double, width: Double) -> [String] {
        let plotLeft = left + axisLabelWidth, plotRight = left + width, plotTop = top + 28, plotBottom = plotTop + plotHeight
        let totals = model.totals[family] ?? [:]
        let low = totals.values.min() ?? 0, high = totals.values.max() ?? 0
        let title = family.label + (model.multipleSends ? " · ×\(family.sends)" : "")
        var out = [SVG.text(title, x: plotLeft, y: top + 16, size: 12, bold: true),
                   SVG.text(low == high ? "\(low) runs" : "\(low)–\(high) runs",
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
        out.append(SVG.text("sleep (log scale)", x: (plotLeft + plotRight) / 2, y: plotBottom + 36,
                            anchor: .middle, fill: "#333333"))
        let present = model.series.filter { name in model.sleeps.contains { (model.counts[family]?[$0]?[name] ?? 0) > 0 } }
        for (rank, name) in present.enumerated() {
            // Series side by side at each sleep, so their intervals do not hide each other.
            let dodge = (Double(rank) - Double(present.count - 1) / 2) * 3
            out += series(name, color: model.color(name), points: model.sleeps.compactMap { sleep in
                guard let trials = totals[sleep], let interval = Wilson.interval(successes: model.counts[family]?[sleep]?[name] ?? 0, trials: trials)
                else { return nil }
                let share = Double(model.counts[family]?[sleep]?[name] ?? 0) / Double(trials)
                let y = { (p: Double) in plotBottom - plotHeight * p }
                return (x: axis.x(sleep) + dodge, y: y(share), low: y(interval.low), high: y(interval.high), isZero: sleep == 0,
                        title: "\(family.label), sleep \(DurationText.format(sleep)): \(name) in \(model.counts[family]?[sleep]?[name] ?? 0) of \(trials) runs")
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
        let dispositions = SigpipeMode.allCases.filter { m in m != .default && groups.contains { $0.scenario.sigpipe == m } }
        var text = [
            "Each point is the share of one family's runs at one sleep whose first failing call was the one named, pooled over sigpipe ("
                + dispositions.map(\.rawValue).joined(separator: ", ") + "); the default disposition, which dies, is left out. "
                + "Bars are Wilson 95 % intervals; points are nudged sideways so they do not hide each other. Runs the machine disturbed are left out.",
        ]
        var axis = "The sleep axis is logarithmic"
        if model.sleeps.contains(0) { axis += "; sleep 0 sits left of the break, at a distance that is not to scale (the dashed segment)" }
        text.append(axis + (model.pooledSignatures > 0 ? "; the \(seriesLimit) most frequent outcomes have their own colour, the other \(model.pooledSignatures) are pooled as other." : "."))
        if !model.flat.isEmpty {
            let byOutcome = Dictionary(grouping: model.flat, by: \.outcome)
            text.append("Not drawn, the same at every sleep: " + byOutcome.keys.sorted().map { outcome in
                "\(outcome) in " + (byOutcome[outcome] ?? []).map(\.family.label).joined(separator: ", ")
            }.joined(separator: "; ") + ".")
        }
        return text
    }
}
