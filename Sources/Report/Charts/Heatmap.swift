import PipeLabStore
import PipeLabExperiment

/// The grid as a heatmap: one panel per transport, one row per (peer, sigpipe), one column per
/// (sends, payload, sleep); each square coloured by what happened to the first failing call of
/// its runs, split into stripes where the repeats disagree.
public enum Heatmap {
    /// The squares to draw, derived from the recorded runs and the skipped combinations.
    package struct Model {
        package struct Column: Hashable { var sends: Int, payloadBytes: Int64, sleepNs: Int64 }
        package struct Row: Hashable { var peer: PeerAction, sigpipe: SigpipeMode }
        /// Runs of a cell whose first failure is of one kind at one send.
        package struct Share: Equatable { var kind: FirstFailure, send: Int?, runs: Int }

        package var transports: [Transport] = []
        package var rows: [Row] = []
        package var columns: [Column] = []
        package var shares: [Scenario: [Share]] = [:]
        package var inapplicable = Set<[String]>()

        package init(groups: [RunGroup], skipped: [SkippedCombination]) {
            let scenarios = groups.map(\.scenario)
            let skippedKeys = skipped.map { ($0.transport, $0.peer, $0.sigpipe) }
            transports = Transport.allCases.filter { t in scenarios.contains { $0.transport == t } || skippedKeys.contains { $0.0 == t } }
            let peers = PeerAction.allCases.filter { p in scenarios.contains { $0.peer == p } || skippedKeys.contains { $0.1 == p } }
            let sigpipes = SigpipeMode.allCases.filter { m in scenarios.contains { $0.sigpipe == m } || skippedKeys.contains { $0.2 == m } }
            rows = peers.flatMap { peer in sigpipes.map { Row(peer: peer, sigpipe: $0) } }
            columns = Set(scenarios.map { Column(sends: $0.sends, payloadBytes: $0.payloadBytes, sleepNs: $0.sleepNs) })
                .sorted { ($0.sends, $0.payloadBytes, $0.sleepNs) < ($1.sends, $1.payloadBytes, $1.sleepNs) }
            inapplicable = Set(skipped.map { [$0.transport.rawValue, $0.peer.rawValue, $0.sigpipe.rawValue] })
            for group in groups {
                let kind = FirstFailure.of(group)
                let send = kind == .noneFailed || kind == .otherEnd ? nil : group.firstFailingSend
                var cell = shares[group.scenario, default: []]
                if let index = cell.firstIndex(where: { $0.kind == kind && $0.send == send }) {
                    cell[index].runs += group.runs
                } else {
                    cell.append(Share(kind: kind, send: send, runs: group.runs))
                }
                shares[group.scenario] = cell.sorted { ($0.kind, $0.send ?? 0) < ($1.kind, $1.send ?? 0) }
            }
        }

        package func isInapplicable(_ transport: Transport, _ row: Row) -> Bool {
            inapplicable.contains([transport.rawValue, row.peer.rawValue, row.sigpipe.rawValue])
        }

        package func scenario(_ transport: Transport, _ row: Row, _ column: Column) -> Scenario {
            Scenario(transport: transport, peer: row.peer, sigpipe: row.sigpipe, sleepNs: column.sleepNs,
                     sends: column.sends, payloadBytes: column.payloadBytes)
        }

        package var kindsPresent: [FirstFailure] { Set(shares.values.flatMap { $0.map(\.kind) }).sorted() }
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
        let model = Model(groups: data.runGroups, skipped: data.skipped)
        let sends = Set(model.columns.map(\.sends)), sleeps = Set(model.columns.map(\.sleepNs)).sorted()
        let groupLabel = { (c: Model.Column) in sends.count > 1 ? "\(c.sends) × \(SizeText.label(c.payloadBytes))" : SizeText.label(c.payloadBytes) }
        let sleepLabels = sleeps.map(DurationText.format)

        // Row labels on the left: the peer, then the sigpipe disposition beside the squares.
        let peerWidth = model.rows.map { SVG.textWidth($0.peer.rawValue) }.max() ?? 0
        let sigpipeWidth = model.rows.map { SVG.textWidth($0.sigpipe.rawValue) }.max() ?? 0
        let labelsRight = margin + peerWidth + 10 + sigpipeWidth + 6
        let gridLeft = labelsRight + 4
        // The largest square that fits every panel on one line, or wrap the panels at 14 px.
        let columnCount = Double(max(model.columns.count, 1)), facetCount = Double(max(model.transports.count, 1))
        let widestGroupLabel = model.columns.map { SVG.textWidth(groupLabel($0)) + 4 }.max() ?? 0
        let fitting = ((SVG.columnWidth - gridLeft - margin) - (facetCount - 1) * facetGap) / (facetCount * columnCount)
        let cell = min(34, max(14, fitting.rounded(.down), (widestGroupLabel / Double(max(sleeps.count, 1))).rounded(.up)))
        let facetWidth = columnCount * cell
        let perLine = max(1, Int((SVG.columnWidth - gridLeft - margin + facetGap) / (facetWidth + facetGap)))
        let rotateSleeps = sleepLabels.contains { SVG.textWidth($0) > cell - 2 }
        let sleepLabelHeight = rotateSleeps ? (sleepLabels.map { SVG.textWidth($0) }.max() ?? 0) + 6 : 16
        let peerCount = Set(model.rows.map(\.peer)).count
        let gridHeight = Double(model.rows.count) * cell + Double(max(peerCount - 1, 0)) * peerGap
        let headerHeight = 18 + 18 + sleepLabelHeight
        let lineHeight = headerHeight + gridHeight + 28

        let runs = data.runGroups.reduce(0) { $0 + $1.runs }
        let cellRuns = model.shares.values.map { $0.reduce(0) { $0 + $1.runs } }
        var body = [
            SVG.text("What happened to the first failing send: \(data.sweep.name)", x: margin, y: 24, size: 16, bold: true),
            SVG.text(subtitle(runs: runs, cells: model.shares.count, cellRuns: cellRuns, sends: sends.sorted())
                        + (data.probes.count > 1 ? "; probe \(data.runGroups.first?.scenario.probe.rawValue ?? "none") only" : ""), x: margin, y: 44),
        ]
        let lines = stride(from: 0, to: model.transports.count, by: perLine).map { Array(model.transports[$0..<min($0 + perLine, model.transports.count)]) }
        var top = 60.0
        for transports in lines {
            body += rowLabels(model, top: top + headerHeight, cell: cell, peerX: margin, sigpipeX: labelsRight)
            for (index, transport) in transports.enumerated() {
                let left = gridLeft + Double(index) * (facetWidth + facetGap)
                body.append(SVG.text(transport.rawValue, x: left + facetWidth / 2, y: top + 14, size: 14, anchor: .middle, bold: true))
                body += columnLabels(model, left: left, top: top + 18, cell: cell, groupLabel: groupLabel, rotate: rotateSleeps,
                                     sleepLabelHeight: sleepLabelHeight)
                body += squares(model, transport, left: left, top: top + headerHeight, cell: cell)
            }
            body.append(SVG.text("columns: payload, then sleep after the first send →", x: gridLeft, y: top + headerHeight + gridHeight + 18, fill: "#333333"))
            top += lineHeight
        }
        let width = max(gridLeft + Double(min(perLine, model.transports.count)) * (facetWidth + facetGap) - facetGap + margin, 720)
        let (legendElements, legendEnd) = legend(model, top: top + 4, width: width)
        body += legendElements
        let caption = SVG.paragraphs([
            "A square's colour says how the first send that did not write all its bytes ended; the number on it is that send (1-based), "
                + "shown where all runs of the cell agree on it. Where the runs of a cell ended differently, the square is split into "
                + "stripes, each as wide as its share of the runs (at least 3 px, so that a rare outcome still shows). "
                + "Runs the machine disturbed (a late peer or pause) are left out, as in the report's verdicts.",
        ], x: margin, y: legendEnd + 20, width: width - 2 * margin)
        body += caption.elements
        return SVG.document(width: width, height: caption.end, defs: [hatch], body: body)
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

    package static func columnLabels(_ model: Model, left: Double, top: Double, cell: Double, groupLabel: (Model.Column) -> String,
                             rotate: Bool, sleepLabelHeight: Double) -> [String] {
        var out: [String] = []
        for (index, column) in model.columns.enumerated() {
            let x = left + Double(index) * cell
            if index == 0 || groupLabel(model.columns[index - 1]) != groupLabel(column) {
                let span = Double(model.columns.dropFirst(index).prefix { groupLabel($0) == groupLabel(column) }.count) * cell
                out.append(SVG.text(groupLabel(column), x: x + span / 2, y: top + 13, anchor: .middle))
                out.append(SVG.line(x1: x + 1, y1: top + 17, x2: x + span - 1, y2: top + 17, stroke: "#999999"))
            }
            let label = DurationText.format(column.sleepNs)
            if rotate {
                out.append(SVG.text(label, x: x + cell / 2 + 4, y: top + 18 + sleepLabelHeight - 2, rotate: -90))
            } else {
                out.append(SVG.text(label, x: x + cell / 2, y: top + 18 + 13, anchor: .middle))
            }
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
            share.kind.label + (share.send.map { " at send \($0)" } ?? "") + (shares.count > 1 || total > 1 ? " in \(share.runs)" : "")
        }.joined(separator: ", ") + " of \(total) run\(total == 1 ? "" : "s")"
        var parts: [String] = []
        var stripeX = x
        let kinds = FirstFailure.allCases.map { kind in (kind, shares.filter { $0.kind == kind }.reduce(0) { $0 + $1.runs }) }.filter { $0.1 > 0 }
        for (kind, width) in zip(kinds.map(\.0), stripeWidths(kinds.map(\.1), size: size)) {
            parts.append(SVG.rect(x: stripeX, y: y, width: width, height: size, fill: kind.color))
            stripeX += width
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

    package static func legend(_ model: Model, top: Double, width: Double) -> (elements: [String], end: Double) {
        var items: [(swatch: String, label: String)] = model.kindsPresent.map { kind in
            (#"fill="\#(kind.color)""#, kind.label)
        }
        if !model.inapplicable.isEmpty { items.append((#"fill="url(#inapplicable)""#, "cannot exist (not run)")) }
        if model.hasMissingCells { items.append((##"fill="white" stroke="#999999" stroke-dasharray="3 2""##, "not recorded")) }
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
