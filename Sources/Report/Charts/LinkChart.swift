import PipeLabStore
import PipeLabExperiment
import PipeLabKernel

/// The first failing send against the network, for one peer (the classic close where the network
/// changes it, else the peer whose runs it changes most): one column per
/// (transport, rtt, interval, loss) of the sweep, a dot for every count of runs whose first failing send was that one (its area
/// grows with the runs), from send 1 at the bottom to "none failed" at the top. Over a link every
/// send made while the RST is still on its way succeeds, so the dots climb with the round trip
/// and fall with the interval between sends. Drawn when the sweep has more than one network.
public enum LinkChart {
    package static let margin = 16.0, left = 150.0, rowHeight = 22.0, columnWidth = 64.0

    public static func svg(_ data: ChartData) -> String? {
        guard uniqued(data.linkGroups.map(\.scenario.network)).count > 1, let peer = drawnPeer(data.linkGroups) else { return nil }
        var data = data
        data.linkGroups = data.linkGroups.filter { $0.scenario.peer == peer }
        let groups = data.linkGroups
        let columns = uniqued(groups.map { Column(transport: $0.scenario.transport, network: $0.scenario.network) })
            .sorted { ($0.transport.position, $0.network.rttNs, $0.network.lossBasisPoints, $0.network.intervalNs)
                    < ($1.transport.position, $1.network.rttNs, $1.network.lossBasisPoints, $1.network.intervalNs) }
        let maxSends = groups.map(\.scenario.sends).max() ?? 1
        let rows = maxSends + 1  // sends 1…max, then "none failed"
        let plotTop = 70.0, plotHeight = Double(rows) * rowHeight
        let width = min(SVG.columnWidth, left + Double(columns.count) * columnWidth + margin)
        let step = (width - left - margin) / Double(max(columns.count, 1))
        var body = [
            SVG.text("First failing send by network: \(data.sweep.name)", x: margin, y: 24, size: 16, bold: true),
            SVG.text("\(groups.reduce(0) { $0 + $1.runs }) runs; a dot's area grows with its runs", x: margin, y: 44),
        ]
        for row in 0..<rows {
            let y = plotTop + plotHeight - (Double(row) + 0.5) * rowHeight
            let label = row == maxSends ? "none failed" : "send #\(row + 1)"
            body.append(SVG.text(label, x: left - 10, y: y + 4, anchor: .end))
            body.append(SVG.line(x1: left, y1: y, x2: width - margin, y2: y, stroke: "#e0e0e0"))
        }
        var labelBottom = plotTop + plotHeight
        let crowded = columns.contains { column in
            ([column.transport.rawValue] + column.lines).contains { SVG.textWidth($0) > step - 6 }
        }
        for (index, column) in columns.enumerated() {
            let x = left + (Double(index) + 0.5) * step
            let here = groups.filter { Column(transport: $0.scenario.transport, network: $0.scenario.network) == column }
            let total = here.reduce(0) { $0 + $1.runs }
            var byRow: [Int: Int] = [:]
            for group in here { byRow[(group.firstFailingSend ?? (maxSends + 1)) - 1, default: 0] += group.runs }
            for (row, runs) in byRow.sorted(by: { $0.key < $1.key }) {
                let y = plotTop + plotHeight - (Double(row) + 0.5) * rowHeight
                let radius = 3 + 6 * (Double(runs) / Double(max(total, 1))).squareRoot()
                let title = SVG.escape("\(column.label): \(runs) of \(total) runs")
                body.append("<circle cx=\"\(SVG.number(x))\" cy=\"\(SVG.number(y))\" r=\"\(SVG.number(radius))\" fill=\"#4477aa\"><title>\(title)</title></circle>")
            }
            let lines = [column.transport.rawValue] + column.lines
            if crowded {
                // Too narrow for the lines side by side: one slanted label a column.
                let text = lines.joined(separator: " "), y = plotTop + plotHeight + 14
                body.append(SVG.text(text, x: x + 4, y: y, anchor: .end, rotate: -35))
                labelBottom = max(labelBottom, y + SVG.textWidth(text) * 0.58)
            } else {
                for (offset, line) in lines.enumerated() {
                    let y = plotTop + plotHeight + 18 + Double(offset) * 15
                    body.append(SVG.text(line, x: x, y: y, anchor: .middle))
                    labelBottom = max(labelBottom, y)
                }
            }
        }
        let caption = SVG.paragraphs([
            "Each column is one transport over one network: the round trip of the emulated link (rtt), its loss, and the pause between the client's later sends (every); "
                + "runs of peer \(peer.rawValue), pooled over " + data.linkPooled + ". A dot sits at the first send that did not write all its bytes, or at the top when none failed; runs the machine disturbed are left out.",
        ], x: margin, y: labelBottom + 24, width: width - 2 * margin)
        body += caption.elements
        return SVG.document(width: width, height: caption.end, body: body)
    }

    /// The peer whose runs the chart draws: the classic close where the network changes where a
    /// twentieth of its runs or more fail first, else the peer whose runs it changes most (close
    /// on a tie, as where it changes none); nil without runs. How much the network changes a peer's
    /// runs: the largest share of runs that two columns of one transport place at different first
    /// failing sends (half the sum of the differences of their shares).
    package static func drawnPeer(_ groups: [LinkGroup]) -> PeerAction? {
        let peers = uniqued(groups.map(\.scenario.peer)).sorted { $0.position < $1.position }
        func change(_ peer: PeerAction) -> Double {
            var byColumn: [Column: [Int: Int]] = [:]
            for group in groups where group.scenario.peer == peer {
                byColumn[Column(transport: group.scenario.transport, network: group.scenario.network), default: [:]][group.firstFailingSend ?? 0, default: 0] += group.runs
            }
            let shares = byColumn.map { column, runs in
                let total = Double(max(1, runs.values.reduce(0, +)))
                return (column.transport, runs.mapValues { Double($0) / total })
            }
            var most = 0.0
            for (transport, a) in shares {
                for (other, b) in shares where other == transport {
                    most = max(most, Set(a.keys).union(b.keys).reduce(0) { $0 + abs((a[$1] ?? 0) - (b[$1] ?? 0)) } / 2)
                }
            }
            return most
        }
        // Close first, so that it is kept on a tie; then the grid's order.
        let changes = (peers.filter { $0 == .close } + peers.filter { $0 != .close }).map { (peer: $0, change: change($0)) }
        if let close = changes.first, close.peer == .close, close.change >= 0.05 { return .close }
        var drawn: (peer: PeerAction, change: Double)?
        for candidate in changes where drawn.map({ candidate.change > $0.change }) ?? true { drawn = candidate }
        return drawn?.peer
    }

    package struct Column: Hashable {
        package var transport: Transport
        package var network: NetworkCell

        /// `rtt 20ms`, `every 5ms`, … one a line; `loopback` for the plain network.
        package var lines: [String] {
            network.label.components(separatedBy: " every ").enumerated().map { $0.offset == 0 ? $0.element : "every " + $0.element }
        }
        package var label: String { transport.rawValue + " " + network.label }
    }
}
