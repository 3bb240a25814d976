@testable import PipeLabStore
import Testing

/// The untrusted-input check asks whether any row breaks a rule with pipelab_values_keep (one
/// native call a row), and names the row and the rule with the rules' SQL: the two must agree on
/// every value a crafted file can hold, or a broken row would pass the first unnamed.
@Suite struct ValuesKeepTests {
    /// Columns of each kind, with and without NULL, whose bounds are pipelab's own (RowRules).
    static let columns: [(table: String, column: RowRules.Column)] = [
        ("steps", .init(name: "seq", type: "INTEGER", notNull: true)),
        ("steps", .init(name: "send_number", type: "INTEGER", notNull: false)),
        ("steps", .init(name: "start_ns", type: "INTEGER", notNull: true)),
        ("runs", .init(name: "loss_percent", type: "REAL", notNull: false)),
        ("runs", .init(name: "uuid", type: "TEXT", notNull: true)),
        ("steps", .init(name: "errno_name", type: "TEXT", notNull: false)),
    ]

    /// Values at and beyond the bounds, of every storage class.
    static let values = [
        "NULL", "0", "1", "-1", "100", "101", "10000", "10001", "20064", "20065",
        "9007199254740992", "9007199254740993", "-9007199254740992", "-9007199254740993", "9223372036854775807",
        "0.0", "1.5", "2.0", "100.0", "100.5", "-0.5", "1e300", "-1e300", "9007199254740992.0",
        "''", "'x'", "'5'", "printf('%.64c', 'a')", "printf('%.65c', 'a')", "printf('%.4096c', 'a')", "printf('%.4097c', 'a')",
        "printf('%.32c', 'é')", "printf('%.33c', 'é')", "x''", "x'01'", "zeroblob(10)",
    ]

    @Test func theNativeRuleAndTheSQLRuleAgreeOnEveryValue() throws {
        let db = try Connection(path: ":memory:", create: true)
        var checked = 0
        for (table, column) in Self.columns {
            // A column of the declared type, so SQLite's affinity applies as in a pipelab file.
            try db.execute("DROP TABLE IF EXISTS t; CREATE TABLE t (\"\(column.name)\" \(column.type))")
            for value in Self.values {
                try db.execute("DELETE FROM t; INSERT INTO t VALUES (\(value))")
                let sql = RowRules.rules(for: table, columns: [column], schema: "main")[0].holds
                let native = RowRules.valuesKeep(for: table, columns: [column])
                let answers = try db.prepare("SELECT \(native), COALESCE((\(sql)), 0), typeof(t.\"\(column.name)\") FROM t t")
                    .rows { ($0.int(0), $0.int(1), $0.text(2)) }
                #expect(answers.count == 1)
                for (keeps, holds, type) in answers {
                    #expect(keeps == holds, "\(table).\(column.name) = \(value) (\(type)): native \(keeps), SQL \(holds)")
                    checked += 1
                }
            }
        }
        #expect(checked == Self.columns.count * Self.values.count)
    }

    /// A malformed rule is an error, not a row let through.
    @Test func aMalformedRuleIsAnError() throws {
        let db = try Connection(path: ":memory:", create: true)
        for spec in ["", "x 0 1 2;", "i 0 1 2", "i 0 1 2;i 0 1 2;"] {
            #expect(throws: StoreError.self, "\(spec)") { try db.prepare("SELECT pipelab_values_keep('\(spec)', 1)").rows { $0.int(0) } }
        }
    }
}
