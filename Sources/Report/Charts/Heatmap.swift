import PipeLabStore
import PipeLabExperiment

/// The grid as a heatmap, laid out by `Axes`: one facet per combination of the facet dimensions
/// (probe, interval, rtt, loss, …) the sweep has, in it one panel per transport, one row per (peer,
/// sigpipe), one column per (sends, payload, sleep); each square coloured by what happened to the
/// first failing call of its runs, split into stripes where the repeats disagree, with a band in the
/// colour of death where SIGPIPE then killed the process. A real program's runs are drawn by what
/// its runtime told it where that differs from its system calls (a runtime that fails a send
/// itself), marked with a white corner. A square without runs carries CellMarks' mark (cannot
/// exist, missing); one the grid never had is not drawn.
public enum Heatmap {
    /// The squares to draw, derived from the recorded runs and the sweep's grid.
    package struct Model {
        /// Runs of a cell whose first failure is of one kind at one send, and the send SIGPIPE
        /// killed the process in afterwards (nil: it did not, or it was that first failure).
        /// `told`: a real program's, what its runtime told it, where its system calls say `calls`.
        package struct Share: Equatable {
            var kind: FirstFailure, send: Int?, killedAt: Int? = nil, runs: Int
            var told: (error: String, calls: String)? = nil

            package static func == (a: Share, b: Share) -> Bool {
                (a.kind, a.send, a.killedAt, a.runs) == (b.kind, b.send, b.killedAt, b.runs) && a.told?.error == b.told?.error && a.told?.calls == b.told?.calls
            }
        }

        package var facet: CellPart
        package var panels: [CellPart] = []
        package var rows: [CellPart] = []
        package var columns: [CellPart] = []
        package var shares: [Scenario: [Share]] = [:]
        package var marks: CellMarks

        /// The facets of the cells laid out, in the table's order; the first is probe none on plain loopback.
        package static func facets(_ cells: [Scenario]) -> [CellPart] {
            CellPart.sorted(uniqued(cells.map { CellPart($0, on: Axes.facets) }), on: Axes.facets)
        }

        /// The cells a heatmap lays out: those with runs, and the grid's cells without (missing, or
        /// cannot exist).
        package static func laidOut(_ groups: [RunGroup], marks: CellMarks) -> [Scenario] {
            uniqued(groups.map(\.scenario)) + marks.unrecorded(impossible: true)
        }

        /// `facet`: the facet drawn (the first by default). Panels and columns are those of the facet's
        /// cells that ran or are missing; rows are those of every cell laid out, so that facets line up.
        package init(groups allGroups: [RunGroup], marks: CellMarks, facet: CellPart? = nil, told allTold: [ToldFailure] = []) {
            let cells = Self.laidOut(allGroups, marks: marks)
            let facet = facet ?? Self.facets(cells).first ?? CellPart(.classic, on: Axes.facets)
            (self.facet, self.marks) = (facet, marks)
            let groups = allGroups.filter { CellPart($0.scenario, on: Axes.facets) == facet }
            let drawn = cells.filter { cell in
                guard CellPart(cell, on: Axes.facets) == facet else { return false }
                switch marks.mark(cell) {
                case .ran, .missing: return true
                case .impossible, .outside: return false
                }
            }
            panels = CellPart.sorted(uniqued(drawn.map { CellPart($0, on: Axes.panel) }), on: Axes.panel)
            rows = CellPart.sorted(uniqued(cells.map { CellPart($0, on: Axes.heatmapRows) }), on: Axes.heatmapRows)
            columns = CellPart.sorted(uniqued(drawn.map { CellPart($0, on: Axes.heatmapColumns) }), on: Axes.heatmapColumns)
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
            for told in allTold where CellPart(told.group.scenario, on: Axes.facets) == facet { tell(told) }
        }

        /// Moves runs of a real program from what its system calls show to what it was told.
        private mutating func tell(_ told: ToldFailure) {
            let group = told.group
            let kind = FirstFailure.of(group)
            let send = kind == .noneFailed || kind == .otherEnd ? nil : group.firstFailingSend
            guard var cell = shares[group.scenario],
                  let from = cell.firstIndex(where: { $0.kind == kind && $0.send == send && $0.told == nil && $0.runs >= group.runs }) else { return }
            cell[from].runs -= group.runs
            let calls = kind.label + (send.map { " at send \($0)" } ?? "")
            let share = Share(kind: FirstFailure.told(told.errnoName), send: told.send, runs: group.runs, told: (told.error, calls))
            if let same = cell.firstIndex(where: { $0.kind == share.kind && $0.send == share.send && $0.told?.error == told.error && $0.told?.calls == calls }) {
                cell[same].runs += group.runs
            } else {
                cell.append(share)
            }
            shares[group.scenario] = cell.filter { $0.runs > 0 }.sorted { ($0.kind, $0.send ?? 0) < ($1.kind, $1.send ?? 0) }
        }

        package func scenario(_ panel: CellPart, _ row: CellPart, _ column: CellPart) -> Scenario {
            let cell = column.applied(to: facet.cell, on: Axes.heatmapColumns)
            return panel.applied(to: row.applied(to: cell, on: Axes.heatmapRows), on: Axes.panel)
        }

        /// The mark of every square drawn.
        package var squareMarks: [CellMarks.Mark] {
            panels.flatMap { p in rows.flatMap { r in columns.map { marks.mark(scenario(p, r, $0)) } } }
        }

        package var kindsPresent: [FirstFailure] { Set(shares.values.flatMap { $0.map(\.kind) }).sorted() }
        package var killedLater: Bool { shares.values.contains { $0.contains { $0.killedAt != nil } } }
        package var hasTold: Bool { shares.values.contains { $0.contains { $0.told != nil } } }
    }

