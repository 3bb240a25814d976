import PipeLabExperiment
import PipeLabKernel

/// Checks a pipelab database someone else wrote before anything of it is copied or read for a
/// report (DESIGN.md, "Untrusted input"): it is only read, never executed. Its tables must be tables with this
/// pipelab's columns (a view in place of `runs` could run forever; a generated column computes
/// on every read), its indexes this pipelab's, its schema version this binary's, and every row
/// must keep the documented rules: all of them, one pass per table, before merge copies it
/// (`run`); for a reader, the small tables' rows at once and the runs, steps and packets it reads
/// as it reads them (`runForReading`, `checkRows(of:where:)`), so a report over a million runs
/// does not pay a pass over ten million rows. Its own triggers and views are never run (nothing
/// of it is written, and none of its views is read), so they are ignored.
package final class InputCheck {
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

    /// This binary's schema, made once per process (Reference).
    private func reference() throws(StoreError) -> Reference {
        try Reference.shared.get()
    }

    /// The tables a reader checks whole when it opens the file: one row per host, sweep or
    /// skipped combination, however many runs.
    package static let tablesAboveRuns = ["hosts", "sweeps", "skipped"]

    /// Checks the version and every table's shape, then every row of every table: what merge copies.
    package func run() throws(StoreError) {
        let reference = try checkShapes()
        for table in Self.tables {
            try db.checkStop()
            try checkRows(of: table, reference: reference)
        }
    }

    /// What a recording command checks in a file it did not just create, once it is migrated:
    /// the version, every table's shape and the rows of `tablesAboveRuns` (a resume reads its
    /// sweep's row and plan, a shard its group's); the runs are a reader's to check as it reads them.
    package func runForRecording() throws(StoreError) {
        let reference = try checkShapes()
        for table in Self.tablesAboveRuns {
            try checkRows(of: table, reference: reference)
        }
    }

    /// What a reader checks when it opens the file: the version, every table's shape, the rows of
    /// `tablesAboveRuns`, and that every run is of a sweep of the file (two counts over the
    /// index by sweep, not a pass over the rows). The runs, steps and packets it reads are
    /// checked as it reads them: `checkRows(of:where:)` for the rows it loads, and a value that
    /// does not decode is traced to its row and rule by `locateBrokenRow`.
    package func runForReading() throws(StoreError) {
        let reference = try checkShapes()
        for table in Self.tablesAboveRuns {
            try checkRows(of: table, reference: reference)
        }
        if try !everyRunIsOfASweep() {
            try checkRows(of: "runs", reference: reference)
        }
    }

    /// Whether every run's sweep_id is the id of a sweep of the file, found by seeking the runs'
    /// index by sweep from one distinct sweep_id to the next (one seek per sweep, not a pass over
    /// the runs). A value that is not an integer is met by the seeks too (NULL by a seek of its
    /// own; a real between two integers, text and blobs after them) and answers no.
    private func everyRunIsOfASweep() throws(StoreError) -> Bool {
        let sweeps = try db.prepare("SELECT COUNT(*) FROM \(schema).sweeps").rows { $0.int(0) }.first ?? 0
        guard try db.prepare("SELECT 1 FROM \(schema).runs WHERE sweep_id IS NULL LIMIT 1").rows({ _ in true }).isEmpty else { return false }
        // Each a seek (MIN over a range of an index whose first column is sweep_id).
        func lowest(_ condition: String) throws(StoreError) -> Statement {
            try db.prepare("""
                SELECT typeof(s), s, EXISTS (SELECT 1 FROM \(schema).sweeps WHERE id = s)
                FROM (SELECT MIN(sweep_id) AS s FROM \(schema).runs WHERE \(condition))
                """)
        }
        var step = try lowest("1")
        let next = try lowest("sweep_id > ?")
        for _ in 0...sweeps {
            guard let (type, id, known) = try step.rows({ ($0.text(0), $0.int(1), $0.int(2) != 0) }).first else { return false }
            if type == "null" { return true }
            guard type == "integer", known else { return false }
            step = next.bind([.int(id)])
        }
        return false
    }

    /// What merge checks when it will copy only some of the file's sweeps: the version, the
    /// shapes, the rows of `tablesAboveRuns`, and the rows of the runs of the sweeps `sweepIDs`
    /// (ids in the file) with their steps and packets: the rows it copies.
    package func runForCopying(sweepIDs: [Int64]) throws(StoreError) {
        let reference = try checkShapes()
        for table in Self.tablesAboveRuns {
            try db.checkStop()
            try checkRows(of: table, reference: reference)
        }
        try checkRuns(ofSweeps: sweepIDs, reference: reference)
    }

    /// Checks the rows of the runs of the sweeps `sweepIDs` (ids in the file), their steps and packets.
    package func checkRuns(ofSweeps sweepIDs: [Int64]) throws(StoreError) {
        try checkRuns(ofSweeps: sweepIDs, reference: try reference())
    }

    private func checkRuns(ofSweeps sweepIDs: [Int64], reference: Reference) throws(StoreError) {
        guard !sweepIDs.isEmpty else { return }
        let list: [Statement.Value] = [.text("[" + sweepIDs.map(String.init).joined(separator: ",") + "]")]
        try checkRows(of: "runs", reference: reference, where: "t.sweep_id IN (SELECT value FROM json_each(?))", list)
        for table in ["steps", "packets"] where try db.hasTable(table, in: schema) {
            try db.checkStop()
            try checkRows(of: table, reference: reference, where: """
                t.run_id IN (SELECT id FROM \(schema).runs WHERE sweep_id IN (SELECT value FROM json_each(?)))
                """, list)
        }
    }

    /// Checks the rows of `table` that meet `condition` (SQL over the row `t`, with `values` bound).
    package func checkRows(of table: String, where condition: String, _ values: [Statement.Value] = []) throws(StoreError) {
        try checkRows(of: table, reference: try reference(), where: condition, values)
    }

    /// The values a reader counted out of `source` into the TEMP table `table` (one row per
    /// distinct combination, so a few hundred rows for a million runs) keep `source`'s column
    /// rules; one that does not is traced to its row and rule in `source`.
    package func checkValues(in table: String, from source: String) throws(StoreError) {
        let reference = try reference()
        let present = Set(try db.prepare("SELECT name FROM pragma_table_info(?, 'temp')").bind([.text(table)]).rows { $0.text(0) })
        let columns = reference.columns(of: source).filter { present.contains($0.name) }
        let rules = RowRules.rules(for: source, columns: columns, schema: schema).filter { rule in
            Self.columnsNamed(in: rule.holds).isSubset(of: present)
        }
        let broken = try db.prepare("SELECT 1 FROM temp.\(table) t WHERE NOT (\(rules.map { "COALESCE((\($0.holds)), 0)" }.joined(separator: " AND "))) LIMIT 1")
            .rows { _ in true }
        if !broken.isEmpty {
            throw locateBrokenRow(refuse("\(source) holds a value outside the documented rules"))
        }
    }

    /// After a value read from the file did not decode: every row of the tables a reader reads
    /// in passes, so the refusal names the row and the rule; `error` when none breaks one.
    package func locateBrokenRow(_ original: StoreError) -> StoreError {
        do {
            let reference = try reference()
            for table in ["runs", "steps", "packets"] { try checkRows(of: table, reference: reference) }
        } catch {
            return error
        }
        return original
    }

    /// The columns of the row `t` that a rule's SQL names (`t.name` or `t."name"`).
    private static func columnsNamed(in sql: String) -> Set<String> {
        Set(sql.split(separator: "t.", omittingEmptySubsequences: false).dropFirst().map { rest in
            String(rest.drop { $0 == "\"" }.prefix { $0.isLetter || $0.isNumber || $0 == "_" })
        })
    }

    private func checkShapes() throws(StoreError) -> Reference {
        try checkVersion()
        let reference = try reference()
        for table in Self.tables + ["pipelab_migrations"] {
            try db.checkStop()
            try checkShape(of: table, reference: reference)
        }
        return reference
    }

    private func refuse(_ problem: String) -> StoreError {
        StoreError(.notADatabase, "\(path): \(problem); \(consequence)")
    }

    /// The same migrations as this binary: merge copies columns as they are.
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
            throw refuse("its schema lacks migration \(missing) of this pipelab; bring it forward first with `pipelab migrate --db \(path)`")
        }
    }

    /// `table` is a plain table with exactly this pipelab's columns (no generated ones) and indexes.
    private func checkShape(of table: String, reference: Reference) throws(StoreError) {
        let entry = try db.prepare("SELECT type, sql FROM \(schema).sqlite_master WHERE name = ?1 AND tbl_name = ?1 AND type IN ('table', 'view')")
            .bind([.text(table)]).rows { ($0.text(0), $0.text(1)) }
        guard let (type, sql) = entry.first else {
            if table == "packets" { return }
            throw refuse("it has no table \(table)")
        }
        guard type == "table", sql.hasPrefix("CREATE TABLE") else {
            throw refuse("\(table) is a \(type == "table" ? "virtual table" : type), not a table; accepted: pipelab's tables only")
        }
        let found = try db.prepare(Self.columnsQuery).bind([.text(table), .text(schema)]).rows(Self.describe)
        let expected = reference.described(table)
        guard found == expected else {
            let odd = Set(found).symmetricDifference(expected).sorted().prefix(3).joined(separator: ", ")
            throw refuse("table \(table) does not have this pipelab's columns (\(odd)); accepted: pipelab's tables only")
        }
        let indexes = "SELECT name, COALESCE(sql, '') FROM \(schema).sqlite_master WHERE type = 'index' AND tbl_name = ? ORDER BY name"
        let foundIndexes = try db.prepare(indexes).bind([.text(table)]).rows { "\($0.text(0)) \($0.text(1))" }
        let expectedIndexes = reference.indexes(of: table)
        guard foundIndexes == expectedIndexes else {
            throw refuse("table \(table) has indexes pipelab does not make; accepted: pipelab's indexes only")
        }
    }

    /// A table's columns (?1) in a schema (?2), for `describe`.
    static let columnsQuery = "SELECT name, type, \"notnull\", pk, hidden FROM pragma_table_xinfo(?1, ?2) ORDER BY name"

    static func describe(_ row: Row) -> String {
        "\(row.text(0)) \(row.text(1))\(row.int(2) != 0 ? " NOT NULL" : "")\(row.int(3) != 0 ? " PRIMARY KEY" : "")\(row.int(4) != 0 ? " GENERATED" : "")"
    }

    /// One pass over the rows of `table` that meet `condition`: the first row that breaks a rule,
    /// and the rule, refuse the file.
    private func checkRows(of table: String, reference: Reference, where condition: String = "1", _ values: [Statement.Value] = []) throws(StoreError) {
        guard try db.hasTable(table, in: schema) else { return }
        let columns = reference.columns(of: table)
        // The table's CHECK constraints too, over the row's bare column names (merge copies with them off).
        let rules = RowRules.rules(for: table, columns: columns, schema: schema)
            + reference.checks(of: table).map { RowRules.Rule(holds: "COALESCE((\($0)), 1)", description: "CHECK (\($0))") }
        // Whether a row breaks a rule, asked with the column rules in one native call a row and the
        // others as one condition of a CASE: SQLite jumps out at the first false or NULL, where
        // `NOT COALESCE(rule, 0)` computes the value of every rule of every row. Only a file with
        // a broken row pays the pass that names the row and the rule.
        let holds = ([RowRules.valuesKeep(for: table, columns: columns)] + rules.dropFirst(columns.count).map(\.holds))
            .map { "(\($0))" }.joined(separator: " AND ")
        let anyBroken = try db.prepare("""
            SELECT 1 FROM \(schema).\(table) t WHERE (\(condition)) AND CASE WHEN \(holds) THEN 0 ELSE 1 END LIMIT 1
            """).bind(values).rows { _ in true }
        guard !anyBroken.isEmpty else { return }
        let cases = rules.enumerated().map { index, rule in "WHEN NOT COALESCE((\(rule.holds)), 0) THEN \(index)" }.joined(separator: " ")
        let broken = try db.prepare("""
            SELECT key, broken FROM (SELECT \(RowRules.key(of: table)) AS key, CASE \(cases) END AS broken FROM \(schema).\(table) t
                                     WHERE \(condition))
            WHERE broken IS NOT NULL LIMIT 1
            """).bind(values).rows { row in (row.text(0), Int(row.int(1))) }
        if let (key, index) = broken.first, rules.indices.contains(index) {
            throw refuse("\(table) row \(key) breaks the rule: \(rules[index].description)")
        }
        throw refuse("\(table) holds a row outside the documented rules")
    }
}

