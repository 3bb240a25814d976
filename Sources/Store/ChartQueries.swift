import PipeLabExperiment
import PipeLabKernel

/// What the report's charts need from the database, read in three set-based queries.
public struct ChartData: Sendable {
    public var sweep: SweepRecord
    /// Runs grouped by cell and everything that describes their first failing call.
    public var runGroups: [RunGroup]
    public var skipped: [SkippedCombination]
    /// One run per distinct signature, most frequent signature first.
    public var representatives: [RepresentativeRun]
    /// Every probe the sweep recorded (the heatmap and race window draw one of them).
    public var probes: [Probe] = []
    /// Undisturbed runs of peer close and probe none by cell and first failing send, for the link chart.
    public var linkGroups: [LinkGroup] = []

    /// The parameters the link chart pools, with their values in the sweep: `sigpipe (ignore), …`.
    public var linkPooled: String {
        func values(_ name: String, _ all: [String]) -> String { "\(name) (\(uniqued(all).joined(separator: ", ")))" }
        let cells = linkGroups.map(\.scenario)
        return [values("sigpipe", cells.map(\.sigpipe.rawValue)), values("sleep", cells.map { DurationText.format($0.sleepNs) }),
                values("sends", cells.map { String($0.sends) }), values("payload", cells.map { SizeText.label($0.payloadBytes) })]
            .joined(separator: ", ")
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

/// The lowest-numbered run with a signature (undisturbed if there is one), with its steps, to draw as a sequence diagram.
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
    public var steps: [Step]
}

extension Store {
    public func chartData(sweepID: Int64) throws(StoreError) -> ChartData {
        ChartData(sweep: try sweep(id: sweepID), runGroups: try runGroups(sweepID: sweepID),
                  skipped: try skipped(sweepID: sweepID).filter { $0.probe == .none }, representatives: try representativeRuns(sweepID: sweepID),
                  probes: try db.prepare("SELECT DISTINCT probe FROM runs WHERE sweep_id = ?").bind([.int(sweepID)])
                    .rows { Probe(rawValue: $0.text(0)) }.compactMap { $0 },
                  linkGroups: try linkGroups(sweepID: sweepID))
    }

    package func linkGroups(sweepID: Int64) throws(StoreError) -> [LinkGroup] {
        try db.prepare("""
            SELECT \(Dimensions.columnList()),
                   first_failing_send, COUNT(*) AS runs
            FROM runs WHERE sweep_id = ? AND peer = 'close' AND probe = 'none' AND peer_late = 0
            GROUP BY \(Dimensions.columnList()), first_failing_send
            """).bind([.int(sweepID)]).rows { (row: Row) throws(StoreError) in
            LinkGroup(scenario: try row.scenario(), firstFailingSend: row.optionalInt("first_failing_send").map { Int($0) },
                      runs: Int(row.int("runs")))
        }
    }

    /// The heatmap and the race window draw one probe and one network: none and plain loopback where
    /// the sweep has them (the sends' own story), else those of the first run recorded.
    package func runGroups(sweepID: Int64) throws(StoreError) -> [RunGroup] {
        try db.prepare("""
            SELECT \(Dimensions.columnList()), signature, outcome, first_failing_send,
                   first_errno_name, term_signal, COUNT(*) AS runs
            FROM runs r WHERE sweep_id = ?1 AND probe || ' ' || interval_ns || ' ' || rtt_ns || ' ' || loss_percent = COALESCE(
                (SELECT probe || ' ' || interval_ns || ' ' || rtt_ns || ' ' || loss_percent FROM runs
                  WHERE sweep_id = ?1 AND probe = 'none' AND interval_ns = 0 AND rtt_ns = 0 AND loss_percent = 0 LIMIT 1),
                (SELECT probe || ' ' || interval_ns || ' ' || rtt_ns || ' ' || loss_percent FROM runs WHERE sweep_id = ?1 ORDER BY id LIMIT 1))
              -- Like a cell's verdict, the charts leave out the runs the machine disturbed, unless
              -- a cell has nothing else.
              AND (peer_late = 0 OR NOT EXISTS (
                SELECT 1 FROM runs u WHERE u.sweep_id = r.sweep_id AND \(Self.sameCell("u", "r")) AND u.peer_late = 0))
            GROUP BY transport, peer, sigpipe, sleep_ns, sends, payload_bytes, signature, outcome, first_failing_send,
                     first_errno_name, term_signal
            ORDER BY transport, peer, sigpipe, sleep_ns, sends, payload_bytes, signature
            """).bind([.int(sweepID)]).rows { (row: Row) throws(StoreError) in
            RunGroup(scenario: try row.scenario(), signature: row.text("signature"), outcome: try row.decoded("outcome"),
                     firstFailingSend: row.optionalInt("first_failing_send").map { Int($0) },
                     firstErrnoName: row.optionalText("first_errno_name"), termSignal: row.optionalText("term_signal"), runs: Int(row.int("runs")))
        }
    }

    package func representativeRuns(sweepID: Int64) throws(StoreError) -> [RepresentativeRun] {
        var runs = try db.prepare("""
            WITH bySignature AS (
                SELECT signature, COALESCE(MIN(CASE WHEN peer_late = 0 THEN id END), MIN(id)) AS id, COUNT(*) AS runs,
                       COUNT(DISTINCT \(Dimensions.all.map(\.column).joined(separator: " || ' ' || "))) AS cells
                FROM runs WHERE sweep_id = ? GROUP BY signature)
            SELECT r.id, \(Dimensions.columnList("r")), r.repeat_index, r.signature,
                   r.outcome, r.term_signal, b.runs AS signature_runs, b.cells AS signature_cells
            FROM bySignature b JOIN runs r ON r.id = b.id
            ORDER BY b.runs DESC, r.signature
            """).bind([.int(sweepID)]).rows { (row: Row) throws(StoreError) in
            RepresentativeRun(runID: row.int("id"), scenario: try row.scenario(), repeatIndex: Int(row.int("repeat_index")),
                              signature: row.text("signature"), outcome: try row.decoded("outcome"),
                              termSignal: row.optionalText("term_signal"), signatureRuns: Int(row.int("signature_runs")),
                              signatureCells: Int(row.int("signature_cells")), steps: [])
        }
        var position: [Int64: Int] = [:]
        for (index, run) in runs.enumerated() { position[run.runID] = index }
        try db.prepare("""
            SELECT run_id, actor, op, bytes, result, errno, sigpipe, start_ns, duration_ns, tcp_state, value FROM steps
            WHERE run_id IN (SELECT COALESCE(MIN(CASE WHEN peer_late = 0 THEN id END), MIN(id)) FROM runs WHERE sweep_id = ? GROUP BY signature)
            ORDER BY run_id, seq
            """).bind([.int(sweepID)]).forEachRow { row in
            guard let index = position[row.int(0)], let step = Self.step(row, from: 1) else { return }
            runs[index].steps.append(step)
        }
        return runs
    }
}