    package static let margin = 16.0, facetGap = 20.0, peerGap = 6.0
    package static let hatch = """
        <pattern id="inapplicable" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">\
        <rect width="6" height="6" fill="#f2f2f2"/><line x1="0" y1="0" x2="0" y2="6" stroke="#aaaaaa" stroke-width="2"/></pattern>
        """

    public static func svg(_ data: ChartData) -> String {
        let marks = CellMarks(data.sweep, recorded: data.runGroups.map(\.scenario))
        let cells = Model.laidOut(data.runGroups, marks: marks)
        let facets = Model.facets(cells).filter { facet in
            cells.contains { CellPart($0, on: Axes.facets) == facet && [.ran, .missing].contains(marks.mark($0)) }
        }
        let models = (facets.isEmpty ? [nil] : facets.map { Optional($0) })
            .map { Model(groups: data.runGroups, marks: marks, facet: $0, told: data.toldFailures) }
        let all = Model(groups: data.runGroups, marks: marks)
        let titled = facetTitles(facets)
        let grouping = columnGroups(models.flatMap { $0.columns.map(\.cell) })
        let groupLabel = { (c: CellPart) in grouping.map { $0.format($0.value(of: c.cell)) }.joined(separator: " × ") }
        let sends = Set(data.runGroups.map(\.scenario.sends))

        // Row labels on the left of each facet: the peer, then the sigpipe disposition beside the squares.
        let peerWidth = all.rows.map { SVG.textWidth(rowGroup($0)) }.max() ?? 0
        let sigpipeWidth = all.rows.map { SVG.textWidth(rowLabel($0)) }.max() ?? 0
        let labelsWidth = peerWidth + 10 + sigpipeWidth + 10
        // The first facet's squares: the largest with which its transports fit on one line.
        let transports = Double(max(models.first?.panels.count ?? 1, 1))
        let widest = Double(max(models.first?.columns.count ?? 1, 1))
        let fitting = ((SVG.columnWidth - margin - labelsWidth - margin) - (transports - 1) * facetGap) / (transports * widest)
        let peerCount = Set(all.rows.map(rowGroup)).count
        // A facet's panels side by side (as many as fit on a line), and its title over them.
        let panelsWidth = { (model: Model, g: (cell: Double, gap: Double)) -> Double in
            let panel = Double(max(model.columns.count, 1)) * g.cell
            let perLine = max(1, Int((SVG.columnWidth - margin - labelsWidth - margin + g.gap) / (panel + g.gap)))
            return Double(min(perLine, max(model.panels.count, 1))) * (panel + g.gap) - g.gap
        }
        let title = { (index: Int, model: Model, g: (cell: Double, gap: Double)) -> [String] in
            guard facets.count > 1 else { return [] }
            let text = titled[model.facet] ?? ""
            return index == 0 ? [text] : HeatmapGeometry.titleLines(text, over: panelsWidth(model, g), size: HeatmapGeometry.secondaryTitleSize)
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
            SVG.text(subtitle(runs: runs, cells: cellRuns.count, cellRuns: cellRuns, sends: sends.sorted(), grouped: grouping)
                     + (facets.count > 1 ? "; one block per " + Plural.list(Axes.varying(Axes.facets, in: facets.map(\.cell)).map(\.name)) : ""),
                     x: margin, y: 44),
        ]
        // Each facet a block: its transports side by side (wrapped when too wide); blocks packed into bands.
        var top = 60.0, x = margin, bandHeight = 0.0, widthUsed = 0.0
        for (index, model) in models.enumerated() {
            let g = index == 0 ? first : rest
            let facetWidth = Double(max(model.columns.count, 1)) * g.cell
            let perLine = max(1, Int((SVG.columnWidth - margin - labelsWidth - margin + g.panelGap) / (facetWidth + g.panelGap)))
            let lines = stride(from: 0, to: model.panels.count, by: perLine).map { Array(model.panels[$0..<min($0 + perLine, model.panels.count)]) }
            // Only the first block of a band carries the row labels: the rows are the same in every facet.
            let titleSize = index == 0 ? HeatmapGeometry.titleSize : HeatmapGeometry.secondaryTitleSize
            let titleLines = title(index, model, (g.cell, g.panelGap))
            let titleWidth = titleLines.map { SVG.textWidth($0, size: titleSize) }.max() ?? 0
            let panelsWidth = max(panelsWidth(model, (g.cell, g.panelGap)), titleWidth)
            // The first facet has a band of its own: the others' squares are smaller.
            if x > margin && (index == 1 || x + panelsWidth > SVG.columnWidth - margin) {
                top += bandHeight
                (x, bandHeight) = (margin, 0)
            }
            let labelled = x == margin
            let blockWidth = (labelled ? labelsWidth : 0) + panelsWidth
            var lineTop = top
            for (line, text) in titleLines.enumerated() {
                body.append(SVG.text(text, x: x + (labelled ? labelsWidth : 0), y: lineTop + 15 + 14 * Double(line), size: titleSize, bold: true, fill: "#333333"))
            }
            for line in lines {
                let gridLeft = x + (labelled ? labelsWidth : 0)
                if labelled { body += rowLabels(model, top: lineTop + g.headerHeight, cell: g.cell, peerX: x, sigpipeX: gridLeft - 4) }
                for (index, panel) in line.enumerated() {
                    let left = gridLeft + Double(index) * (facetWidth + g.panelGap)
                    body.append(SVG.text(Axes.panel.map { $0.format($0.value(of: panel.cell)) }.joined(separator: " "), x: left + facetWidth / 2, y: lineTop + g.titleHeight + 14, size: 14, anchor: .middle, bold: true))
                    body += columnLabels(model, left: left, top: lineTop + g.titleHeight + 18, geometry: g, groupLabel: groupLabel)
                    body += squares(model, panel, left: left, top: lineTop + g.headerHeight, cell: g.cell)
                }
                lineTop += g.blockHeight
            }
            x += blockWidth + facetGap
            widthUsed = max(widthUsed, x - facetGap)
            bandHeight = max(bandHeight, lineTop - top)
        }
        top += bandHeight
        body.append(SVG.text("columns: " + (grouping.map(\.axisLabel) + [Dimensions.sleep.axisLabel]).joined(separator: ", then ") + " →",
                             x: margin, y: top - 8, fill: "#333333"))
        let width = max(widthUsed + margin, 720)
        let (legendElements, legendEnd) = legend(models, top: top + 8, width: width)
        body += legendElements
        let caption = SVG.paragraphs([
            "A square's colour says how the first send that did not write all its bytes ended; the number on it is that send (1-based), "
                + "shown where all runs of the cell agree on it. A band in the colour of SIGPIPE's death along a square's foot: "
                + "the process went on after that failure and SIGPIPE killed it at a later send (the square's tooltip names it). "
                + "Where the runs of a cell ended differently, the square is split into "
                + "stripes, each as wide as its share of the runs (at least 3 px, so that a rare outcome still shows). "
                + "Runs the machine disturbed (a late peer or pause) are left out, as in the report's verdicts; a cell with no other runs is drawn from them."
                + (models.contains(where: \.hasTold) ? " " + toldCaption : ""),
        ], x: margin, y: legendEnd + 20, width: width - 2 * margin)
        body += caption.elements
        return SVG.document(width: width, height: caption.end, defs: [hatch], body: body)
    }

