import Foundation
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
}
