import PipeLabExperiment
import PipeLabKernel

/// What a report needs from the database, read in a few set-based queries (a report over 100,000
/// runs must take well under two seconds).
public struct ReportData: Sendable {
    public var sweep: SweepRecord
    public var skipped: [SkippedCombination]
    public var cells: [CellSignature]
    public var timings: [FailureTiming]
    /// One recorded run per (cell, signature, whether the peer left data unread, link fate),
    /// undisturbed runs only: what the explanations are derived from.
    public var examples: [CellExample]
    public var disturbed: [DisturbedRun]
    /// Per transport and sleep asked (above 0): how much longer than asked the client slept.
    public var sleepErrors: [SleepErrors]
    /// What each client saw, real programs and pipelab's own (the runtime table).
    public var clientOutcomes: [ClientOutcome] = []
    /// Per client, from the start of send #2 to the start of send #3 (ns), back-to-back sends
    /// only: what tracing costs a real program (ClientQueries).
    public var sendGapsNs: [ClientProgram: [Int64]] = [:]
    /// Per loss over the emulated link (above 0): its undisturbed runs and how many lost a packet.
    public var lossCounts: [LossCount] = []
}

/// The undisturbed runs over one loss of the emulated link, and those the link dropped a packet of.
public struct LossCount: Sendable, Equatable {
    public var lossBasisPoints: Int
    public var runs: Int
    public var dropped: Int
}

/// The runs one example stands for: a cell, a signature and what the peer left unread.
struct ExampleGroup: Hashable {
    var scenario: Scenario
    var signature: String
    var unread: Int64?
}

/// A run whose steps stand for the runs of its cell with the same signature, peer evidence and,
/// when captured, link fate.
public struct CellExample: Sendable {
    /// The run's row in `runs`, for a reader to find it and replay it (its loss seed is in `run`).
    public var id: Int64
    public var run: RunResult
    /// Undisturbed runs of the cell it stands for.
    public var runs: Int
}

public struct DisturbedRun: Sendable {
    public var scenario: Scenario
    public var repeatIndex: Int
    public var signature: String
    public var sleptNs: Int64?
    /// How long after send #2 began the peer began to end the connection; nil when it never did.
    public var peerEndAfterSend2Ns: Int64?
    /// What the steps show (`runs.disturbance_reason`); nil for a row it does not decode.
    public var reason: Disturbance.Reason?
}

public struct SleepErrors: Sendable {
    public var transport: Transport
    public var sleepNs: Int64
    /// slept − asked, per run (ns).
    public var errorsNs: [Int64]
}

extension Store {
    /// The report of the sweeps `sweepIDs` (one sweep, or the shards of a group, each (cell,
    /// repeat) recorded once), headed by the first.
    public func reportData(sweepIDs: [Int64]) throws(StoreError) -> ReportData {
        try namingBrokenRow { () throws(StoreError) in
            guard let first = sweepIDs.first else { throw StoreError(.notFound, "no sweep to report in \(path)") }
            try countRunGroups(sweepIDs: sweepIDs)
            let cells = try groupedCellSignatures()
            return ReportData(sweep: try sweep(id: first), skipped: try skipped(sweepID: first),
                              cells: cells, timings: try failureTimings(sweepIDs: sweepIDs),
                              examples: try cellExamples(sweepIDs: sweepIDs), disturbed: try disturbedRuns(sweepIDs: sweepIDs),
                              sleepErrors: try sleepErrors(sweepIDs: sweepIDs),
                              // Only a real program's runs make the runtime table and its tracing cost.
                              clientOutcomes: try hasRealClients() ? clientOutcomes(sweepIDs: sweepIDs) : [],
                              sendGapsNs: try hasRealClients() ? sendGaps(sweepIDs: sweepIDs) : [:],
                              // Only a lossy sweep reads its packets for this.
                              lossCounts: cells.contains { $0.scenario.lossBasisPoints > 0 } ? try lossCounts(sweepIDs: sweepIDs) : [])
        }
    }

    /// Checks the runs of `ids` and their steps and packets before they are read one by one.
    package func checkRead(runs ids: [Int64]) throws(StoreError) {
        let list: [Statement.Value] = [.text(Self.jsonList(ids))]
        try checkRead("runs", where: "t.id IN (SELECT value FROM json_each(?))", list)
        for table in Self.runChildTables {
            try checkRead(table, where: "t.run_id IN (SELECT value FROM json_each(?))", list)
        }
    }