    /// Each facet's title: the facet dimensions that vary among them, named, those at their run
    /// default left out where another is not (`probe recv`, `rtt 20ms`, `probe none · rtt 0`); two
    /// facets differ in some dimension, which the title of one of them at least names.
    package static func facetTitles(_ facets: [CellPart]) -> [CellPart: String] {
        let varying = Axes.varying(Axes.facets, in: facets.map(\.cell))
        return Dictionary(uniqueKeysWithValues: facets.map { facet in
            let set = varying.filter { $0.value(of: facet.cell) != $0.runDefault }
            return (facet, Axes.named(facet.cell, set.isEmpty ? varying : set))
        })
    }

    /// The per-cell dimensions but the sleep that group the columns: those that vary, else the last (payload).
    package static func columnGroups(_ columns: [Scenario]) -> [ScenarioDimension] {
        let candidates = Axes.heatmapColumns.filter { $0.name != Dimensions.sleep.name }
        let varying = Axes.varying(candidates, in: columns)
        return varying.isEmpty ? Array(candidates.suffix(1)) : varying
    }

    package static func subtitle(runs: Int, cells: Int, cellRuns: [Int], sends: [Int], grouped: [ScenarioDimension]) -> String {
        let low = cellRuns.min() ?? 0, high = cellRuns.max() ?? 0
        let perCell = low == high ? "\(low)" : "\(low) to \(high)"
        let sendText = sends.count == 1 ? "; \(sends[0]) send\(sends[0] == 1 ? "" : "s") per run"
            : "; columns grouped by " + grouped.map(\.name).joined(separator: " × ")
        return "\(runs) runs in \(cells) cells, \(perCell) per cell\(sendText)"
    }

