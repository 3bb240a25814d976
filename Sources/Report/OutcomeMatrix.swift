import PipeLabStore
import PipeLabExperiment
import PipeLabKernel

/// Cells of a sweep arranged for display: rows are the cells' values on `Axes.rows` (transport,
/// peer, sigpipe), columns on `Axes.columns` (every other dimension), each cell the signatures seen
/// with their counts. A grid whose probes take fewer sleeps leaves some row × column pairs empty.
public struct OutcomeMatrix: Sendable {
    public typealias RowKey = CellPart
    public typealias ColumnKey = CellPart

    public struct Cell: Sendable {
        /// Most frequent first.
        public var signatures: [(signature: String, runs: Int)]
        public var runs: Int
        /// Runs per signature that the machine disturbed (`peer_late`).
        public var disturbed: [String: Int] = [:]
        /// The verdict leaves out disturbed runs: deterministic when the others agree.
        public var isDeterministic: Bool {
            signatures.filter { $0.runs > (disturbed[$0.signature] ?? 0) }.count <= 1
        }
        /// Runs per signature that count for the verdict, most frequent first.
        public var undisturbed: [(signature: String, runs: Int)] {
            signatures.map { ($0.signature, $0.runs - (disturbed[$0.signature] ?? 0)) }.filter { $0.1 > 0 }
        }
    }

    public private(set) var rows: [RowKey] = []
    public private(set) var columns: [ColumnKey] = []
    public private(set) var cells: [RowKey: [ColumnKey: Cell]] = [:]
    /// Every signature seen, most runs first.
    public private(set) var signatures: [(signature: String, runs: Int, cells: Int)] = []

    /// `laidOut`: cells without runs that still get their row and column (a missing cell's).
    public init(_ rowsOfView: [CellSignature], laidOut: [Scenario] = []) {
        var rowSet = Set<RowKey>(), columnSet = Set<ColumnKey>()
        var totals: [String: (runs: Int, cells: Int)] = [:]
        for scenario in rowsOfView.map(\.scenario) + laidOut {
            let row = RowKey(scenario, on: Axes.rows), column = ColumnKey(scenario, on: Axes.columns)
            if rowSet.insert(row).inserted { rows.append(row) }
            if columnSet.insert(column).inserted { columns.append(column) }
        }
        for entry in rowsOfView {
            let row = RowKey(entry.scenario, on: Axes.rows), column = ColumnKey(entry.scenario, on: Axes.columns)
            var cell = cells[row]?[column] ?? Cell(signatures: [], runs: entry.cellRuns)
            cell.signatures.append((entry.signature, entry.runs))
            if entry.disturbedRuns > 0 { cell.disturbed[entry.signature] = entry.disturbedRuns }
            cells[row, default: [:]][column] = cell
            totals[entry.signature, default: (0, 0)].runs += entry.runs
            totals[entry.signature, default: (0, 0)].cells += 1
        }
        rows = CellPart.sorted(rows, on: Axes.rows)
        columns = CellPart.sorted(columns, on: Axes.columns)
        for row in rows {
            for column in columns {
                cells[row]?[column]?.signatures.sort { ($0.runs, $1.signature) > ($1.runs, $0.signature) }
            }
        }
        signatures = totals.map { ($0.key, $0.value.runs, $0.value.cells) }
            .sorted { ($0.runs, $1.signature) > ($1.runs, $0.signature) }
    }

    public func cell(_ row: RowKey, _ column: ColumnKey) -> Cell? { cells[row]?[column] }

    /// The scenario of a row and a column.
    public static func scenario(_ row: RowKey, _ column: ColumnKey) -> Scenario {
        row.applied(to: column.cell, on: Axes.rows)
    }

    /// The cells that hold runs, in row and column order.
    public var scenarios: [Scenario] {
        rows.flatMap { row in columns.compactMap { column in cell(row, column).map { _ in Self.scenario(row, column) } } }
    }

    /// Cells whose repeats disagree, in row and column order.
    public var nondeterministic: [(row: RowKey, column: ColumnKey, cell: Cell)] {
        rows.flatMap { row in
            columns.compactMap { column in
                cell(row, column).flatMap { $0.isDeterministic ? nil : (row, column, $0) }
            }
        }
    }
}
