/// What a report needs from the database, read in a few set-based queries (a report over 100,000
/// runs must take well under two seconds).
public struct ReportData: Sendable {
    public var sweep: SweepRecord
    public var skipped: [SkippedCombination]
    public var cells: [CellSignature]
    public var timings: [CellTiming]
    /// For each signature: the client's TCP states after each send in one run that produced it.
    public var exampleStates: [String: [String?]]
}

public struct CellTiming: Sendable {
    public var scenario: Scenario
    /// Durations of the first failing call (ns), of the runs where it returned.
    public var failingCallNs: [Int64]
    /// From the peer's ending call to the return of the first failing call (ns).
    public var peerToErrorNs: [Int64]
}

extension Store {
    public func reportData(sweepID: Int64) throws(StoreError) -> ReportData {
        ReportData(sweep: try sweep(id: sweepID), skipped: try skipped(sweepID: sweepID),
                   cells: try cellSignatures(sweepID: sweepID), timings: try cellTimings(sweepID: sweepID),
                   exampleStates: try exampleStates(sweepID: sweepID))
    }

    func cellTimings(sweepID: Int64) throws(StoreError) -> [CellTiming] {
        var byCell: [Scenario: CellTiming] = [:]
        var order: [Scenario] = []
        try db.prepare("""
            SELECT transport, peer, sigpipe, sleep_ns, sends, payload_bytes, call_ns, peer_action_to_error_ns
            FROM failing_calls WHERE sweep_id = ? AND call_ns IS NOT NULL
            """).bind([.int(sweepID)]).forEachRow { row in
            guard let scenario = Self.scenario(row, from: 0) else { return }
            if byCell[scenario] == nil {
                order.append(scenario)
                byCell[scenario] = CellTiming(scenario: scenario, failingCallNs: [], peerToErrorNs: [])
            }
            byCell[scenario]?.failingCallNs.append(row.int(6))
            if let gap = row.optionalInt(7) { byCell[scenario]?.peerToErrorNs.append(gap) }
        }
        return order.compactMap { byCell[$0] }
    }

    func exampleStates(sweepID: Int64) throws(StoreError) -> [String: [String?]] {
        var states: [String: [String?]] = [:]
        try db.prepare("""
            SELECT r.signature, s.tcp_state FROM runs r JOIN steps s ON s.run_id = r.id AND s.send_number IS NOT NULL
            WHERE r.id IN (SELECT MIN(id) FROM runs WHERE sweep_id = ? AND transport IN ('tcp4', 'tcp6') GROUP BY signature)
            ORDER BY r.id, s.send_number
            """).bind([.int(sweepID)]).forEachRow { row in
            states[row.text(0), default: []].append(row.optionalText(1))
        }
        return states
    }
}
