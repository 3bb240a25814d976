import PipeLabStore
import PipeLabExperiment

/// The grid as a heatmap: one facet per probe and network of the sweep, in it one panel per
/// transport, one row per (peer, sigpipe), one column per (sends, payload, sleep); each square
/// coloured by what happened to the first failing call of its runs, split into stripes where the
/// repeats disagree, with a band in the colour of death where SIGPIPE then killed the process.
public enum Heatmap {
    /// The squares to draw, derived from the recorded runs and the skipped combinations.
    package struct Model {
        package struct Column: Hashable { var sends: Int, payloadBytes: Int64, sleepNs: Int64 }
        package struct Row: Hashable { var peer: PeerAction, sigpipe: SigpipeMode }
        /// Runs of a cell whose first failure is of one kind at one send, and the send SIGPIPE
        /// killed the process in afterwards (nil: it did not, or it was that first failure).
        package struct Share: Equatable { var kind: FirstFailure, send: Int?, killedAt: Int? = nil, runs: Int }

        /// A probe and a network: the heatmap draws one facet for each the sweep has.
        package struct Facet: Hashable { var probe: Probe, network: NetworkCell }

        package var transports: [Transport] = []
        package var rows: [Row] = []
        package var columns: [Column] = []
        package var shares: [Scenario: [Share]] = [:]
        package var inapplicable = Set<[String]>()
        package var facet: Facet

        /// The facets of a sweep's runs: probe none on plain loopback first, then in the dimensions' order.
        package static func facets(_ groups: [RunGroup]) -> [Facet] {
            uniqued(groups.map { Facet(probe: $0.scenario.probe, network: $0.scenario.network) }).sorted {
                ($0.probe.position, $0.network.rttNs, Int64($0.network.lossBasisPoints), $0.network.intervalNs)
                    < ($1.probe.position, $1.network.rttNs, Int64($1.network.lossBasisPoints), $1.network.intervalNs)
            }
        }

        /// `facet`: the probe and network drawn; the rows are those of the whole sweep, so that facets line up.
        package init(groups allGroups: [RunGroup], skipped allSkipped: [SkippedCombination], facet: Facet? = nil) {
            let facet = facet ?? Self.facets(allGroups).first ?? Facet(probe: .none, network: .plain)
            self.facet = facet
            let groups = allGroups.filter { $0.scenario.probe == facet.probe && $0.scenario.network == facet.network }
            let skipped = allSkipped.filter { $0.probe == facet.probe }
            let scenarios = allGroups.map(\.scenario)
            let skippedKeys = allSkipped.map { ($0.transport, $0.peer, $0.sigpipe) }
            // A facet draws the transports it ran or could not run; rows are the whole sweep's, so facets line up.
            transports = Transport.allCases.filter { t in groups.contains { $0.scenario.transport == t } || skipped.contains { $0.transport == t } }
            let peers = PeerAction.allCases.filter { p in scenarios.contains { $0.peer == p } || skippedKeys.contains { $0.1 == p } }
            let sigpipes = SigpipeMode.allCases.filter { m in scenarios.contains { $0.sigpipe == m } || skippedKeys.contains { $0.2 == m } }
            rows = peers.flatMap { peer in sigpipes.map { Row(peer: peer, sigpipe: $0) } }
            columns = Set(groups.map { Column(sends: $0.scenario.sends, payloadBytes: $0.scenario.payloadBytes, sleepNs: $0.scenario.sleepNs) })
                .sorted { ($0.sends, $0.payloadBytes, $0.sleepNs) < ($1.sends, $1.payloadBytes, $1.sleepNs) }
            inapplicable = Set(skipped.map { [$0.transport.rawValue, $0.peer.rawValue, $0.sigpipe.rawValue] })
            for group in groups {
                let kind = FirstFailure.of(group)
                let send = kind == .noneFailed || kind == .otherEnd ? nil : group.firstFailingSend
                // Killed by SIGPIPE after another failure: the send it died in ends the signature.
                let killedAt = kind != .killedBySigpipe && group.outcome == .killed && group.termSignal == "SIGPIPE"
                    ? group.signature.split(separator: ",").count : nil
                var cell = shares[group.scenario, default: []]
                if let index = cell.firstIndex(where: { $0.kind == kind && $0.send == send && $0.killedAt == killedAt }) {
                    cell[index].runs += group.runs
                } else {
                    cell.append(Share(kind: kind, send: send, killedAt: killedAt, runs: group.runs))
                }
                shares[group.scenario] = cell.sorted { ($0.kind, $0.send ?? 0) < ($1.kind, $1.send ?? 0) }
            }
        }

        package func isInapplicable(_ transport: Transport, _ row: Row) -> Bool {
            inapplicable.contains([transport.rawValue, row.peer.rawValue, row.sigpipe.rawValue])
        }

        package func scenario(_ transport: Transport, _ row: Row, _ column: Column) -> Scenario {
            Scenario(transport: transport, peer: row.peer, sigpipe: row.sigpipe, sleepNs: column.sleepNs,
                     sends: column.sends, payloadBytes: column.payloadBytes, probe: facet.probe, intervalNs: facet.network.intervalNs,
                     rttNs: facet.network.rttNs, lossBasisPoints: facet.network.lossBasisPoints)
        }

        package var kindsPresent: [FirstFailure] { Set(shares.values.flatMap { $0.map(\.kind) }).sorted() }
        package var killedLater: Bool { shares.values.contains { $0.contains { $0.killedAt != nil } } }
        package var hasMissingCells: Bool {
            transports.contains { t in rows.contains { r in !isInapplicable(t, r) && columns.contains { shares[scenario(t, r, $0)] == nil } } }
        }
    }

