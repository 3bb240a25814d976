import Foundation
import PipeLabExperiment
import PipeLabKernel

/// What one input added to the output of `pipelab merge`.
public struct MergeCounts: Equatable, Sendable {
    public var hosts = 0
    public var sweeps = 0
    public var runs = 0
    public var steps = 0
    /// Sweeps this database held that the input holds further along (a shard resumed since the
    /// last merge), and the runs of theirs that were replaced.
    public var updatedSweeps = 0
    public var replacedRuns = 0
}

/// `pipelab merge`: copies hosts, sweeps, skipped, runs, steps (and packets) from another
/// pipelab database into this one, by UUID. A row whose UUID is already here is left alone, so
/// merging a file twice adds nothing, except a sweep the input holds further along (more valid
/// runs, or completed since): its status and runs are replaced by the input's, so merging a
/// shard again after it progressed equals merging it once at the end. Integer ids are given
/// anew and the references remapped through the UUIDs. The input is untrusted (InputCheck): it is attached read-only, nothing of
/// it is executed, and its shape and the rows it copies are checked before a row is copied (once:
/// by `checkMergeInput`, or in the merge's own snapshot). Everything is INSERT … SELECT over the
/// attached file, so no input is held in memory or copied to TMPDIR.
extension Store {
    /// Tables whose rows belong to a run, copied for the runs an input adds.
    package static let runChildTables = ["steps", "packets"]

    /// The offset that puts runs with the ids `input` right after the run `last` here, or nil when
    /// an id would pass the 64-bit range (neither file is trusted to hold ids pipelab wrote).
    static func runOffset(after last: Int64, placing input: ClosedRange<Int64>) -> Int64? {
        let (next, overflow) = last.addingReportingOverflow(1)
        guard !overflow else { return nil }
        let (offset, under) = next.subtractingReportingOverflow(input.lowerBound)
        guard !under, !input.upperBound.addingReportingOverflow(offset).overflow else { return nil }
        return offset
    }

    /// Checks the database at `input` as merge will read it, before any output exists: exit 65
    /// with the file and the rule when it is not pipelab's or breaks a rule; `stop` is asked
    /// every few thousand steps of SQLite's work and ends the check when it says so. With
    /// `rows`, every row (what a new output copies); without, the shapes and the hosts, sweeps and
    /// skipped rows (an existing output may need none of its runs: those it copies are checked
    /// then). Returns the file's identity when every row was checked and nothing wrote to the file
    /// during the check, so the merge can copy from that same file without checking it again.
    @discardableResult
    public static func checkMergeInput(_ input: String, rows: Bool = true, stop: @escaping () -> Bool) throws(StoreError) -> FileIdentity? {
        guard FileManager.default.fileExists(atPath: input) else {
            throw StoreError(.notFound, "no database at \(input)")
        }
        let before = FileIdentity.of(input)
        let source = try Connection(path: input, create: false, readOnly: true)
        source.interrupt(when: stop)
        // Reading first: SQLite finds a file that is not a database here.
        _ = try source.prepare("SELECT count(*) FROM sqlite_master").rows { $0.int(0) }
        let check = InputCheck(source, schema: "main", path: input)
        if rows { try check.run() } else { try check.runForCopying(sweepIDs: []) }
        return rows && FileIdentity.of(input) == before ? before : nil
    }

    /// Merges the pipelab database at `input` in one transaction: on failure nothing of it stays.
    /// It is read from one snapshot throughout; the rows it copies are checked in that snapshot,
    /// unless `checked` is the identity `checkMergeInput` found and the file still has it.
    public func merge(from input: String, checked: FileIdentity? = nil, stop: @escaping () -> Bool) throws(StoreError) -> MergeCounts {
        try Connection.refuseSpecial(input)
        // An input's rows go into the output's tables and four indexes in one transaction: a
        // cache that holds them spares SQLite writing pages out and reading them back (64 MiB
        // at most, however many runs).
        try db.execute("PRAGMA main.cache_size = -65536")
        db.interrupt(when: stop)
        defer { db.interrupt(when: nil) }
        return try copy(from: input, group: nil, checked: checked)
    }

