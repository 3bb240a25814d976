import PipeLabExperiment
import PipeLabKernel

/// Checks a pipelab database someone else wrote before anything of it is copied or read for a
/// report (DESIGN.md, "Untrusted input"): it is only read, never executed. Its tables must be tables with this
/// pipelab's columns (a view in place of `runs` could run forever; a generated column computes
/// on every read), its indexes this pipelab's, its schema version this binary's, and every row
/// must keep the documented rules, in one pass per table. Its own triggers and views are never
/// run (nothing of it is written, and none of its views is read), so they are ignored.
package struct InputCheck {
    /// The tables merge reads, parents first.
    package static let tables = ["hosts", "sweeps", "skipped", "runs", "steps", "packets"]

    let db: Connection
    /// The schema the input is reached through: "main" on its own connection, "input" when attached.
    let schema: String
    /// The file's path, for messages.
    let path: String
    /// What the refusal left undone, for messages: "nothing was merged", "nothing was written".
    let consequence: String

    package init(_ db: Connection, schema: String, path: String, consequence: String = "nothing was merged") {
        (self.db, self.schema, self.path, self.consequence) = (db, schema, path, consequence)
    }

    /// The tables whose rows a reader that never reads a run's steps checks: `sweeps` and
    /// `compare` (a pass over a million steps costs seconds).
    package static let tablesAboveSteps = ["hosts", "sweeps", "skipped", "runs"]

    /// Checks the version and every table's shape, then the rows of `rowTables`.
    package func run(rowTables: [String] = tables) throws(StoreError) {
        try checkVersion()
        let reference = try Reference.make()
        for table in Self.tables + ["pipelab_migrations"] {
            try db.checkStop()
            try checkShape(of: table, reference: reference)
        }
        for table in Self.tables where rowTables.contains(table) {
            try db.checkStop()
            try checkRows(of: table, reference: reference)
        }
    }

    private func refuse(_ problem: String) -> StoreError {
        StoreError(.notADatabase, "\(path): \(problem); \(consequence)")
    }

    /// The same migrations as this binary: merge copies columns as they are, and migrating a copy
    /// of the input first would run the input's triggers.
    private func checkVersion() throws(StoreError) {
        let shape = try db.prepare("SELECT type FROM \(schema).sqlite_master WHERE name = 'pipelab_migrations'").rows { $0.text(0) }
        guard shape == ["table"] else {
            throw refuse("a SQLite database but not pipelab's (no pipelab_migrations table)")
        }
        let applied = Set(try db.prepare("SELECT version FROM \(schema).pipelab_migrations").rows { Int($0.int(0)) })
        let known = Set(Migrator.all.map(\.version))
        if let newer = applied.subtracting(known).max() {
            throw StoreError(.tooNew, "\(path) has schema version \(newer), which this pipelab \(PipeLabVersion.current) does not know; use a newer pipelab; \(consequence)")
        }
        if let missing = known.subtracting(applied).min() {
            throw refuse("its schema lacks migration \(missing) of this pipelab; bring it forward first with `pipelab migrate --db \(path)` (on a copy if you do not trust the file: migrating runs its triggers)")
        }
    }

    /// `table` is a plain table with exactly this pipelab's columns (no generated ones) and indexes.
    private func checkShape(of table: String, reference: Connection) throws(StoreError) {
        let entry = try db.prepare("SELECT type, sql FROM \(schema).sqlite_master WHERE name = ?1 AND tbl_name = ?1 AND type IN ('table', 'view')")
            .bind([.text(table)]).rows { ($0.text(0), $0.text(1)) }
        guard let (type, sql) = entry.first else {
            if table == "packets" { return }
            throw refuse("it has no table \(table)")
        }
        guard type == "table", sql.hasPrefix("CREATE TABLE") else {
            throw refuse("\(table) is a \(type == "table" ? "virtual table" : type), not a table; accepted: pipelab's tables only")
        }
        let columns = "SELECT name, type, \"notnull\", pk, hidden FROM pragma_table_xinfo(?1, ?2) ORDER BY name"
        let found = try db.prepare(columns).bind([.text(table), .text(schema)]).rows(Self.describe)
        let expected = try reference.prepare(columns).bind([.text(table), .text("main")]).rows(Self.describe)
        guard found == expected else {
            let odd = Set(found).symmetricDifference(expected).sorted().prefix(3).joined(separator: ", ")
            throw refuse("table \(table) does not have this pipelab's columns (\(odd)); accepted: pipelab's tables only")
        }
        let indexes = "SELECT name, COALESCE(sql, '') FROM \(schema).sqlite_master WHERE type = 'index' AND tbl_name = ? ORDER BY name"
        let foundIndexes = try db.prepare(indexes).bind([.text(table)]).rows { "\($0.text(0)) \($0.text(1))" }
        let expectedIndexes = try reference.prepare(indexes.replacingOccurrences(of: "\(schema).", with: "main."))
            .bind([.text(table)]).rows { "\($0.text(0)) \($0.text(1))" }
        guard foundIndexes == expectedIndexes else {
            throw refuse("table \(table) has indexes pipelab does not make; accepted: pipelab's indexes only")
        }
    }

    private static func describe(_ row: Row) -> String {
        "\(row.text(0)) \(row.text(1))\(row.int(2) != 0 ? " NOT NULL" : "")\(row.int(3) != 0 ? " PRIMARY KEY" : "")\(row.int(4) != 0 ? " GENERATED" : "")"
    }

    /// One pass over `table`: the first row that breaks a rule, and the rule, refuse the file.
    private func checkRows(of table: String, reference: Connection) throws(StoreError) {
        let exists = try db.prepare("SELECT 1 FROM \(schema).sqlite_master WHERE type = 'table' AND name = ?").bind([.text(table)]).rows { _ in true }
        guard !exists.isEmpty else { return }
        let columns = try reference.prepare("SELECT name, type, \"notnull\" FROM pragma_table_info(?) ORDER BY cid").bind([.text(table)])
            .rows { RowRules.Column(name: $0.text(0), type: $0.text(1), notNull: $0.int(2) != 0) }
        let rules = RowRules.rules(for: table, columns: columns, schema: schema)
        let cases = rules.enumerated().map { index, rule in "WHEN NOT COALESCE((\(rule.holds)), 0) THEN \(index)" }.joined(separator: " ")
        let broken = try db.prepare("""
            SELECT key, broken FROM (SELECT \(RowRules.key(of: table)) AS key, CASE \(cases) END AS broken FROM \(schema).\(table) t)
            WHERE broken IS NOT NULL LIMIT 1
            """).rows { row in (row.text(0), Int(row.int(1))) }
        if let (key, index) = broken.first, rules.indices.contains(index) {
            throw refuse("\(table) row \(key) breaks the rule: \(rules[index].description)")
        }
    }
}

/// This binary's schema in a new in-memory database: what an input's tables are compared with.
enum Reference {
    static func make() throws(StoreError) -> Connection {
        let db = try Connection(path: ":memory:", create: true)
        try Migrator.migrate(db)
        return db
    }
}