    package static let margin = 16.0, facetGap = 20.0, peerGap = 6.0
    package static let hatch = """
        <pattern id="inapplicable" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">\
        <rect width="6" height="6" fill="#f2f2f2"/><line x1="0" y1="0" x2="0" y2="6" stroke="#aaaaaa" stroke-width="2"/></pattern>
        """

    public static func svg(_ data: ChartData) -> String {
        let facets = Model.facets(data.runGroups)
        let models = (facets.isEmpty ? [nil] : facets.map { Optional($0) }).map { Model(groups: data.runGroups, skipped: data.skipped, facet: $0) }
        let all = Model(groups: data.runGroups, skipped: data.skipped)
        let sends = Set(data.runGroups.map(\.scenario.sends))
        let groupLabel = { (c: Model.Column) in sends.count > 1 ? "\(c.sends) × \(SizeText.label(c.payloadBytes))" : SizeText.label(c.payloadBytes) }

        // Row labels on the left of each facet: the peer, then the sigpipe disposition beside the squares.
        let peerWidth = all.rows.map { SVG.textWidth($0.peer.rawValue) }.max() ?? 0
        let sigpipeWidth = all.rows.map { SVG.textWidth($0.sigpipe.rawValue) }.max() ?? 0
        let labelsWidth = peerWidth + 10 + sigpipeWidth + 10
        // The first facet's squares: the largest with which its transports fit on one line.
        let transports = Double(max(models.first?.transports.count ?? 1, 1))
        let widest = Double(max(models.first?.columns.count ?? 1, 1))
        let fitting = ((SVG.columnWidth - margin - labelsWidth - margin) - (transports - 1) * facetGap) / (transports * widest)
        let peerCount = Set(all.rows.map(\.peer)).count
        // A facet's panels side by side (as many as fit on a line), and its title over them.
        let panelsWidth = { (model: Model, g: (cell: Double, gap: Double)) -> Double in
            let panel = Double(max(model.columns.count, 1)) * g.cell
            let perLine = max(1, Int((SVG.columnWidth - margin - labelsWidth - margin + g.gap) / (panel + g.gap)))
            return Double(min(perLine, max(model.transports.count, 1))) * (panel + g.gap) - g.gap
        }
        let title = { (index: Int, model: Model, g: (cell: Double, gap: Double)) -> [String] in
            guard facets.count > 1 else { return [] }
            return index == 0 ? [facetTitle(model.facet)]
                : HeatmapGeometry.titleLines(facetTitle(model.facet), over: panelsWidth(model, g), size: HeatmapGeometry.secondaryTitleSize)
        }
        let geometry = { (drawn: ArraySlice<Model>, cell: Double, gap: Double) in
            HeatmapGeometry(cell: cell, panelGap: gap, titleLines: drawn.indices.map { title($0, models[$0], (cell, gap)).count }.max() ?? 0,
                            rows: all.rows.count, peers: peerCount,
                            groups: drawn.flatMap { groupSpans($0, groupLabel) },
                            sleeps: uniqued(drawn.flatMap { $0.columns.map(\.sleepNs) }).map(DurationText.format))
        }
        let first = geometry(models.prefix(1), min(HeatmapGeometry.largest, max(HeatmapGeometry.smallest, fitting.rounded(.down))), facetGap)
        let rest = geometry(models.dropFirst(), HeatmapGeometry.secondary, HeatmapGeometry.secondaryGap)

        let runs = data.runGroups.reduce(0) { $0 + $1.runs }
        let cellRuns = models.flatMap { $0.shares.values.map { $0.reduce(0) { $0 + $1.runs } } }
        var body = [
            SVG.text("What happened to the first failing send: \(data.sweep.name)", x: margin, y: 24, size: 16, bold: true),
            SVG.text(subtitle(runs: runs, cells: cellRuns.count, cellRuns: cellRuns, sends: sends.sorted())
                     + (facets.count > 1 ? "; one block per probe and network" : ""), x: margin, y: 44),
        ]
        // Each facet a block: its transports side by side (wrapped when too wide); blocks packed into bands.
        var top = 60.0, x = margin, bandHeight = 0.0, widthUsed = 0.0
        for (index, model) in models.enumerated() {
            let g = index == 0 ? first : rest
            let facetWidth = Double(max(model.columns.count, 1)) * g.cell
            let perLine = max(1, Int((SVG.columnWidth - margin - labelsWidth - margin + g.panelGap) / (facetWidth + g.panelGap)))
            let lines = stride(from: 0, to: model.transports.count, by: perLine).map { Array(model.transports[$0..<min($0 + perLine, model.transports.count)]) }
            // Only the first block of a band carries the row labels: the rows are the same in every facet.
            let titleSize = index == 0 ? HeatmapGeometry.titleSize : HeatmapGeometry.secondaryTitleSize
            let titled = title(index, model, (g.cell, g.panelGap))
            let titleWidth = titled.map { SVG.textWidth($0, size: titleSize) }.max() ?? 0
            let panelsWidth = max(panelsWidth(model, (g.cell, g.panelGap)), titleWidth)
            // The first facet has a band of its own: the others' squares are smaller.
            if x > margin && (index == 1 || x + panelsWidth > SVG.columnWidth - margin) {
                top += bandHeight
                (x, bandHeight) = (margin, 0)
            }
            let labelled = x == margin
            let blockWidth = (labelled ? labelsWidth : 0) + panelsWidth
            var lineTop = top
            for (line, text) in titled.enumerated() {
                body.append(SVG.text(text, x: x + (labelled ? labelsWidth : 0), y: lineTop + 15 + 14 * Double(line), size: titleSize, bold: true, fill: "#333333"))
            }
            for line in lines {
                let gridLeft = x + (labelled ? labelsWidth : 0)
                if labelled { body += rowLabels(model, top: lineTop + g.headerHeight, cell: g.cell, peerX: x, sigpipeX: gridLeft - 4) }
                for (index, transport) in line.enumerated() {
                    let left = gridLeft + Double(index) * (facetWidth + g.panelGap)
                    body.append(SVG.text(transport.rawValue, x: left + facetWidth / 2, y: lineTop + g.titleHeight + 14, size: 14, anchor: .middle, bold: true))
                    body += columnLabels(model, left: left, top: lineTop + g.titleHeight + 18, geometry: g, groupLabel: groupLabel)
                    body += squares(model, transport, left: left, top: lineTop + g.headerHeight, cell: g.cell)
                }
                lineTop += g.blockHeight
            }
            x += blockWidth + facetGap
            widthUsed = max(widthUsed, x - facetGap)
            bandHeight = max(bandHeight, lineTop - top)
        }
        top += bandHeight
        body.append(SVG.text("columns: payload, then sleep after the first send →", x: margin, y: top - 8, fill: "#333333"))
        let width = max(widthUsed + margin, 720)
        let (legendElements, legendEnd) = legend(models, top: top + 8, width: width)
        body += legendElements
        let caption = SVG.paragraphs([
            "A square's colour says how the first send that did not write all its bytes ended; the number on it is that send (1-based), "
                + "shown where all runs of the cell agree on it. A band in the colour of SIGPIPE's death along a square's foot: "
                + "the process went on after that failure and SIGPIPE killed it at a later send (the square's tooltip names it). "
                + "Where the runs of a cell ended differently, the square is split into "
                + "stripes, each as wide as its share of the runs (at least 3 px, so that a rare outcome still shows). "
                + "Runs the machine disturbed (a late peer or pause) are left out, as in the report's verdicts.",
        ], x: margin, y: legendEnd + 20, width: width - 2 * margin)
        body += caption.elements
        return SVG.document(width: width, height: caption.end, defs: [hatch], body: body)
    }