    /// Copies what this database lacks from the database at `path`, checked first (InputCheck):
    /// everything, or only the sweeps of one `group` of shards and their hosts.
    package func copy(from path: String, group: String?, checked: FileIdentity? = nil) throws(StoreError) -> MergeCounts {
        try db.prepare("ATTACH DATABASE ? AS input").bind([.text(Connection.uri(path, readOnly: true, mode: "ro"))]).run()
        defer { try? db.execute("DETACH DATABASE input") }
        let scope: Statement.Value = group.map { .text($0) } ?? .null
        // The rows copied are held to the CHECK constraints by the input's check (InputCheck), so
        // the copy skips them: SQLite 3.40 builds a temporary b-tree for each of their `IN (…)`
        // lists at every row (about a third of the copy's time).
        try db.execute("PRAGMA ignore_check_constraints = ON")
        defer { try? db.execute("PRAGMA ignore_check_constraints = OFF") }
        return try db.writeTransaction { () throws(StoreError) -> MergeCounts in
            // The snapshot begins with this read; the identity is taken after it.
            _ = try db.prepare("SELECT count(*) FROM input.sqlite_master").rows { $0.int(0) }
            let unchanged = checked != nil && FileIdentity.of(path) == checked
            let check = InputCheck(db, schema: "input", path: path)
            try check.runForCopying(sweepIDs: [])
            try refuseOtherFacts(path)
            let ahead = try sweepsAhead(scope: scope)
            if !unchanged {
                let added = try db.prepare("""
                    SELECT i.id FROM input.sweeps i WHERE (?1 IS NULL OR i.group_uuid = ?1) AND i.uuid NOT IN (SELECT uuid FROM main.sweeps)
                    """).bind([scope]).rows { $0.int(0) }
                try check.checkRuns(ofSweeps: added + ahead.map(\.input))
            }
            var counts = MergeCounts()
            let updated = try takeProgress(ahead)
            (counts.updatedSweeps, counts.replacedRuns) = (updated.sweeps.count, updated.runs)
            let lastSweepBefore = try db.prepare("SELECT COALESCE(MAX(id), 0) FROM main.sweeps").rows { $0.int(0) }.first ?? 0
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
            // Runs go only into the sweeps added or updated now: with none, none is read (a merge again).
            guard counts.sweeps > 0 || !updated.sweeps.isEmpty else { return counts }
            let lastRunBefore = try db.prepare("SELECT COALESCE(MAX(id), 0) FROM main.runs").rows { $0.int(0) }.first ?? 0
            // A run copied keeps its place: its id here is its id there plus one offset, above every
            // run here, so its steps and packets follow it by arithmetic, not by a look-up of its UUID.
            let ids = try db.prepare("SELECT COALESCE(MIN(id), 0), COALESCE(MAX(id), 0) FROM input.runs")
                .rows { ($0.int(0), $0.int(1)) }.first ?? (0, 0)
            guard let offset = Self.runOffset(after: lastRunBefore, placing: ids.0...max(ids.0, ids.1)) else {
                throw StoreError(.notADatabase, "\(path): its runs (ids \(ids.0) to \(ids.1)) cannot follow \(db.path)'s "
                                 + "(up to id \(lastRunBefore)) within SQLite's 64-bit ids; pipelab writes ids from 1; nothing was merged")
            }
            let sweepOfRun = "(SELECT m.id FROM main.sweeps m JOIN input.sweeps i ON i.uuid = m.uuid WHERE i.id = source.sweep_id)"
            // Only into the sweeps added or updated now: a sweep here that the input holds no
            // further along keeps its runs (the input's may be an older attempt's harness errors).
            let fresh = "\(sweepOfRun) > \(lastSweepBefore) OR \(sweepOfRun) IN (SELECT value FROM json_each('\(Self.jsonList(updated.sweeps))'))"
            counts.runs = try copyNew("runs", scope: scope, where: fresh, remapping: ["id": "source.id + \(offset)", "sweep_id": sweepOfRun])
            // Every run of a checked file copied: each of its steps and packets is of one of them (checked), so none need be looked up.
            let inputRuns = try db.prepare("SELECT COUNT(*) FROM input.runs").rows { $0.int(0) }.first ?? 0
            let everyRunCopied = unchanged && Int64(counts.runs) == inputRuns
            for table in Self.runChildTables {
                guard try db.hasTable(table, in: "main"), try db.hasTable(table, in: "input") else { continue }
                let copied = try copyChildren(table, ofRunsAfter: lastRunBefore, offset: offset, everyRunCopied: everyRunCopied)
                if table == "steps" { counts.steps = copied }
            }
            return counts
        }
    }

    /// How far the sweep `alias` of `schema` got, as a row value that only grows while it is
    /// recorded and resumed: completed or not, then valid runs, then runs, then interrupted over running.
    private static func progress(of alias: String, in schema: String) -> String {
        """
        (\(alias).status = 'completed',
         (SELECT COUNT(*) FROM \(schema).runs r WHERE r.sweep_id = \(alias).id AND r.outcome IS NOT 'harness-error'),
         (SELECT COUNT(*) FROM \(schema).runs r WHERE r.sweep_id = \(alias).id), \(alias).status = 'interrupted')
        """
    }

    /// The sweeps here that the input holds further along: their ids here and in the input.
    private func sweepsAhead(scope: Statement.Value) throws(StoreError) -> [(main: Int64, uuid: String, input: Int64)] {
        try db.prepare("""
            SELECT m.id, m.uuid, i.id FROM main.sweeps m JOIN input.sweeps i ON i.uuid = m.uuid
            WHERE (?1 IS NULL OR i.group_uuid = ?1) AND \(Self.progress(of: "i", in: "input")) > \(Self.progress(of: "m", in: "main"))
            """).bind([scope]).rows { ($0.int(0), $0.text(1), $0.int(2)) }
    }

