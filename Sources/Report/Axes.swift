import PipeLabExperiment

/// Which dimensions of the table each view lays out where, derived from the table alone, so that a
/// new dimension gets an axis (and a label) in every view without an edit here. Rows are named by
/// the enumerated dimensions every cell label shows (transport, peer, sigpipe); the heatmap draws
/// the first of them as side-by-side panels. Columns are the others, the grid's per-cell dimensions
/// innermost and the sleep last, since a reader scans along it; the heatmap draws the per-cell ones
/// as its columns and makes a facet of each combination of the rest (probe, interval, rtt, loss, …).
package enum Axes {
    package static let rows = Dimensions.all.filter { $0.choices != nil && $0.labelForm == .always }
    package static let columns: [ScenarioDimension] = {
        let others = Dimensions.all.filter { dimension in !rows.contains { $0.name == dimension.name } }
        let perCell = others.filter { $0.gridLevel == .cell }
        return others.filter { $0.gridLevel == .combination } + perCell.filter { $0.name != Dimensions.sleep.name }
            + perCell.filter { $0.name == Dimensions.sleep.name }
    }()
    /// The heatmap's panels, its rows, its columns and its facets.
    package static let panel = Array(rows.prefix(1))
    package static let heatmapRows = Array(rows.dropFirst())
    package static let heatmapColumns = columns.filter { $0.gridLevel == .cell }
    package static let facets = columns.filter { $0.gridLevel == .combination }

    /// Of `dimensions`, those with more than one value among `cells`.
    package static func varying(_ dimensions: [ScenarioDimension], in cells: [Scenario]) -> [ScenarioDimension] {
        dimensions.filter { dimension in Set(cells.map(dimension.value(of:))).count > 1 }
    }

    /// `probe recv · rtt 20ms`: a cell's values on `dimensions`, each named.
    package static func named(_ cell: Scenario, _ dimensions: [ScenarioDimension], separator: String = " · ") -> String {
        dimensions.map { "\($0.name) \($0.format($0.value(of: cell)))" }.joined(separator: separator)
    }
}

/// A cell's values on some of the table's dimensions (a row, a column or a facet of a view); the
/// other dimensions hold the classic case's values. Its fields read as a scenario's (`row.transport`).
@dynamicMemberLookup
public struct CellPart: Hashable, Sendable {
    public let cell: Scenario

    package init(_ scenario: Scenario, on dimensions: [ScenarioDimension]) {
        var cell = Scenario.classic
        for dimension in dimensions { dimension.set(dimension.value(of: scenario), in: &cell) }
        self.cell = cell
    }

    public subscript<T>(dynamicMember path: KeyPath<Scenario, T>) -> T { cell[keyPath: path] }

    /// `scenario` with this part's values on `dimensions`.
    package func applied(to scenario: Scenario, on dimensions: [ScenarioDimension]) -> Scenario {
        var result = scenario
        for dimension in dimensions { dimension.set(dimension.value(of: cell), in: &result) }
        return result
    }

    /// The declared order of the values (a quantity by its size), for sorting parts.
    package func order(on dimensions: [ScenarioDimension]) -> [Int64] {
        dimensions.map { $0.order($0.value(of: cell)) }
    }

    package static func sorted(_ parts: [CellPart], on dimensions: [ScenarioDimension]) -> [CellPart] {
        parts.sorted { $0.order(on: dimensions).lexicographicallyPrecedes($1.order(on: dimensions)) }
    }
}