    /// `probe none · loopback`, `probe recv`, `rtt 20ms`: what a facet holds.
    package static func facetTitle(_ facet: Model.Facet) -> String {
        "probe \(facet.probe.rawValue) · \(facet.network.label)"
    }

    package static func subtitle(runs: Int, cells: Int, cellRuns: [Int], sends: [Int]) -> String {
        let low = cellRuns.min() ?? 0, high = cellRuns.max() ?? 0
        let perCell = low == high ? "\(low)" : "\(low) to \(high)"
        let sendText = sends.count == 1 ? "; \(sends[0]) send\(sends[0] == 1 ? "" : "s") per run" : "; columns grouped by sends × payload"
        return "\(runs) runs in \(cells) cells, \(perCell) per cell\(sendText)"
    }

    package static func rowLabels(_ model: Model, top: Double, cell: Double, peerX: Double, sigpipeX: Double) -> [String] {
        var out: [String] = [], y = top
        for (index, row) in model.rows.enumerated() {
            if index > 0, model.rows[index - 1].peer != row.peer { y += peerGap }
            if index == 0 || model.rows[index - 1].peer != row.peer {
                let groupRows = Double(model.rows.filter { $0.peer == row.peer }.count)
                out.append(SVG.text(row.peer.rawValue, x: peerX, y: y + groupRows * cell / 2 + 4, bold: true))
            }
            out.append(SVG.text(row.sigpipe.rawValue, x: sigpipeX, y: y + cell / 2 + 4, anchor: .end))
            y += cell
        }
        return out
    }

