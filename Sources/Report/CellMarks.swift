import PipeLabExperiment
import PipeLabStore

/// What every view draws for a cell of a sweep: its runs, or why it has none. A cell the grid asked
/// for that cannot exist is marked as such, with its reason; one the grid had but no run of it is
/// recorded is missing (the sweep was interrupted before it); a cell the grid never had is not
/// drawn at all. The terminal matrix, the heatmap and the report use the same marks and words.
package struct CellMarks: Sendable {
    package enum Mark: Equatable, Sendable {
        case ran
        case missing
        case impossible(String)
        case outside
    }

    /// The terminal's symbols, and what the legends of every view say they mean.
    package static let impossibleSymbol = "·", missingSymbol = "-"
    package static let impossibleMeaning = "cannot exist, not run"
    package static let missingMeaning = "no run recorded: the sweep was interrupted before it"

    private let spec: SweepSpec?
    private let recorded: Set<Scenario>
    private let interrupted: Bool

    /// `recorded`: the cells with runs. A sweep whose stored spec does not parse marks nothing but them.
    package init(spec: SweepSpec?, status: SweepStatus, recorded: some Sequence<Scenario>) {
        self.spec = spec
        self.recorded = Set(recorded)
        interrupted = status != .completed
    }

    package init(_ sweep: SweepRecord, recorded: some Sequence<Scenario>) {
        self.init(spec: SweepSpec.stored(sweep.spec), status: sweep.status, recorded: recorded)
    }

    package func mark(_ cell: Scenario) -> Mark {
        if recorded.contains(cell) { return .ran }
        switch spec?.place(of: cell) ?? .outside {
        case .cell: return interrupted ? .missing : .outside
        case .impossible(let reason): return .impossible(reason)
        case .outside: return .outside
        }
    }

    /// Grids up to this many cells are laid out whole; a larger one shows the cells with runs only.
    package static let layoutLimit = 100_000

    /// The cells of the grid that have no run: missing ones and, with `impossible`, those that
    /// cannot exist. A view lays them out beside the recorded ones.
    package func unrecorded(impossible: Bool) -> [Scenario] {
        guard let spec else { return [] }
        let grid = Grid(spec)
        guard grid.cells.count + grid.skippedCellCount <= Self.layoutLimit else { return [] }
        var cells = interrupted ? grid.cells.filter { !recorded.contains($0) } : []
        guard impossible else { return cells }
        // Each combination that cannot exist, over the per-cell dimensions' values it would have had.
        for skipped in grid.skipped {
            cells += Dimensions.all.filter { $0.gridLevel == .cell }.reduce([skipped.combination]) { partial, dimension in
                let values = dimension.name == Dimensions.sleep.name
                    ? spec.sleeps(for: skipped.combination.probe, network: skipped.combination.network).map { DimensionValue.number($0) }
                    : spec[dimension]
                return partial.flatMap { cell in
                    values.map { value in
                        var next = cell
                        dimension.set(value, in: &next)
                        return next
                    }
                }
            }
        }
        return cells
    }
}
