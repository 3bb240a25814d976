import PipeLabStore
import PipeLabExperiment
import PipeLabKernel

/// Cells of a sweep arranged for display: rows are (transport, peer, sigpipe), columns are
/// (probe, network, sleep, sends, payload), each cell the signatures seen with their counts. A grid whose
/// probes take fewer sleeps leaves some row × column pairs empty.
public struct OutcomeMatrix: Sendable {
    public struct RowKey: Hashable, Sendable {
        public var transport: Transport
        public var peer: PeerAction
        public var sigpipe: SigpipeMode
    }

    public struct ColumnKey: Hashable, Sendable {
        public var sleepNs: Int64
        public var sends: Int
        public var payloadBytes: Int64
        public var probe: Probe = .none
        public var network: NetworkCell = .plain
    }

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

    public init(_ rowsOfView: [CellSignature]) {
        var rowSet = Set<RowKey>(), columnSet = Set<ColumnKey>()
        var totals: [String: (runs: Int, cells: Int)] = [:]
        for entry in rowsOfView {
            let s = entry.scenario
            let row = RowKey(transport: s.transport, peer: s.peer, sigpipe: s.sigpipe)
            let column = ColumnKey(sleepNs: s.sleepNs, sends: s.sends, payloadBytes: s.payloadBytes, probe: s.probe, network: s.network)
            if rowSet.insert(row).inserted { rows.append(row) }
            if columnSet.insert(column).inserted { columns.append(column) }
            var cell = cells[row]?[column] ?? Cell(signatures: [], runs: entry.cellRuns)
            cell.signatures.append((entry.signature, entry.runs))
            if entry.disturbedRuns > 0 { cell.disturbed[entry.signature] = entry.disturbedRuns }
            cells[row, default: [:]][column] = cell
            totals[entry.signature, default: (0, 0)].runs += entry.runs
            totals[entry.signature, default: (0, 0)].cells += 1
        }
        rows.sort { ($0.transport.position, $0.peer.position, $0.sigpipe.position) < ($1.transport.position, $1.peer.position, $1.sigpipe.position) }
        func order(_ c: ColumnKey) -> [Int64] {
            [Int64(c.probe.position), c.network.rttNs, Int64(c.network.lossBasisPoints), c.network.intervalNs, Int64(c.sends), c.payloadBytes, c.sleepNs]
        }
        columns.sort { order($0).lexicographicallyPrecedes(order($1)) }
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
        Scenario(transport: row.transport, peer: row.peer, sigpipe: row.sigpipe, sleepNs: column.sleepNs,
                 sends: column.sends, payloadBytes: column.payloadBytes, probe: column.probe, intervalNs: column.network.intervalNs,
                 rttNs: column.network.rttNs, lossBasisPoints: column.network.lossBasisPoints)
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