    /// Each column group's label (the payload) and the columns it spans, left to right.
    package static func groupSpans(_ model: Model, _ groupLabel: (Model.Column) -> String) -> [(label: String, span: Int)] {
        var spans: [(label: String, span: Int)] = []
        for column in model.columns {
            let label = groupLabel(column)
            if spans.last?.label == label { spans[spans.count - 1].span += 1 } else { spans.append((label, 1)) }
        }
        return spans
    }

    package static func columnLabels(_ model: Model, left: Double, top: Double, geometry g: HeatmapGeometry,
                                     groupLabel: (Model.Column) -> String) -> [String] {
        var out: [String] = [], x = left
        for group in groupSpans(model, groupLabel) {
            let span = Double(group.span) * g.cell
            out.append(g.rotateGroups
                ? SVG.text(group.label, x: x + span / 2 + 4, y: top + g.groupLabelHeight - 5, rotate: -90)
                : SVG.text(group.label, x: x + span / 2, y: top + 13, anchor: .middle))
            out.append(SVG.line(x1: x + 1, y1: top + g.groupLabelHeight - 1, x2: x + span - 1, y2: top + g.groupLabelHeight - 1, stroke: "#999999"))
            x += span
        }
        for (index, column) in model.columns.enumerated() {
            let x = left + Double(index) * g.cell
            let label = DurationText.format(column.sleepNs)
            let below = top + g.groupLabelHeight
            out.append(g.rotateSleeps
                ? SVG.text(label, x: x + g.cell / 2 + 4, y: below + g.sleepLabelHeight - 2, rotate: -90)
                : SVG.text(label, x: x + g.cell / 2, y: below + 13, anchor: .middle))
        }
        return out
    }

