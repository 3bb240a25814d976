import PipeLabExperiment

/// The first failing sends of one (transport, errno) over the sweep: undisturbed runs of
/// pipelab's own client whose failing send returned.
public struct FailureTiming: Sendable, Equatable {
    public var transport: Transport
    /// The failing call's errno name; nil for a short write.
    public var errnoName: String?
    public var runs: Int
    /// Median and 95th percentile (nearest rank) of the first failing call's duration (ns).
    public var callMedianNs: Int64
    public var callP95Ns: Int64
    /// Median of the time from the peer's ending call to the return of the first failing call
    /// (ns); nil when no such run had an ending call.
    public var peerToErrorMedianNs: Int64?
}

/// The failing calls' timings are recorded on each run (`runs.failing_call_ns`,
/// `runs.peer_end_to_error_ns`, migration 15) and kept in order in two partial indexes: a group's
/// size is a count over a range of one, and a percentile is the value at its rank in that range,
/// so no timing is held in memory and nothing is sorted (the shards of a group read together are
/// one range per sweep, merged in order: `inOrder`).
extension Store {
    /// The runs a report times, as the partial indexes `runs_by_failing_call` and
    /// `runs_by_peer_end_to_error` hold them (the same terms, so SQLite can use them).
    private static let timedRuns = "client = 'harness' AND peer_late = 0 AND failing_call_ns IS NOT NULL"

    /// The timed runs of one (transport, errno): how many, and how many of them have a peer's ending call.
    private struct Group {
        var transport: Transport
        var errnoName: String?
        var calls: Int
        var gaps: Int
    }

    /// Per (transport, errno) of the sweep ?1: the timed runs, and those of them with a peer's ending call.
    static let timedRunCounts = """
        SELECT transport, first_errno_name, COUNT(*),
               (SELECT COUNT(*) FROM runs g INDEXED BY runs_by_peer_end_to_error
                WHERE g.sweep_id = ?1 AND g.transport = c.transport AND g.first_errno_name IS c.first_errno_name
                  AND g.client = 'harness' AND g.peer_late = 0 AND g.failing_call_ns IS NOT NULL AND g.peer_end_to_error_ns IS NOT NULL)
        FROM runs c INDEXED BY runs_by_failing_call WHERE sweep_id = ?1 AND \(timedRuns)
        GROUP BY transport, first_errno_name
        """

    /// The value of `column` (with its index) at position ?4 among the timed runs of (transport
    /// ?2, errno ?3) of `sweepIDs` (in the JSON list ?1 when there are many: `inOrder`).
    static func timingAt(_ column: String, index: String, sweepIDs: [Int64]) -> String {
        inOrder("""
            SELECT \(column) FROM runs INDEXED BY \(index)
            WHERE {sweep} AND transport = ?2 AND first_errno_name IS ?3 AND \(timedRuns) AND \(column) IS NOT NULL
            """, over: sweepIDs, orderBy: column, limit: "LIMIT 1 OFFSET ?4")
    }

    package func failureTimings(sweepIDs: [Int64]) throws(StoreError) -> [FailureTiming] {
        // Counted sweep by sweep, so each count is a pass over a range of an index with no sort.
        var counts: [Group] = []
        let count = try db.prepare(Self.timedRunCounts)
        for sweepID in sweepIDs {
            try count.bind([.int(sweepID)]).forEachRow { (row: Row) throws(StoreError) in
                guard let transport = Transport(rawValue: row.text(0)) else { return }
                let (errnoName, calls, gaps) = (row.optionalText(1), Int(row.int(2)), Int(row.int(3)))
                if let index = counts.firstIndex(where: { $0.transport == transport && $0.errnoName == errnoName }) {
                    counts[index].calls += calls
                    counts[index].gaps += gaps
                } else {
                    counts.append(Group(transport: transport, errnoName: errnoName, calls: calls, gaps: gaps))
                }
            }
        }
        // Each sweep is a range of each index in the order wanted; a few are merged, many sorted.
        let scope: Statement.Value = .text(Self.jsonList(sweepIDs))
        let callAt = try db.prepare(Self.timingAt("failing_call_ns", index: "runs_by_failing_call", sweepIDs: sweepIDs))
        let gapAt = try db.prepare(Self.timingAt("peer_end_to_error_ns", index: "runs_by_peer_end_to_error", sweepIDs: sweepIDs))
        func value(_ statement: Statement, _ group: Group, rank: Int, _ column: String) throws(StoreError) -> Int64? {
            let found = try statement.bind([scope, .text(group.transport.rawValue), group.errnoName.map { .text($0) } ?? .null, .int(Int64(rank))])
                .rows { $0.int(0) }
            guard let first = found.first else { return nil }
            return try Self.bounded(first, column)
        }
        var timings: [FailureTiming] = []
        for group in counts {
            guard let median = try value(callAt, group, rank: NearestRank.index(50, count: group.calls), "runs.failing_call_ns"),
                  let p95 = try value(callAt, group, rank: NearestRank.index(95, count: group.calls), "runs.failing_call_ns") else { continue }
            let gap = group.gaps == 0 ? nil : try value(gapAt, group, rank: NearestRank.index(50, count: group.gaps), "runs.peer_end_to_error_ns")
            timings.append(FailureTiming(transport: group.transport, errnoName: group.errnoName, runs: group.calls,
                                         callMedianNs: median, callP95Ns: p95, peerToErrorMedianNs: gap))
        }
        return timings.sorted { ($0.transport.position, $0.errnoName ?? "") < ($1.transport.position, $1.errnoName ?? "") }
    }
}
