import PipeLabExperiment
import PipeLabKernel

/// What the report's charts need from the database: the run counts of the report, and a typical run per signature.
public struct ChartData: Sendable {
    public var sweep: SweepRecord
    /// Runs grouped by cell and everything that describes their first failing call.
    public var runGroups: [RunGroup]
    public var skipped: [SkippedCombination]
    /// One run per distinct signature, most frequent signature first.
    public var representatives: [RepresentativeRun]
    /// Undisturbed runs of probe none by cell and first failing send, for the link chart.
    public var linkGroups: [LinkGroup] = []
    /// Real programs' runs told of another first failure than their system calls show (the heatmap draws what they were told).
    public var toldFailures: [ToldFailure] = []

    /// The parameters the link chart pools, with their values in the sweep: `sigpipe (ignore), …`:
    /// every dimension but those its columns show (transport and the network) and those it fixes
    /// (the peer it draws, probe none), so a new dimension is named here without an edit.
    public var linkPooled: String {
        let drawn = [Dimensions.transport, Dimensions.peer, Dimensions.probe, Dimensions.interval, Dimensions.rtt, Dimensions.loss].map(\.name)
        let cells = linkGroups.map(\.scenario)
        return Dimensions.all.filter { !drawn.contains($0.name) }.map { dimension in
            "\(dimension.name) (\(uniqued(cells.map { dimension.format(dimension.value(of: $0)) }).joined(separator: ", ")))"
        }.joined(separator: ", ")
    }
}

/// Runs of one cell whose first failing send was the same one (nil: none failed).
public struct LinkGroup: Sendable {
    public var scenario: Scenario
    public var firstFailingSend: Int?
    public var runs: Int
}

/// Runs of one cell that share a signature and the columns describing their first failing call.
public struct RunGroup: Sendable, Equatable {
    public var scenario: Scenario
    public var signature: String
    public var outcome: Outcome
    /// 1-based; nil when every send wrote all its bytes.
    public var firstFailingSend: Int?
    /// The errno name of that send; nil when it was short, fatal or hung.
    public var firstErrnoName: String?
    public var termSignal: String?
    public var runs: Int
}

/// A typical run with a signature, with its steps and packets, to draw as a sequence diagram: of the
/// cell with the most undisturbed runs of that signature, the one of median duration.
public struct RepresentativeRun: Sendable {
    public var runID: Int64
    public var scenario: Scenario
    public var repeatIndex: Int
    public var signature: String
    public var outcome: Outcome
    public var termSignal: String?
    /// All runs of the sweep with this signature, and the cells they are in.
    public var signatureRuns: Int
    public var signatureCells: Int
    /// Runs of the signature in the cell it was drawn from.
    public var cellRuns: Int = 1
    public var steps: [Step]
    /// Captured packets (TCP runs of a sweep made with `--capture`); empty otherwise.
    public var packets: [Packet] = []
}

extension Store {
    /// The charts of the sweeps `sweepIDs`, headed by the first: after `reportData(sweepIDs:)`,
    /// whose counts (`temp.run_groups`) they read.
    public func chartData(sweepIDs: [Int64]) throws(StoreError) -> ChartData {
        try namingBrokenRow { () throws(StoreError) in
            guard let first = sweepIDs.first else { throw StoreError(.notFound, "no sweep to report in \(path)") }
            try countRunGroups(sweepIDs: sweepIDs)
            return ChartData(sweep: try sweep(id: first), runGroups: try runGroups(), skipped: try skipped(sweepID: first),
                             representatives: try representativeRuns(sweepIDs: sweepIDs), linkGroups: try linkGroups(),
                             toldFailures: try hasRealClients() ? toldFailures(sweepIDs: sweepIDs) : [])
        }
    }

    /// Undisturbed runs of probe none, by cell and first failing send (the link chart draws one peer's).
    package func linkGroups() throws(StoreError) -> [LinkGroup] {
        try db.prepare("""
            SELECT \(Dimensions.columnList()), first_failing_send, SUM(runs) AS runs
            FROM temp.run_groups WHERE probe = 'none' AND peer_late = 0
            GROUP BY \(Dimensions.columnList()), first_failing_send
            """).rows { (row: Row) throws(StoreError) in
            LinkGroup(scenario: try row.scenario(), firstFailingSend: row.optionalInt("first_failing_send").map { Int($0) },
                      runs: Int(row.int("runs")))
        }
    }