    package static func squares(_ model: Model, _ transport: Transport, left: Double, top: Double, cell: Double) -> [String] {
        var out: [String] = [], y = top
        for (rowIndex, row) in model.rows.enumerated() {
            if rowIndex > 0, model.rows[rowIndex - 1].peer != row.peer { y += peerGap }
            for (index, column) in model.columns.enumerated() {
                let x = left + Double(index) * cell + 1, size = cell - 2
                let scenario = model.scenario(transport, row, column)
                let name = "\(transport.rawValue) \(row.peer.rawValue) \(row.sigpipe.rawValue) sleep \(DurationText.format(column.sleepNs)) "
                    + "\(column.sends) × \(SizeText.label(column.payloadBytes))"
                if model.isInapplicable(transport, row) {
                    out.append(titled(name + ": cannot exist, not run", [SVG.rect(x: x, y: y + 1, width: size, height: size, fill: "url(#inapplicable)")]))
                    continue
                }
                guard let shares = model.shares[scenario] else {
                    out.append(titled(name + ": not recorded",
                                      [SVG.rect(x: x, y: y + 1, width: size, height: size, fill: "white", stroke: "#999999", dashed: true)]))
                    continue
                }
                out.append(square(shares, name: name, x: x, y: y + 1, size: size))
            }
            y += cell
        }
        return out
    }

    /// A square as a group whose title (a tooltip in browsers) names the cell and what happened.
    package static func titled(_ title: String, _ elements: [String]) -> String {
        "<g><title>\(SVG.escape(title))</title>" + elements.joined() + "</g>"
    }

    /// One cell: one stripe per kind of first failure, as wide as its share of the runs.
    package static func square(_ shares: [Model.Share], name: String, x: Double, y: Double, size: Double) -> String {
        let total = shares.reduce(0) { $0 + $1.runs }
        let described = shares.map { share in
            share.kind.label + (share.send.map { " at send \($0)" } ?? "") + (share.killedAt.map { ", then killed by SIGPIPE at send \($0)" } ?? "")
                + (shares.count > 1 || total > 1 ? " in \(share.runs)" : "")
        }.joined(separator: "; ") + " of \(total) run\(total == 1 ? "" : "s")"
        var parts: [String] = []
        var stripeX = x
        let kinds = FirstFailure.allCases.map { kind in (kind, shares.filter { $0.kind == kind }.reduce(0) { $0 + $1.runs }) }.filter { $0.1 > 0 }
        for (kind, width) in zip(kinds.map(\.0), stripeWidths(kinds.map(\.1), size: size)) {
            parts.append(SVG.rect(x: stripeX, y: y, width: width, height: size, fill: kind.color))
            stripeX += width
        }
        // The foot of the square in the colour of death, as wide as the runs SIGPIPE later killed.
        let killed = shares.filter { $0.killedAt != nil }.reduce(0) { $0 + $1.runs }
        if killed > 0 {
            let band = max(Self.minimumStripe, size * Double(killed) / Double(max(total, 1)))
            parts.append(SVG.rect(x: x, y: y + size - 5, width: band, height: 5, fill: FirstFailure.killedBySigpipe.color))
        }
        if shares.count == 1, let share = shares.first, let send = share.send, size >= 14 {
            parts.append(SVG.text(String(send), x: x + size / 2, y: y + size / 2 + 4.5, anchor: .middle, fill: share.kind.ink))
        }
        return titled(name + ": " + described, parts)
    }

