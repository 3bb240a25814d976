import Foundation
import PipeLabExperiment

/// The one owner of a pipelab database: it opens and migrates the file, and every other part of
/// pipelab reaches the database only through its methods.
public final class Store {
    package let db: Connection
    public var path: String { db.path }

    /// Opens (and, with `create`, creates) the database at `path` and migrates it forward: for
    /// the commands that record. A file that is not a SQLite database, or one from a newer
    /// pipelab, is refused before anything is written to it.
    public init(path: String, create: Bool) throws(StoreError) {
        if !create { try Self.refuseMissing(path) }
        db = try Connection(path: path, create: create)
        // Reading first: SQLite discovers a file that is not a database here, without writing.
        _ = try db.prepare("SELECT count(*) FROM sqlite_master").rows { $0.int(0) }
        try Migrator.refuseNewer(db)
        try setJournalModeWAL()
        try db.execute("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL")
        try Migrator.migrate(db)
    }

    /// Opens an existing pipelab database without writing to it (SQLITE_OPEN_READONLY): for
    /// `sweeps`, `report` and `compare`. Any other SQLite file is refused and left as it was.
    /// A WAL database is read through its -shm like by any reader, so a report sees the runs
    /// a sweep is recording at that moment.
    public init(readingFrom path: String) throws(StoreError) {
        try Self.refuseMissing(path)
        db = try Connection(path: path, create: false, readOnly: true)
        try Migrator.refuseForeign(db)
        try Migrator.refuseNewer(db)
        try Migrator.refuseOlder(db)
        try Migrator.useCurrentViews(db)
    }

    private static func refuseMissing(_ path: String) throws(StoreError) {
        if !FileManager.default.fileExists(atPath: path) {
            throw StoreError(.notFound, "no pipelab database at \(path) (run `pipelab sweep` first, or pass --db)")
        }
    }

    /// WAL lets reports and sqlite3 sessions read while a sweep writes. Switching needs a moment
    /// alone with the file, so a busy answer from a concurrent opener is retried.
    private func setJournalModeWAL() throws(StoreError) {
        var attempts = 0
        while true {
            do {
                _ = try db.prepare("PRAGMA journal_mode = WAL").rows { $0.text(0) }
                return
            } catch where attempts < 200 && error.message.contains("locked") {
                attempts += 1
                usleep(10_000)
            }
        }
    }

    /// The schema version of the open database and the newest this binary carries.
    public func schemaVersions() throws(StoreError) -> (database: Int, binary: Int) {
        (try Migrator.appliedVersion(db).version, Migrator.latestVersion)
    }

    /// The applied migrations, oldest first.
    public func appliedMigrations() throws(StoreError) -> [(version: Int, name: String, appliedAt: String)] {
        try db.prepare("SELECT version, name, applied_at FROM pipelab_migrations ORDER BY version")
            .rows { (Int($0.int(0)), $0.text(1), $0.text(2)) }
    }
}