    /// Every cell's runs by signature and first failure: the heatmap draws each probe and network
    /// as a facet of its own; the race window reads the families it draws.
    package func runGroups() throws(StoreError) -> [RunGroup] {
        try db.prepare("""
            SELECT \(Dimensions.columnList()), signature, outcome, first_failing_send,
                   first_errno_name, term_signal, SUM(runs) AS runs
            FROM temp.run_groups r
              -- Like a cell's verdict, the charts leave out the runs the machine disturbed, unless
              -- a cell has nothing else.
            WHERE peer_late = 0 OR NOT EXISTS (
                SELECT 1 FROM temp.run_groups u WHERE \(Self.sameCell("u", "r")) AND u.peer_late = 0)
            GROUP BY \(Dimensions.columnList()), signature, outcome, first_failing_send, first_errno_name, term_signal
            ORDER BY \(Dimensions.columnList()), signature
            """).rows { (row: Row) throws(StoreError) in
            RunGroup(scenario: try row.scenario(), signature: row.text("signature"), outcome: try row.decoded("outcome"),
                     firstFailingSend: row.optionalInt("first_failing_send").map { Int($0) },
                     firstErrnoName: row.optionalText("first_errno_name"), termSignal: row.optionalText("term_signal"), runs: Int(row.int("runs")))
        }
    }

    /// The id (and duration) of the run at a position (the last parameter) in the order of
    /// duration_ns and id among the undisturbed runs of one cell (from ?2) and signature of
    /// `sweepIDs` (in the JSON list ?1 when there are many: `inOrder`): a position in a range of
    /// runs_by_duration per sweep, with no sort.
    static func runAtDuration(sweepIDs: [Int64]) -> String {
        let cell = Dimensions.all.enumerated().map { "\($1.column) = ?\($0 + 2)" }.joined(separator: " AND ")
        let signature = Dimensions.all.count + 2
        return inOrder("""
            SELECT id, duration_ns FROM runs INDEXED BY runs_by_duration
            WHERE {sweep} AND \(cell) AND signature = ?\(signature) AND peer_late = 0
            """, over: sweepIDs, orderBy: "duration_ns, id", limit: "LIMIT 1 OFFSET ?\(signature + 1)")
    }

    /// Per signature, of the cell with the most undisturbed runs of it, the run of median
    /// duration: the cells from the counts, the run from that cell's range of runs_by_duration.
    package func representativeRuns(sweepIDs: [Int64]) throws(StoreError) -> [RepresentativeRun] {
        let scope: Statement.Value = .text(Self.jsonList(sweepIDs))
        let median = try db.prepare(Self.runAtDuration(sweepIDs: sweepIDs))
        var runs: [RepresentativeRun] = []
        try db.prepare("""
            WITH cells AS (
                SELECT signature, \(Dimensions.columnList()), SUM(runs) AS n
                FROM temp.run_groups WHERE peer_late = 0
                GROUP BY signature, \(Dimensions.columnList())),
            totals AS (SELECT signature, SUM(n) AS runs, COUNT(*) AS cells FROM cells GROUP BY signature),
            -- The cell with the most runs of each signature (SQLite takes the bare columns from the MAX row).
            largest AS (SELECT signature, \(Dimensions.columnList()), MAX(n) AS n FROM cells GROUP BY signature)
            SELECT \(Dimensions.columnList("l")), l.signature, l.n AS cell_runs, t.runs AS signature_runs, t.cells AS signature_cells
            FROM largest l JOIN totals t ON t.signature = l.signature
            ORDER BY t.runs DESC, l.signature
            """).forEachRow { (row: Row) throws(StoreError) in
            let scenario = try row.scenario(), signature = row.text("signature"), cellRuns = row.int("cell_runs")
            median.bind([scope])
            let next = median.bindCell(scenario, from: 2)
            median.bind(next, signature as String?)
            median.bind(next + 1, (cellRuns + 1) / 2 - 1)
            for id in try median.rows({ $0.int(0) }) {
                runs.append(RepresentativeRun(runID: id, scenario: scenario, repeatIndex: 0, signature: signature, outcome: .ok,
                                              termSignal: nil, signatureRuns: Int(row.int("signature_runs")),
                                              signatureCells: Int(row.int("signature_cells")), cellRuns: Int(cellRuns), steps: []))
            }
        }
        try checkRead(runs: runs.map(\.runID))
        for index in runs.indices {
            for (repeatIndex, outcome, termSignal) in try db.prepare("SELECT repeat_index, outcome, term_signal FROM runs WHERE id = ?")
                .bind([.int(runs[index].runID)]).rows({ (row: Row) throws(StoreError) in
                    (Int(row.int(0)), try row.decoded("outcome", as: Outcome.self), row.optionalText(2)) }) {
                (runs[index].repeatIndex, runs[index].outcome, runs[index].termSignal) = (repeatIndex, outcome, termSignal)
            }
            try db.prepare("""
                SELECT run_id, actor, op, bytes, result, errno, sigpipe, start_ns, duration_ns, tcp_state, value FROM steps
                WHERE run_id = ? ORDER BY seq
                """).bind([.int(runs[index].runID)]).forEachRow { row in
                if let step = Self.step(row, from: 1) { runs[index].steps.append(step) }
            }
            runs[index].packets = try db.prepare("""
                SELECT \(Self.packetColumns) FROM packets WHERE run_id = ? ORDER BY number
                """).bind([.int(runs[index].runID)]).rows { Self.packet($0, from: 0) }.compactMap { $0 }
        }
        return runs
    }
}