    /// The narrowest a stripe is drawn, so that one run in 200 still shows its colour.
    package static let minimumStripe = 3.0

    /// Stripe widths filling `size`, each proportional to its runs but at least `minimumStripe`;
    /// the stripes above the minimum give up the room in proportion to their runs.
    package static func stripeWidths(_ runs: [Int], size: Double) -> [Double] {
        let total = Double(runs.reduce(0, +))
        guard total > 0 else { return runs.map { _ in 0 } }
        let raised = runs.map { size * Double($0) / total < minimumStripe }
        let raisedCount = Double(raised.filter { $0 }.count)
        let restRuns = Double(zip(runs, raised).filter { !$0.1 }.reduce(0) { $0 + $1.0 })
        guard restRuns > 0, raisedCount * minimumStripe < size else { return runs.map { size * Double($0) / total } }
        let rest = size - raisedCount * minimumStripe
        return zip(runs, raised).map { $0.1 ? minimumStripe : rest * Double($0.0) / restRuns }
    }

    /// The band's legend names the send SIGPIPE killed at, where the squares cannot: one send for
    /// all, or the one after the first failure, else "a later send" (each square's tooltip names it).
    package static func killedLaterLabel(_ models: [Model]) -> String {
        let later = models.flatMap { $0.shares.values.flatMap { $0 } }.filter { $0.killedAt != nil }
        let sends = Set(later.compactMap(\.killedAt))
        if sends.count == 1, let send = sends.first { return "then killed by SIGPIPE at send \(send)" }
        if later.allSatisfy({ share in share.send.map { $0 + 1 } == share.killedAt }) { return "then killed by SIGPIPE at the next send" }
        return "then killed by SIGPIPE at a later send"
    }

    package static func legend(_ models: [Model], top: Double, width: Double) -> (elements: [String], end: Double) {
        var items: [(swatch: String, label: String)] = Set(models.flatMap(\.kindsPresent)).sorted().map { kind in
            (#"fill="\#(kind.color)""#, kind.label)
        }
        if models.contains(where: \.killedLater) {
            items.append((#"fill="white" stroke="\#(FirstFailure.killedBySigpipe.color)" stroke-width="4""#, killedLaterLabel(models)))
        }
        if models.contains(where: { !$0.inapplicable.isEmpty }) { items.append((#"fill="url(#inapplicable)""#, "cannot exist (not run)")) }
        if models.contains(where: \.hasMissingCells) { items.append((##"fill="white" stroke="#999999" stroke-dasharray="3 2""##, "not recorded")) }
        var out: [String] = [], x = margin, y = top
        for item in items {
            let itemWidth = 16 + SVG.textWidth(item.label) + 22
            if x + itemWidth > width - margin, x > margin {
                x = margin
                y += 22
            }
            out.append(#"<rect x="\#(SVG.number(x))" y="\#(SVG.number(y))" width="14" height="14" \#(item.swatch)/>"#)
            out.append(SVG.text(item.label, x: x + 19, y: y + 12))
            x += itemWidth
        }
        return (out, y + 14)
    }
}