    /// A duration or a difference of two read from the file, within the rules' bounds (±2^53, so
    /// that the report's own arithmetic cannot overflow); otherwise the file is refused.
    package static func bounded(_ value: Int64, _ column: String) throws(StoreError) -> Int64 {
        guard value != .min, abs(value) <= 2 * RowRules.integerBound else { throw undecodable(column: column, .integer(value)) }
        return value
    }

    /// Signature counts per cell of the runs counted in `temp.run_groups`, in grid order.
    package func groupedCellSignatures() throws(StoreError) -> [CellSignature] {
        try db.prepare("""
            SELECT \(Dimensions.columnList()), signature, outcome, SUM(runs) AS runs,
                   SUM(SUM(runs)) OVER (PARTITION BY \(Dimensions.columnList())) AS cell_runs,
                   SUM(runs * peer_late) AS disturbed_runs
            FROM temp.run_groups
            GROUP BY \(Dimensions.columnList()), signature, outcome
            ORDER BY \(Dimensions.columnList()), SUM(runs) DESC, signature
            """).rows(Self.cellSignature)
    }

    /// Whether the runs counted in `temp.run_groups` include a real program's.
    package func hasRealClients() throws(StoreError) -> Bool {
        try countedAny(where: "client <> 'harness'")
    }

    /// Whether any run counted in `temp.run_groups` meets `condition`: a query that would read
    /// the runs for it is not made when none does (a pass over a million runs saved).
    private func countedAny(where condition: String) throws(StoreError) -> Bool {
        try !db.prepare("SELECT 1 FROM temp.run_groups WHERE \(condition) LIMIT 1").rows { _ in true }.isEmpty
    }

    /// The lowest-id undisturbed run of each (cell, signature, peer_left_unread) and, among captured
    /// runs, of each link fate too (migration 17): a captured run is told by one whose packets went
    /// the same way. With its steps and packets.
    package func cellExamples(sweepIDs: [Int64]) throws(StoreError) -> [CellExample] {
        let sweeps: [Statement.Value] = [.text(Self.jsonList(sweepIDs))]
        let fates = try fateGroups(sweeps)
        var picked: [(id: Int64, runs: Int64, scenario: Scenario)] = []
        var unfated: [(group: ExampleGroup, runs: Int64)] = []
        try db.prepare("""
            SELECT MIN(first_id) AS id, SUM(runs) AS runs, \(Dimensions.columnList()), signature, peer_left_unread
            FROM temp.run_groups WHERE peer_late = 0
            GROUP BY \(Dimensions.columnList()), signature, peer_left_unread
            """).forEachRow { (row: Row) throws(StoreError) in
            let group = ExampleGroup(scenario: try row.scenario(), signature: row.text("signature"), unread: row.optionalInt("peer_left_unread"))
            guard let split = fates[group] else {
                picked.append((row.int("id"), row.int("runs"), group.scenario))
                return
            }
            picked += split.map { ($0.id, $0.runs, group.scenario) }
            // Runs of the group without packets (none in a cell whose every run was captured).
            let rest = row.int("runs") - split.reduce(0) { $0 + $1.runs }
            if rest > 0 { unfated.append((group, rest)) }
        }
        for (group, runs) in unfated {
            if let id = try firstUnfatedRun(group, sweeps) { picked.append((id, runs, group.scenario)) }
        }
        picked.sort { $0.id < $1.id }
        var chosen: [Int64: CellExample] = [:]
        for pick in picked {
            chosen[pick.id] = CellExample(id: pick.id, run: RunResult(
                scenario: pick.scenario, repeatIndex: 0, outcome: .ok, termSignal: nil, steps: [], harnessMessage: nil,
                startedAt: 0, durationNs: 0), runs: Int(clamping: pick.runs))
        }
        let order = picked.map(\.id)
        try checkRead(runs: order)
        let list: [Statement.Value] = [.text(Self.jsonList(order))]
        try db.prepare("""
            SELECT id, outcome, term_signal, repeat_index, client_exit, client_sigpipe, client_output, loss_seed FROM runs
            WHERE id IN (SELECT value FROM json_each(?))
            """).bind(list).forEachRow { (row: Row) throws(StoreError) in
            chosen[row.int(0)]?.run.outcome = try row.decoded("outcome")
            chosen[row.int(0)]?.run.termSignal = row.optionalText(2).flatMap(SignalName.number)
            chosen[row.int(0)]?.run.repeatIndex = Int(row.int(3))
            // Within 0...UInt32.max by the row rules (checkRead above).
            chosen[row.int(0)]?.run.lossSeed = row.optionalInt(7).flatMap { UInt32(exactly: $0) }
            // A real program's end and report, for what its runtime made of the calls (RuntimeExplainer).
            if let disposition = row.optionalText(5).flatMap(SigpipeDisposition.init(name:)) {
                chosen[row.int(0)]?.run.client = ClientReport(exitCode: row.optionalInt(4).map { Int32(truncatingIfNeeded: $0) },
                                                              disposition: disposition, output: row.optionalText(6) ?? "")
            }
        }
        try db.prepare("""
            SELECT run_id, actor, op, bytes, result, errno, sigpipe, start_ns, duration_ns, tcp_state, value FROM steps
            WHERE run_id IN (SELECT value FROM json_each(?)) ORDER BY run_id, seq
            """).bind(list).forEachRow { row in
            if let step = Self.step(row, from: 1) { chosen[row.int(0)]?.run.steps.append(step) }
        }
        // Only these runs' packets (a captured sweep's explanations rest on them), never every run's.
        try db.prepare("""
            SELECT run_id, \(Self.packetColumns) FROM packets
            WHERE run_id IN (SELECT value FROM json_each(?)) ORDER BY run_id, number
            """).bind(list).forEachRow { row in
            if let packet = Self.packet(row, from: 1) { chosen[row.int(0)]?.run.packets.append(packet) }
        }
        return order.compactMap { chosen[$0] }
    }

