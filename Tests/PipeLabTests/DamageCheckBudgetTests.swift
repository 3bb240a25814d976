import Foundation
@testable import PipeLabStore
import Testing

/// A writer's damage check (quick_check) is given a budget, and SQLite 3.40 asks no progress
/// handler during its page walk: the budget is kept by interrupting the statement from another
/// thread, which ends a statement that calls no handler at all, and never touches a later one.
@Suite struct DamageCheckBudgetTests {
    /// A statement that never ends by itself (no progress handler is set) ends at the budget.
    @Test(.timeLimit(.minutes(1))) func aStatementThatNeverEndsIsInterruptedAtTheBudget() throws {
        let db = try Connection(path: ":memory:", create: true)
        do {
            _ = try db.interrupting(afterNs: 50_000_000) { () throws(StoreError) in
                try db.prepare("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT COUNT(*) FROM n").rows { $0.int(0) }
            }
            Issue.record("the endless statement ended by itself")
        } catch {
            #expect(error.kind == .interrupted, "\(error)")
        }
    }

    /// Work that ends within its budget is untouched, and so is every statement after it, even
    /// once the budget has long passed.
    @Test func statementsAfterTheBudgetAreNeverInterrupted() throws {
        let db = try Connection(path: ":memory:", create: true)
        let quick = try db.interrupting(afterNs: 20_000_000) { () throws(StoreError) in
            try db.prepare("SELECT 6 * 7").rows { $0.int(0) }
        }
        #expect(quick == [42])
        usleep(100_000)
        let later = try db.prepare("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000) SELECT COUNT(*) FROM n")
            .rows { $0.int(0) }
        #expect(later == [200_000])
    }
}