    /// A row's group (bold, the peer) and its label beside the squares (the sigpipe disposition).
    package static func rowGroup(_ row: CellPart) -> String {
        Axes.heatmapRows.prefix(1).map { $0.format($0.value(of: row.cell)) }.joined(separator: " ")
    }

    package static func rowLabel(_ row: CellPart) -> String {
        Axes.heatmapRows.dropFirst().map { $0.format($0.value(of: row.cell)) }.joined(separator: " ")
    }

    package static func rowLabels(_ model: Model, top: Double, cell: Double, peerX: Double, sigpipeX: Double) -> [String] {
        var out: [String] = [], y = top
        for (index, row) in model.rows.enumerated() {
            if index > 0, rowGroup(model.rows[index - 1]) != rowGroup(row) { y += peerGap }
            if index == 0 || rowGroup(model.rows[index - 1]) != rowGroup(row) {
                let groupRows = Double(model.rows.filter { rowGroup($0) == rowGroup(row) }.count)
                out.append(SVG.text(rowGroup(row), x: peerX, y: y + groupRows * cell / 2 + 4, bold: true))
            }
            out.append(SVG.text(rowLabel(row), x: sigpipeX, y: y + cell / 2 + 4, anchor: .end))
            y += cell
        }
        return out
    }

    /// Each column group's label (the payload) and the columns it spans, left to right.
    package static func groupSpans(_ model: Model, _ groupLabel: (CellPart) -> String) -> [(label: String, span: Int)] {
        var spans: [(label: String, span: Int)] = []
        for column in model.columns {
            let label = groupLabel(column)
            if spans.last?.label == label { spans[spans.count - 1].span += 1 } else { spans.append((label, 1)) }
        }
        return spans
    }