/// This binary's schema, what an input's tables are compared with: read once per process (a merge
/// of ten inputs checks each twice) from a new in-memory database migrated from scratch.
struct Reference: Sendable {
    struct Table: Sendable {
        /// Each column as `InputCheck.describe` puts it, by name.
        var described: [String]
        /// Each index as "NAME SQL", by name.
        var indexes: [String]
        /// The columns the row rules are made from, in the table's order.
        var columns: [RowRules.Column]
        /// The expressions of its CHECK constraints (a row breaks one where it is false).
        var checks: [String]
    }

    var tables: [String: Table]

    static let shared = Result { () throws(StoreError) -> Reference in try make() }

    func described(_ table: String) -> [String] { tables[table]?.described ?? [] }
    func indexes(of table: String) -> [String] { tables[table]?.indexes ?? [] }
    func columns(of table: String) -> [RowRules.Column] { tables[table]?.columns ?? [] }
    func checks(of table: String) -> [String] { tables[table]?.checks ?? [] }

    private static func make() throws(StoreError) -> Reference {
        let db = try Connection(path: ":memory:", create: true)
        try Migrator.migrate(db)
        var tables: [String: Table] = [:]
        for table in InputCheck.tables + ["pipelab_migrations"] {
            tables[table] = Table(
                described: try db.prepare(InputCheck.columnsQuery).bind([.text(table), .text("main")]).rows(InputCheck.describe),
                indexes: try db.prepare("SELECT name, COALESCE(sql, '') FROM main.sqlite_master WHERE type = 'index' AND tbl_name = ? ORDER BY name")
                    .bind([.text(table)]).rows { "\($0.text(0)) \($0.text(1))" },
                columns: try db.prepare("SELECT name, type, \"notnull\" FROM pragma_table_info(?) ORDER BY cid").bind([.text(table)])
                    .rows { RowRules.Column(name: $0.text(0), type: $0.text(1), notNull: $0.int(2) != 0) },
                checks: try db.prepare("SELECT sql FROM main.sqlite_master WHERE type = 'table' AND name = ?").bind([.text(table)])
                    .rows { RowRules.checkConstraints(in: $0.text(0)) }.flatMap { $0 })
        }
        return Reference(tables: tables)
    }
}