    /// The undisturbed captured runs of each (cell, signature, peer_left_unread), split by link fate:
    /// the lowest id and the count of each fate. Read from the partial index of captured runs only.
    private func fateGroups(_ sweeps: [Statement.Value]) throws(StoreError) -> [ExampleGroup: [(id: Int64, runs: Int64)]] {
        var fates: [ExampleGroup: [(id: Int64, runs: Int64)]] = [:]
        try db.prepare(Self.fateGroupQuery).bind(sweeps).forEachRow { (row: Row) throws(StoreError) in
            let group = ExampleGroup(scenario: try row.scenario(), signature: row.text("signature"), unread: row.optionalInt("peer_left_unread"))
            fates[group, default: []].append((row.int("id"), row.int("runs")))
        }
        return fates
    }

    /// The captured, undisturbed runs of the sweeps in the JSON list ?1 by group and fate: the
    /// partial index `runs_by_link_fate` holds them alone, so uncaptured runs are never visited.
    static let fateGroupQuery = """
        SELECT MIN(id) AS id, COUNT(*) AS runs, \(Dimensions.columnList()), signature, peer_left_unread
        FROM runs INDEXED BY runs_by_link_fate
        WHERE \(inSweeps(1)) AND link_fate IS NOT NULL AND peer_late = 0
        GROUP BY \(Dimensions.columnList()), signature, peer_left_unread, link_fate
        """

    /// The lowest-id undisturbed run of `group` that has no link fate.
    private func firstUnfatedRun(_ group: ExampleGroup, _ sweeps: [Statement.Value]) throws(StoreError) -> Int64? {
        let statement = try db.prepare("""
            SELECT MIN(id) FROM runs INDEXED BY runs_by_signature
            WHERE \(Self.inSweeps(1)) AND \(Self.cellEquals) AND signature = ? AND peer_late = 0
              AND peer_left_unread IS ? AND link_fate IS NULL
            """).bind(sweeps)
        let next = statement.bindCell(group.scenario, from: 2)
        statement.bind(next, group.signature)
        statement.bind(next + 1, group.unread)
        return try statement.rows { $0.optionalInt(0) }.first ?? nil
    }

