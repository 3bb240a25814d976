import Foundation
import PipeLabExperiment
@testable import PipeLabStore
import Testing

/// A report reads a million runs in one pass over the index runs_by_signature: the count is a
/// scan of it in order, never a sort (a sort of a million runs needs seconds and temporary space).
@Suite struct ReportScaleTests {
    static func plan(_ store: Store, _ query: String, _ values: [Statement.Value]) throws -> [String] {
        try store.db.prepare("EXPLAIN QUERY PLAN " + query).bind(values).rows { $0.text(3) }
    }

    @Test func runsAreCountedInTheIndexsOrderWithoutASort() throws {
        let store = try Store(path: try temporaryDirectory().appendingPathComponent("plan.sqlite").path, create: true)
        let plan = try Self.plan(store, Store.countQuery, [.text("[1,2]")])
        #expect(plan.contains { $0.contains("COVERING INDEX runs_by_signature") }, "\(plan)")
        #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(plan)")
    }

    /// The failing calls' timings are read from the partial indexes in their order: a count over a
    /// range and a value at a position, neither a sort nor a look-up of the table's rows.
    @Test func failingCallTimingsAreReadInTheIndexesOrderWithoutASort() throws {
        let store = try Store(path: try temporaryDirectory().appendingPathComponent("plan.sqlite").path, create: true)
        let counts = try Self.plan(store, Store.timedRunCounts, [.int(1)])
        #expect(counts.contains { $0.contains("COVERING INDEX runs_by_failing_call") }, "\(counts)")
        #expect(counts.contains { $0.contains("COVERING INDEX runs_by_peer_end_to_error") }, "\(counts)")
        #expect(!counts.contains { $0.contains("TEMP B-TREE") }, "\(counts)")
        // One sweep, and a group's shards read together: a range of the index per sweep, merged.
        for sweeps in [[1], [1, 2, 3]] as [[Int64]] {
            for (column, index) in [("failing_call_ns", "runs_by_failing_call"), ("peer_end_to_error_ns", "runs_by_peer_end_to_error")] {
                let plan = try Self.plan(store, Store.timingAt(column, index: index, sweepIDs: sweeps),
                                         [.text("[1,2,3]"), .text("tcp4"), .text("EPIPE"), .int(3)])
                #expect(plan.filter { $0.contains("COVERING INDEX \(index)") }.count == sweeps.count, "\(plan)")
                #expect(plan.contains { $0.contains("MERGE (UNION ALL)") } == (sweeps.count > 1), "\(plan)")
                #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(plan)")
            }
        }
    }

    /// A sequence diagram's run of median duration is a position in a range of runs_by_duration
    /// per sweep (merged for a group's shards): no look-up of the table's rows and no sort.
    @Test func representativeRunsAreReadInTheIndexsOrderWithoutASort() throws {
        let store = try Store(path: try temporaryDirectory().appendingPathComponent("plan.sqlite").path, create: true)
        for sweeps in [[1], [1, 2, 3]] as [[Int64]] {
            // The cell's, signature's and position's parameters are left NULL: the plan does not depend on them.
            let plan = try Self.plan(store, Store.runAtDuration(sweepIDs: sweeps), [.text("[1,2,3]")])
            #expect(plan.filter { $0.contains("COVERING INDEX runs_by_duration") }.count == sweeps.count, "\(plan)")
            #expect(plan.contains { $0.contains("MERGE (UNION ALL)") } == (sweeps.count > 1), "\(plan)")
            #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(plan)")
        }
    }

    /// Each sequence diagram's run is, of its cell and signature, the undisturbed run at the
    /// median's position in the order of duration and id, for one sweep and for two (their ranges
    /// merged), as a query of the runs that uses no index of them finds it.
    @Test func representativeRunsAreTheMedianRunsOfTheirCell() throws {
        let path = try temporaryDirectory().appendingPathComponent("median.sqlite").path
        for _ in 1...2 {
            let sweep = try CLI.run(["sweep", "--db", path, "--transport", "tcp4,unix", "--peer", "close,linger0", "--sigpipe", "ignore",
                                     "--sleep", "0", "--sends", "3", "--payload", "5", "--repeat", "7", "--quiet"])
            #expect(sweep.status == 0, "\(sweep.stderr)")
        }
        let store = try Store(path: path, create: false)
        // More sweeps than are merged (ids past the file's, with no runs) are sorted: the same runs.
        for sweeps in [[1], [2], [1, 2], [1, 2] + Array(1_000...1_000 + Int64(Store.mergedSweeps))] as [[Int64]] {
            let representatives = try store.chartData(sweepIDs: sweeps).representatives
            #expect(!representatives.isEmpty)
            for run in representatives {
                let ids = try CLIShell.sqlite3(path, """
                    SELECT r.id FROM runs r NOT INDEXED JOIN runs x NOT INDEXED ON x.id = \(run.runID)
                    WHERE r.sweep_id IN (\(sweeps.map(String.init).joined(separator: ","))) AND \(Store.sameCell("r", "x"))
                      AND r.signature = x.signature AND r.peer_late = 0
                    ORDER BY r.duration_ns, r.id;
                    """).stdout.split(separator: "\n").compactMap { Int64($0) }
                #expect(ids.count == run.cellRuns)
                #expect(ids.isEmpty ? false : ids[(ids.count + 1) / 2 - 1] == run.runID, "\(run.signature): \(ids)")
            }
        }
    }

