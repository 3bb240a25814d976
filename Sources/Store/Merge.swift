import Foundation
import PipeLabExperiment
import PipeLabKernel

/// What one input added to the output of `pipelab merge`.
public struct MergeCounts: Equatable, Sendable {
    public var hosts = 0
    public var sweeps = 0
    public var runs = 0
    public var steps = 0
}

/// `pipelab merge`: copies hosts, sweeps, skipped, runs, steps (and packets, where both sides
/// have that table) from another pipelab database into this one, by UUID. A row whose UUID is
/// already here is left alone, so merging a file twice adds nothing; integer ids are given anew
/// and the references remapped through the UUIDs. Everything is INSERT … SELECT over an attached
/// database, so no input is ever held in memory.
extension Store {
    /// Tables whose rows belong to a run, copied for the runs an input adds.
    package static let runChildTables = ["steps", "packets"]

    /// Merges the pipelab database at `input`, which is never written: it is read through a
    /// read-only connection and copied (VACUUM INTO) to a temporary file, which is migrated to
    /// this pipelab's schema and attached. One transaction per input: on failure nothing of it stays.
    public func merge(from input: String) throws(StoreError) -> MergeCounts {
        let snapshot = try Self.migratedSnapshot(of: input)
        defer { try? FileManager.default.removeItem(atPath: snapshot) }
        return try copy(from: snapshot, group: nil)
    }

    /// Copies what this database lacks from the database at `path` (at this schema, or older:
    /// only the columns both have are copied): everything, or only the sweeps of one `group` of
    /// shards and their hosts.
    package func copy(from path: String, group: String?) throws(StoreError) -> MergeCounts {
        try db.prepare("ATTACH DATABASE ? AS input").bind([.text(path)]).run()
        defer { try? db.execute("DETACH DATABASE input") }
        let scope: Statement.Value = group.map { .text($0) } ?? .null
        return try db.writeTransaction { () throws(StoreError) -> MergeCounts in
            var counts = MergeCounts()
            counts.hosts = try copyNew("hosts", scope: scope, where: "?1 IS NULL OR source.id IN (SELECT host_id FROM input.sweeps WHERE group_uuid = ?1)")
            counts.sweeps = try copyNew("sweeps", scope: scope, where: "?1 IS NULL OR source.group_uuid = ?1", remapping: [
                "host_id": "(SELECT m.id FROM main.hosts m JOIN input.hosts i ON i.uuid = m.uuid WHERE i.id = source.host_id)",
            ])
            let skipped = try sharedColumns("skipped", except: ["sweep_id"])
            try db.execute("""
                INSERT OR IGNORE INTO main.skipped (\(skipped.joined(separator: ", ")), sweep_id)
                SELECT \(skipped.map { "source." + $0 }.joined(separator: ", ")), m.id
                FROM input.skipped source JOIN input.sweeps i ON i.id = source.sweep_id JOIN main.sweeps m ON m.uuid = i.uuid
                """)
            let lastRunBefore = try db.prepare("SELECT COALESCE(MAX(id), 0) FROM main.runs").rows { $0.int(0) }.first ?? 0
            let sweepOfRun = "(SELECT m.id FROM main.sweeps m JOIN input.sweeps i ON i.uuid = m.uuid WHERE i.id = source.sweep_id)"
            counts.runs = try copyNew("runs", scope: scope, where: "\(sweepOfRun) IS NOT NULL", remapping: ["sweep_id": sweepOfRun])
            for table in Self.runChildTables {
                guard try hasTable(table, in: "main"), try hasTable(table, in: "input") else { continue }
                let copied = try copyChildren(table, ofRunsAfter: lastRunBefore)
                if table == "steps" { counts.steps = copied }
            }
            return counts
        }
    }

    /// Copies the rows of `table` whose uuid this database lacks and that meet `condition` (SQL
    /// over the input row, `source`, with `scope` bound to ?1); the id is given anew and each
    /// column in `remapping` is computed by its SQL expression.
    private func copyNew(_ table: String, scope: Statement.Value, where condition: String,
                         remapping: [String: String] = [:]) throws(StoreError) -> Int {
        let columns = try sharedColumns(table, except: ["id"] + remapping.keys)
        let targets = columns + remapping.keys.sorted()
        let values = columns.map { "source." + $0 } + remapping.keys.sorted().compactMap { remapping[$0] }
        try db.prepare("""
            INSERT INTO main.\(table) (\(targets.joined(separator: ", ")))
            SELECT \(values.joined(separator: ", ")) FROM input.\(table) source
            WHERE source.uuid NOT IN (SELECT uuid FROM main.\(table)) AND (\(condition)) ORDER BY source.id
            """).bind([scope]).run()
        return try changes()
    }

    /// Copies the rows of a table keyed by run_id for the runs added in this transaction (those
    /// with an id above `lastRunBefore`), mapping run_id through the run's UUID.
    private func copyChildren(_ table: String, ofRunsAfter lastRunBefore: Int64) throws(StoreError) -> Int {
        let columns = try sharedColumns(table, except: ["run_id"])
        try db.prepare("""
            INSERT INTO main.\(table) (run_id, \(columns.joined(separator: ", ")))
            SELECT m.id, \(columns.map { "source." + $0 }.joined(separator: ", "))
            FROM input.\(table) source JOIN input.runs i ON i.id = source.run_id JOIN main.runs m ON m.uuid = i.uuid
            WHERE m.id > ?
            """).bind([.int(lastRunBefore)]).run()
        return try changes()
    }

    /// Columns of `table` present in this database and in the input, in this database's order:
    /// a column a later migration adds is copied without naming it here.
    private func sharedColumns(_ table: String, except excluded: [String]) throws(StoreError) -> [String] {
        let inInput = Set(try columns(of: table, in: "input"))
        return try columns(of: table, in: "main").filter { inInput.contains($0) && !excluded.contains($0) }
    }

    private func columns(of table: String, in schema: String) throws(StoreError) -> [String] {
        try db.prepare("SELECT name FROM pragma_table_info(?, ?) ORDER BY cid").bind([.text(table), .text(schema)]).rows { $0.text(0) }
    }

    private func hasTable(_ table: String, in schema: String) throws(StoreError) -> Bool {
        try !columns(of: table, in: schema).isEmpty
    }

    private func changes() throws(StoreError) -> Int {
        Int(try db.prepare("SELECT changes()").rows { $0.int(0) }.first ?? 0)
    }

    /// A temporary copy of the input at this pipelab's schema. The input is opened read-only:
    /// a file that is not SQLite, not pipelab's, or from a newer pipelab is refused untouched.
    package static func migratedSnapshot(of input: String) throws(StoreError) -> String {
        guard FileManager.default.fileExists(atPath: input) else {
            throw StoreError(.notFound, "no database at \(input)")
        }
        let source = try Connection(path: input, create: false, readOnly: true)
        let tables = try source.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").rows { $0.text(0) }
        guard tables.contains("pipelab_migrations") else {
            throw StoreError(.notADatabase, "\(input) is a SQLite database but not pipelab's (no pipelab_migrations table); it was left unchanged")
        }
        try Migrator.refuseNewer(source)
        let snapshot = FileManager.default.temporaryDirectory
            .appendingPathComponent("pipelab-merge-\(UUIDv7.next()).sqlite").path
        try source.prepare("VACUUM INTO ?").bind([.text(snapshot)]).run()
        do {
            _ = try Store(path: snapshot, create: false)
        } catch {
            try? FileManager.default.removeItem(atPath: snapshot)
            throw error
        }
        return snapshot
    }
}