    package func disturbedRuns(sweepIDs: [Int64]) throws(StoreError) -> [DisturbedRun] {
        guard try countedAny(where: "peer_late = 1") else { return [] }
        let list: [Statement.Value] = [.text(Self.jsonList(sweepIDs))]
        try checkRead(runs: try db.prepare("SELECT id FROM runs WHERE \(Self.inSweeps(1)) AND peer_late = 1").bind(list).rows { $0.int(0) })
        return try db.prepare("""
            SELECT \(Dimensions.columnList()), repeat_index, signature, slept_ns, peer_end_after_send2_ns, disturbance_reason
            FROM disturbed_runs WHERE \(Self.inSweeps(1)) ORDER BY run_id
            """).bind(list).rows { (row: Row) throws(StoreError) in
            DisturbedRun(scenario: try row.scenario(), repeatIndex: Int(row.int("repeat_index")), signature: row.text("signature"),
                         sleptNs: row.optionalInt("slept_ns"), peerEndAfterSend2Ns: row.optionalInt("peer_end_after_send2_ns"),
                         reason: row.optionalText("disturbance_reason").flatMap(Disturbance.Reason.init(rawValue:)))
        }
    }

    /// Sleep errors of the runs that asked for a sleep (a sleep of 0 has no accuracy to show).
    package func sleepErrors(sweepIDs: [Int64]) throws(StoreError) -> [SleepErrors] {
        guard try countedAny(where: "sleep_ns > 0 AND client = 'harness'") else { return [] }
        var groups: [SleepErrors] = []
        try db.prepare("""
            SELECT transport, sleep_ns, slept_ns - sleep_ns FROM runs
            WHERE \(Self.inSweeps(1)) AND sleep_ns > 0 AND slept_ns IS NOT NULL AND client = 'harness' ORDER BY transport, sleep_ns
            """).bind([.text(Self.jsonList(sweepIDs))]).forEachRow { (row: Row) throws(StoreError) in
            guard let transport = Transport(rawValue: row.text(0)) else { return }
            let sleep = row.int(1)
            if groups.last?.transport != transport || groups.last?.sleepNs != sleep {
                groups.append(SleepErrors(transport: transport, sleepNs: sleep, errorsNs: []))
            }
            groups[groups.count - 1].errorsNs.append(try Self.bounded(row.int(2), "runs.slept_ns"))
        }
        return groups.sorted { ($0.transport.position, $0.sleepNs) < ($1.transport.position, $1.sleepNs) }
    }

    /// Per loss above 0, the undisturbed runs and those with a packet the link dropped.
    package func lossCounts(sweepIDs: [Int64]) throws(StoreError) -> [LossCount] {
        try db.prepare("""
            SELECT CAST(ROUND(loss_percent * 100) AS INTEGER), COUNT(*),
                   SUM(EXISTS (SELECT 1 FROM packets p WHERE p.run_id = r.id AND p.lost = 1))
            FROM runs r WHERE \(Self.inSweeps(1, alias: "r")) AND loss_percent > 0 AND peer_late = 0
            GROUP BY 1 ORDER BY 1
            """).bind([.text(Self.jsonList(sweepIDs))]).rows { (row: Row) throws(StoreError) in
            LossCount(lossBasisPoints: Int(clamping: row.int(0)), runs: Int(clamping: row.int(1)), dropped: Int(clamping: row.int(2)))
        }
    }

    /// The columns `packet(_:from:)` reads, in its order.
    package static let packetColumns = "t_ns, direction, flags, seq, ack, length, step_seq, lost"

    /// Reads a packet from the columns `packetColumns`, starting at `column`.
    package static func packet(_ row: Row, from column: Int32) -> Packet? {
        guard let direction = Packet.Direction(rawValue: row.text(column + 1)) else { return nil }
        return Packet(tNs: row.int(column), direction: direction, flags: row.text(column + 2), seq: row.int(column + 3),
                      ack: row.optionalInt(column + 4), length: row.int(column + 5), stepSeq: row.optionalInt(column + 6).map { Int($0) },
                      headers: [], wireLength: 0, lost: row.int(column + 7) != 0)
    }

    /// Reads a step from the columns actor, op, bytes, result, errno, sigpipe, start_ns,
    /// duration_ns, tcp_state, value, starting at `column`.
    package static func step(_ row: Row, from column: Int32) -> Step? {
        guard let actor = Actor(rawValue: row.text(column)), let op = Operation(rawValue: row.text(column + 1)) else { return nil }
        return Step(actor: actor, op: op, bytes: row.int(column + 2), result: row.optionalInt(column + 3),
                    errno: Int32(clamping: row.optionalInt(column + 4) ?? 0), sigpipe: row.int(column + 5) != 0,
                    startNs: row.int(column + 6), durationNs: row.optionalInt(column + 7),
                    tcpState: row.optionalText(column + 8).flatMap(TCPState.init(name:)), value: row.optionalInt(column + 9))
    }
}