    /// For each sweep here that the input holds further along (`ahead`): its runs (with their
    /// steps and packets, by cascade) are deleted and its row takes the input's values, so the
    /// copy that follows brings in the input's runs. Returns the ids of the sweeps updated and the
    /// runs deleted.
    private func takeProgress(_ ahead: [(main: Int64, uuid: String, input: Int64)]) throws(StoreError) -> (sweeps: [Int64], runs: Int) {
        guard !ahead.isEmpty else { return ([], 0) }
        let columns = try sharedColumns("sweeps", except: ["id", "uuid", "host_id"])
        var replaced = 0
        for (id, uuid, _) in ahead {
            try db.prepare("DELETE FROM main.runs WHERE sweep_id = ?").bind([.int(id)]).run()
            replaced += db.changes
            try db.prepare("""
                UPDATE main.sweeps SET (\(columns.joined(separator: ", "))) = (SELECT \(columns.joined(separator: ", ")) FROM input.sweeps WHERE uuid = ?1)
                WHERE uuid = ?1
                """).bind([.text(uuid)]).run()
        }
        return (ahead.map(\.main), replaced)
    }

    /// A host is its facts: an input row that shares a host's or a sweep's UUID with this
    /// database but says something else of it would have its runs put under the wrong machine.
    private func refuseOtherFacts(_ path: String) throws(StoreError) {
        let host = try db.prepare("""
            SELECT i.uuid FROM input.hosts i JOIN main.hosts m ON m.uuid = i.uuid
            WHERE (i.hostname, i.kernel, i.os, i.arch, i.cpus, i.sysctls) IS NOT (m.hostname, m.kernel, m.os, m.arch, m.cpus, m.sysctls)
            LIMIT 1
            """).rows { $0.text(0) }
        if let uuid = host.first {
            throw StoreError(.notADatabase, "\(path): host \(uuid) is already in \(db.path) with other facts (hostname, kernel, os, arch, cpus or sysctls); a host's UUID names its facts; nothing was merged")
        }
        let sweep = try db.prepare("""
            SELECT i.uuid FROM input.sweeps i JOIN main.sweeps m ON m.uuid = i.uuid
            JOIN input.hosts ih ON ih.id = i.host_id JOIN main.hosts mh ON mh.id = m.host_id
            WHERE ih.uuid IS NOT mh.uuid OR i.spec IS NOT m.spec LIMIT 1
            """).rows { $0.text(0) }
        if let uuid = sweep.first {
            throw StoreError(.notADatabase, "\(path): sweep \(uuid) is already in \(db.path) with another host or spec; nothing was merged")
        }
        // A group has one N and one dealing: shards of two partitions would not add up to the grid.
        let partition = try db.prepare("""
            SELECT i.group_uuid, i.shard_index, i.shard_count, m.shard_count FROM input.sweeps i JOIN main.sweeps m ON m.group_uuid = i.group_uuid
            WHERE (i.shard_count, i.shard_dealing) IS NOT (m.shard_count, m.shard_dealing) LIMIT 1
            """).rows { ($0.text(0), $0.int(1), $0.int(2), $0.int(3)) }
        if let (group, index, count, ours) = partition.first {
            let what = count == ours ? "dealt otherwise (by another pipelab version)" : "as \(ours) shards"
            throw StoreError(.notADatabase, "\(path): its shard \(index)/\(count) is of group \(group), which \(db.path) holds \(what); a group has one partition; nothing was merged")
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
        return db.changes
    }

    /// Copies the rows of a table keyed by run_id for the runs added in this transaction (those
    /// with an id above `lastRunBefore`, each the input's id plus `offset`), in the input's order.
    /// Unless `everyRunCopied` (of a file whose every row was checked), each row's run is looked
    /// up among them (0.13 s of 0.72 s for 800,000 steps).
    private func copyChildren(_ table: String, ofRunsAfter lastRunBefore: Int64, offset: Int64, everyRunCopied: Bool) throws(StoreError) -> Int {
        let columns = try sharedColumns(table, except: ["run_id"])
        try db.prepare("""
            INSERT INTO main.\(table) (run_id, \(columns.joined(separator: ", ")))
            SELECT source.run_id + ?2, \(columns.map { "source." + $0 }.joined(separator: ", "))
            FROM input.\(table) source
            WHERE source.run_id + ?2 > ?1\(everyRunCopied ? "" : " AND EXISTS (SELECT 1 FROM main.runs m WHERE m.id = source.run_id + ?2)")
            """).bind([.int(lastRunBefore), .int(offset)]).run()
        return db.changes
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
}