    package static func columnLabels(_ model: Model, left: Double, top: Double, geometry g: HeatmapGeometry,
                                     groupLabel: (CellPart) -> String) -> [String] {
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

    /// The facet's squares in one panel: each cell with runs in its colours, a missing one dashed,
    /// one that cannot exist hatched (its tooltip says why); a cell the grid never had is left empty.
    package static func squares(_ model: Model, _ panel: CellPart, left: Double, top: Double, cell: Double) -> [String] {
        var out: [String] = [], y = top
        for (rowIndex, row) in model.rows.enumerated() {
            if rowIndex > 0, rowGroup(model.rows[rowIndex - 1]) != rowGroup(row) { y += peerGap }
            for (index, column) in model.columns.enumerated() {
                let x = left + Double(index) * cell + 1, size = cell - 2
                let scenario = model.scenario(panel, row, column)
                let name = scenario.label
                switch model.marks.mark(scenario) {
                case .ran:
                    guard let shares = model.shares[scenario] else { continue }
                    out.append(square(shares, name: name, x: x, y: y + 1, size: size))
                case .impossible(let reason):
                    out.append(titled("\(name): \(CellMarks.impossibleMeaning): \(reason)",
                                      [SVG.rect(x: x, y: y + 1, width: size, height: size, fill: "url(#inapplicable)")]))
                case .missing:
                    out.append(titled("\(name): \(CellMarks.missingMeaning)",
                                      [SVG.rect(x: x, y: y + 1, width: size, height: size, fill: "white", stroke: "#999999", dashed: true)]))
                case .outside:
                    continue
                }
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
                + (share.told.map { " as the program was told (\($0.error)); its system calls: \($0.calls)" } ?? "")
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
        if shares.contains(where: { $0.told != nil }) { parts.append(toldCorner(x: x, y: y, size: size)) }
        return titled(name + ": " + described, parts)
    }

    static let toldLabel = "white corner: what a real program was told, where its system calls differ"
    static let toldCaption = "A white corner: a real program's runs drawn by what its runtime told it at its first failing send, "
        + "where that differs from its system calls (strace's view, in the tooltip): a runtime can fail a send itself, without a system call, "
        + "or split one send into several calls."

    /// The white corner of a square whose runs include a real program's told failure.
    package static func toldCorner(x: Double, y: Double, size: Double) -> String {
        let side = max(6, size / 3)
        let d = "M\(SVG.number(x + size - side)) \(SVG.number(y))H\(SVG.number(x + size))V\(SVG.number(y + side))Z"
        return "<path d=\"\(d)\" fill=\"white\" stroke=\"#333333\" stroke-width=\"0.5\"/>"
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
        if models.contains(where: \.hasTold) {
            items.append(("fill=\"#dddddd\"", toldLabel))
        }
        if models.contains(where: \.killedLater) {
            items.append((#"fill="white" stroke="\#(FirstFailure.killedBySigpipe.color)" stroke-width="4""#, killedLaterLabel(models)))
        }
        let marks = models.flatMap(\.squareMarks)
        if marks.contains(where: { if case .impossible = $0 { true } else { false } }) {
            items.append((#"fill="url(#inapplicable)""#, CellMarks.impossibleMeaning + " (the tooltip says why)"))
        }
        if marks.contains(.missing) { items.append((##"fill="white" stroke="#999999" stroke-dasharray="3 2""##, CellMarks.missingMeaning)) }
        var out: [String] = [], x = margin, y = top
        for item in items {
            let itemWidth = 16 + SVG.textWidth(item.label) + 22
            if x + itemWidth > width - margin, x > margin {
                x = margin
                y += 22
            }
            out.append(#"<rect x="\#(SVG.number(x))" y="\#(SVG.number(y))" width="14" height="14" \#(item.swatch)/>"#)
            if item.label == toldLabel { out.append(toldCorner(x: x, y: y, size: 14)) }
            out.append(SVG.text(item.label, x: x + 19, y: y + 12))
            x += itemWidth
        }
        return (out, y + 14)
    }
}
