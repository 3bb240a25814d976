/// Applies the embedded `Migrations/NNNN_name.sql` files in order, each once, in one write
/// transaction with its bookkeeping row, so two processes opening a new database at the same
/// moment apply them exactly once.
struct Migrator {
    struct Migration {
        var version: Int
        var name: String
        var sql: String
    }

    static let all: [Migration] = embeddedMigrations.compactMap { file, sql in
        // File names are checked by a test; a malformed one would never be applied.
        guard let version = Int(file.prefix(4)), file.dropFirst(4).hasPrefix("_") else { return nil }
        return Migration(version: version, name: String(file.dropFirst(5).dropLast(4)), sql: sql)
    }

    static var latestVersion: Int { all.last?.version ?? 0 }

    /// The highest version applied to the database (0 for a new one).
    static func appliedVersion(_ db: Connection) throws(StoreError) -> (version: Int, by: String?) {
        let exists = try db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'pipelab_migrations'")
            .rows { _ in true }
        guard !exists.isEmpty else { return (0, nil) }
        let rows = try db.prepare("SELECT version, applied_by FROM pipelab_migrations ORDER BY version DESC LIMIT 1")
            .rows { (Int($0.int(0)), $0.text(1)) }
        return rows.first ?? (0, nil)
    }

    /// Refuses a database from a newer pipelab; applies what is missing.
    static func migrate(_ db: Connection) throws(StoreError) {
        try refuseNewer(db)
        let current = try appliedVersion(db).version
        guard current < latestVersion else { return }
        try db.writeTransaction { () throws(StoreError) in
            // Read again inside the lock: another process may have migrated meanwhile.
            let applied = try appliedVersion(db).version
            for migration in all where migration.version > applied {
                try db.execute(migration.sql)
                try db.prepare("INSERT INTO pipelab_migrations (version, name, applied_at, applied_by) VALUES (?, ?, ?, ?)")
                    .bind([.int(Int64(migration.version)), .text(migration.name), .text(Timestamp.iso8601(WallClock.now())),
                           .text(PipeLabVersion.current)])
                    .run()
            }
        }
    }

    static func refuseNewer(_ db: Connection) throws(StoreError) {
        let (version, by) = try appliedVersion(db)
        guard version > latestVersion else { return }
        throw StoreError(.tooNew, "\(db.path) has schema version \(version) (from pipelab \(by ?? "unknown")); this pipelab \(PipeLabVersion.current) knows schema versions up to \(latestVersion): use a newer pipelab")
    }
}