    /// What the writer records on each run, what migration 15 fills in from the steps and what the
    /// view `failing_calls` derives from them are the same numbers, and the report's medians and
    /// p95 are the nearest-rank percentiles of the view's values.
    @Test func recordedTimingsAreTheStepsTimings() throws {
        let path = try temporaryDirectory().appendingPathComponent("timings.sqlite").path
        let sweep = try CLI.run(["sweep", "--db", path, "--transport", "tcp4,unix", "--peer", "close,linger0", "--sigpipe", "ignore",
                                 "--sleep", "0,100ms", "--sends", "3", "--payload", "5", "--repeat", "6", "--quiet"])
        #expect(sweep.status == 0, "\(sweep.stderr)")
        let timed = try CLIShell.sqlite3(path, "SELECT COUNT(*) FROM runs WHERE failing_call_ns IS NOT NULL;").stdout
        #expect(timed != "0\n", "no run had a failing send that returned")
        #expect(try CLIShell.sqlite3(path, """
            SELECT COUNT(*) FROM runs r LEFT JOIN failing_calls f ON f.run_id = r.id
            WHERE r.failing_call_ns IS NOT f.call_ns OR r.peer_end_to_error_ns IS NOT f.peer_action_to_error_ns;
            """).stdout == "0\n")
        let migration = try #require(Migrator.all.first { $0.version == 15 })
        let backFill = try #require(migration.sql.range(of: "UPDATE runs SET").map { String(migration.sql[$0.lowerBound...]) }?
            .components(separatedBy: ";").first)
        #expect(try CLIShell.sqlite3(path, """
            CREATE TABLE recorded AS SELECT id, failing_call_ns, peer_end_to_error_ns FROM runs;
            UPDATE runs SET failing_call_ns = NULL, peer_end_to_error_ns = NULL;
            \(backFill);
            SELECT COUNT(*) FROM runs r JOIN recorded w ON w.id = r.id
            WHERE r.failing_call_ns IS NOT w.failing_call_ns OR r.peer_end_to_error_ns IS NOT w.peer_end_to_error_ns;
            """).stdout == "0\n")

        let again = try CLI.run(["sweep", "--db", path, "--transport", "tcp4,unix", "--peer", "close,linger0", "--sigpipe", "ignore",
                                 "--sleep", "0,100ms", "--sends", "3", "--payload", "5", "--repeat", "3", "--quiet"])
        #expect(again.status == 0, "\(again.stderr)")
        let store = try Store(path: path, create: false)
        // One sweep is read in the indexes' order; two (a group's shards read together) are merged;
        // more than `mergedSweeps` (ids past the file's, with no runs) sorted.
        for sweeps in [[1], [2], [1, 2], [1, 2] + Array(1_000...1_000 + Int64(Store.mergedSweeps))] as [[Int64]] {
            let timings = try store.failureTimings(sweepIDs: sweeps)
            #expect(!timings.isEmpty)
            for timing in timings {
                let where_ = """
                    sweep_id IN (\(sweeps.map(String.init).joined(separator: ","))) AND transport = '\(timing.transport.rawValue)'
                    AND errno_name IS \(timing.errnoName.map { "'\($0)'" } ?? "NULL") AND call_ns IS NOT NULL AND peer_late = 0 AND client = 'harness'
                    """
                let calls = try CLIShell.sqlite3(path, "SELECT call_ns FROM failing_calls WHERE \(where_);").stdout
                    .split(separator: "\n").compactMap { Int64($0) }.sorted()
                let gaps = try CLIShell.sqlite3(path, "SELECT peer_action_to_error_ns FROM failing_calls WHERE \(where_) AND peer_action_to_error_ns IS NOT NULL;")
                    .stdout.split(separator: "\n").compactMap { Int64($0) }.sorted()
                #expect(timing.runs == calls.count)
                #expect(timing.callMedianNs == calls[NearestRank.index(50, count: calls.count)])
                #expect(timing.callP95Ns == calls[NearestRank.index(95, count: calls.count)])
                #expect(timing.peerToErrorMedianNs == (gaps.isEmpty ? nil : gaps[NearestRank.index(50, count: gaps.count)]))
            }
        }
    }
}
