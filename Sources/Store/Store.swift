import Foundation
import PipeLabExperiment
import PipeLabKernel

/// The one owner of a pipelab database: it opens and migrates the file, and every other part of
/// pipelab reaches the database only through its methods.
public final class Store {
    package let db: Connection
    public var path: String { db.path }
    /// The check of an untrusted file, for the rows read after it was opened; nil for a file this
    /// pipelab records into.
    private var readCheck: InputCheck?
    /// The sweeps whose runs `temp.run_groups` counts now (RunGroupCounts).
    var countedSweeps: [Int64]?

    /// Opens (and, with `create`, creates) the database at `path` and migrates it forward: for
    /// the commands that record. A file that is not a SQLite database, or one from a newer
    /// pipelab, is refused before anything is written to it. `damageCheckNs`: how long the
    /// damage check may read (`refuseDamaged`).
    public init(path: String, create: Bool, damageCheckNs: Int64 = Store.damageCheckBudgetNs) throws(StoreError) {
        if !create { try Self.refuseMissing(path) }
        let existed = FileManager.default.fileExists(atPath: path)
        db = try Connection(path: path, create: create)
        // Reading first: SQLite discovers a file that is not a database here, without writing.
        _ = try db.prepare("SELECT count(*) FROM sqlite_master").rows { $0.int(0) }
        try refuseDamaged(within: damageCheckNs)
        try Migrator.refuseNewer(db)
        try setJournalModeWAL()
        try db.execute("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA cell_size_check = ON")
        try Migrator.migrate(db)
        // A file pipelab did not just create may be crafted: a view in place of `runs` would
        // spin in the first query, a generated column compute on every read, a view of its own
        // (under a user_version that claims it is this binary's) answer the sweep's summary.
        if existed {
            try InputCheck(db, schema: "main", path: path, consequence: "nothing was recorded").runForRecording()
            try Migrator.useOwnViews(db)
        }
    }

    /// Opens an existing pipelab database without writing to it (SQLITE_OPEN_READONLY): for
    /// `sweeps`, `report` and `compare`. Any other SQLite file is refused and left as it was.
    /// A WAL database is read through its -shm like by any reader, so a report sees the runs
    /// a sweep is recording at that moment. The file may come from anywhere (a colleague, a
    /// cluster), so it is read as untrusted, like a merge input: its tables must be pipelab's and
    /// its rows keep the documented rules (InputCheck: the hosts, sweeps and skipped rows at
    /// once, the runs, steps and packets as they are read), and its own views are never used
    /// (this binary's views shadow them as TEMP views).
    public init(readingFrom path: String) throws(StoreError) {
        try Self.refuseMissing(path)
        db = try Connection(path: path, create: false, readOnly: true)
        try Migrator.refuseForeign(db)
        try Migrator.refuseNewer(db)
        try Migrator.refuseOlder(db)
        let check = InputCheck(db, schema: "main", path: path, consequence: "it was left unchanged and nothing was written")
        try check.runForReading()
        readCheck = check
        try Migrator.useOwnViews(db)
    }

    /// Checks the rows of `table` that meet `condition` before they are read, when the file is
    /// untrusted (opened for reading); a file this pipelab records into is its own.
    package func checkRead(_ table: String, where condition: String, _ values: [Statement.Value]) throws(StoreError) {
        try readCheck?.checkRows(of: table, where: condition, values)
    }

    /// Checks the values counted into the TEMP table `table` from `source` (see `checkRead`).
    package func checkValues(in table: String, from source: String) throws(StoreError) {
        try readCheck?.checkValues(in: table, from: source)
    }

    /// Runs `body`, a read of the file; a value in it that does not decode is traced to the row and
    /// the rule it breaks (in an untrusted file), so the refusal names them.
    package func namingBrokenRow<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        do { return try body() } catch where error.kind == .notADatabase {
            throw readCheck?.locateBrokenRow(error) ?? error
        }
    }

    private static func refuseMissing(_ path: String) throws(StoreError) {
        if !FileManager.default.fileExists(atPath: path) {
            throw StoreError(.notFound, "no pipelab database at \(path); accepted: a database that `pipelab sweep` made")
        }
    }

    /// A damaged page is found before the first write, so a recording command never adds to a
    /// file it would make worse. quick_check reads every page and row (measured: about 3 µs a row,
    /// a few seconds for a million steps), so it is given `damageCheckBudgetNs`: a larger file is
    /// checked that far, and beyond it cell_size_check (on for every writer) makes SQLite refuse
    /// a damaged page that a write touches, which rolls the write's transaction back.
    private func refuseDamaged(within budgetNs: Int64) throws(StoreError) {
        // Only the file's structure: a row that breaks a CHECK is named, column and value, by the
        // reader that decodes it.
        try db.execute("PRAGMA ignore_check_constraints = ON")
        defer { try? db.execute("PRAGMA ignore_check_constraints = OFF") }
        let problems: [String]
        do {
            problems = try db.interrupting(afterNs: budgetNs) { () throws(StoreError) in
                try db.prepare("PRAGMA quick_check(1)").rows { $0.text(0) }
            }
        } catch where error.kind == .interrupted {
            return
        }
        guard let problem = problems.first, problem != "ok" else { return }
        throw StoreError(.notADatabase, "\(db.path) is damaged (\(problem)); it was left unchanged; restore it from a copy, or recover what is readable with `sqlite3 \(db.path) .recover`")
    }

    public static let damageCheckBudgetNs: Int64 = 3_000_000_000
    /// Merge's: a merge again of inputs it holds must take under a second (issue 22), and the
    /// pages it writes are under cell_size_check like every writer's.
    public static let mergeDamageCheckNs: Int64 = 200_000_000

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
