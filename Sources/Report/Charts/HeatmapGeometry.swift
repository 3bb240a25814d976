/// The sizes a heatmap facet is drawn at. The first facet (probe none on plain loopback, where the
/// report's answer is read) gets squares large enough for their send numbers; the others repeat the
/// rows once per probe and network, so they get smaller squares and narrower gaps between their
/// panels, and several share a band: the built-in grid's heatmap stays within two screens.
package struct HeatmapGeometry {
    package var cell: Double
    package var panelGap: Double
    package var titleHeight: Double
    /// Column group labels (the payload) and sleep labels turn upright where a column is too narrow for them.
    package var rotateGroups: Bool
    package var groupLabelHeight: Double
    package var rotateSleeps: Bool
    package var sleepLabelHeight: Double
    package var gridHeight: Double

    /// Above the squares: the facet's title, the panel's (the transport), the column groups, the sleeps.
    package var headerHeight: Double { titleHeight + 18 + groupLabelHeight + sleepLabelHeight }
    package var blockHeight: Double { headerHeight + gridHeight + 28 }

    /// The first facet's squares: the largest with which its panels fit side by side, within these.
    package static let largest = 20.0, smallest = 14.0
    /// The other facets' squares (the send number still fits in them) and the gap between their panels.
    package static let secondary = 16.0, secondaryGap = 8.0
    /// A facet's title: 14 px over the first, 12 px over the others.
    package static let titleSize = 14.0, secondaryTitleSize = 12.0

    /// A facet's title in lines: whole where it fits over the facet's panels, else a line per part.
    package static func titleLines(_ title: String, over width: Double, size: Double) -> [String] {
        SVG.textWidth(title, size: size) <= width ? [title] : title.components(separatedBy: " · ")
    }

    /// `groups`: each column group's label and the columns it spans, in the facets drawn at this size.
    /// `titleLines`: the most lines a facet's title takes (0: no titles).
    package init(cell: Double, panelGap: Double, titleLines: Int, rows: Int, peers: Int,
                 groups: [(label: String, span: Int)], sleeps: [String]) {
        self.cell = cell
        self.panelGap = panelGap
        titleHeight = titleLines == 0 ? 0 : 8 + 14 * Double(titleLines)
        rotateGroups = groups.contains { SVG.textWidth($0.label) > Double($0.span) * cell - 4 }
        groupLabelHeight = rotateGroups ? (groups.map { SVG.textWidth($0.label) }.max() ?? 0) + 8 : 18
        rotateSleeps = sleeps.contains { SVG.textWidth($0) > cell - 2 }
        sleepLabelHeight = rotateSleeps ? (sleeps.map { SVG.textWidth($0) }.max() ?? 0) + 6 : 16
        gridHeight = Double(rows) * cell + Double(max(peers - 1, 0)) * Heatmap.peerGap
    }
}
