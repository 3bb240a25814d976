import PipeLabExperiment
import PipeLabKernel

/// Applies the embedded `Migrations/NNNN_name.sql` files in order, each once, in one write
/// transaction with its bookkeeping row, so two processes opening a new database at the same
/// moment apply them exactly once.
package struct Migrator {
    package struct Migration {
        package var version: Int
        package var name: String
        package var sql: String
    }

    package static let all: [Migration] = embeddedMigrations.compactMap { file, sql in
        // File names are checked by a test; a malformed one would never be applied.
        guard let version = Int(file.prefix(4)), file.dropFirst(4).hasPrefix("_") else { return nil }
        return Migration(version: version, name: String(file.dropFirst(5).dropLast(4)), sql: sql)
    }

    package static var latestVersion: Int { all.last?.version ?? 0 }

    /// Migrations/views.sql: every view, made anew after the migrations (views hold no data).
    package static let views = embeddedMigrations.first { $0.file == viewsFile }?.sql ?? ""
    package static let viewsFile = "views.sql"

    /// A hash of views.sql kept in PRAGMA user_version (31 bits, never 0): whether the database's
    /// views are this binary's.
    package static let viewsHash: Int64 = {
        var hash: UInt32 = 2_166_136_261
        for byte in views.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return Int64(hash & 0x7fff_ffff | 1)
    }()

    /// The highest version applied to the database (0 for a new one).
    package static func appliedVersion(_ db: Connection) throws(StoreError) -> (version: Int, by: String?) {
        let exists = try db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'pipelab_migrations'")
            .rows { _ in true }
        guard !exists.isEmpty else { return (0, nil) }
        let rows = try db.prepare("SELECT version, applied_by FROM pipelab_migrations ORDER BY version DESC LIMIT 1")
            .rows { (Int($0.int(0)), $0.text(1)) }
        return rows.first ?? (0, nil)
    }

    /// The migrations not applied yet. By set, not by the highest version: branches that add
    /// migrations side by side may be merged in any order.
    package static func missing(_ db: Connection) throws(StoreError) -> [Migration] {
        guard try appliedVersion(db).version > 0 else { return all }
        let applied = Set(try db.prepare("SELECT version FROM pipelab_migrations").rows { Int($0.int(0)) })
        return all.filter { !applied.contains($0.version) }
    }

    /// Refuses a database from a newer pipelab; applies what is missing, then makes the views
    /// those of views.sql if they are not.
    package static func migrate(_ db: Connection) throws(StoreError) {
        try refuseNewer(db)
        let stale = try viewsAreStale(db)
        guard try !missing(db).isEmpty || stale else { return }
        try db.writeTransaction { () throws(StoreError) in
            // Read again inside the lock: another process may have migrated meanwhile.
            for migration in try missing(db) {
                try db.execute(migration.sql)
                try db.prepare("INSERT INTO pipelab_migrations (version, name, applied_at, applied_by) VALUES (?, ?, ?, ?)")
                    .bind([.int(Int64(migration.version)), .text(migration.name), .text(Timestamp.iso8601(WallClock.now())),
                           .text(PipeLabVersion.current)])
                    .run()
            }
            guard try viewsAreStale(db) else { return }
            let names = try db.prepare("SELECT name FROM sqlite_master WHERE type = 'view'").rows { (row: Row) -> String in row.text(0) }
            for name in names {
                try db.execute("DROP VIEW \"\(name.replacingOccurrences(of: "\"", with: "\"\""))\"")
            }
            try db.execute(views)
            try db.execute("PRAGMA user_version = \(viewsHash)")
        }
    }

    package static func viewsAreStale(_ db: Connection) throws(StoreError) -> Bool {
        try db.prepare("PRAGMA user_version").rows { $0.int(0) }.first != viewsHash
    }

    /// For a reader: views.sql as TEMP views of this connection, which shadow the file's views of
    /// the same name, so queries see this binary's views whoever wrote the file (an older pipelab,
    /// or a hand that set user_version and put its own queries there) and the file is not changed.
    package static func useOwnViews(_ db: Connection) throws(StoreError) {
        try db.execute(views.replacingOccurrences(of: "CREATE VIEW ", with: "CREATE TEMP VIEW "))
    }

    /// A readable SQLite file without pipelab's bookkeeping table: another program's database.
    package static func refuseForeign(_ db: Connection) throws(StoreError) {
        guard try appliedVersion(db).version == 0 else { return }
        throw StoreError(.notADatabase, "\(db.path) is not a pipelab database (no pipelab_migrations table); it was left unchanged (`pipelab migrate --db \(db.path)` would make it one)")
    }

    /// Reading commands never migrate: an older schema is brought forward by a recording command.
    package static func refuseOlder(_ db: Connection) throws(StoreError) {
        guard try !missing(db).isEmpty else { return }
        let version = try appliedVersion(db).version
        throw StoreError(.notADatabase, "\(db.path) has schema version \(version); this pipelab reads version \(latestVersion): run `pipelab migrate --db \(db.path)` first")
    }

    package static func refuseNewer(_ db: Connection) throws(StoreError) {
        let (version, by) = try appliedVersion(db)
        guard version > latestVersion else { return }
        throw StoreError(.tooNew, "\(db.path) has schema version \(version) (from pipelab \(by ?? "unknown")); this pipelab \(PipeLabVersion.current) knows schema versions up to \(latestVersion): use a newer pipelab")
    }
}
