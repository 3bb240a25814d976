import CPipeLabSupport
import CSQLite
import Dispatch
import Glibc
import PipeLabExperiment
import PipeLabKernel
import Synchronization

/// An error from SQLite, with what pipelab was doing.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable {
        /// Not a SQLite database, damaged, without pipelab's schema, or of another schema version.
        case notADatabase, tooNew
        /// The file or its directory cannot be opened, created or written (read-only, disk full).
        case cannotOpen
        /// The path names something that is not a regular file (a FIFO, a device, a directory).
        case notAFile
        /// Another process holds the database or the sweep.
        case busy
        /// A signal asked the work to stop (SQLITE_INTERRUPT from the progress handler).
        case interrupted
        case notFound, other
    }
    public let kind: Kind
    public let message: String
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
    public var description: String { message }
}

// SQLITE_TRANSIENT tells SQLite to copy bound text; the C macro does not import.
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// One SQLite connection. Only the Store folder talks to it.
package final class Connection {
    package let handle: OpaquePointer
    package let path: String
    /// Opened only to read: whatever it writes is SQLite's temporary files.
    package let readOnly: Bool
    /// Kept alive while SQLite's progress handler points at it.
    private var stopCheck: StopCheck?

    /// Before SQLite's first use: no global allocation statistics, which pipelab never reads.
    private static let configured: Void = { _ = pipelab_sqlite_fast_malloc() }()

    /// Opens `path`; `create` allows a new file. Nothing is written here. Every file is read as
    /// someone else's: the defensive flag and an untrusted schema (pipelab_sqlite_distrust_schema).
    package init(path: String, create: Bool, readOnly: Bool = false) throws(StoreError) {
        Self.configured
        try Self.refuseSpecial(path)
        var db: OpaquePointer?
        let flags = readOnly ? SQLITE_OPEN_READONLY
            : (SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0))
        let status = sqlite3_open_v2(Self.uri(path, readOnly: readOnly), &db, flags | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, nil)
        guard status == SQLITE_OK, let db else {
            let reason = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let db { sqlite3_close(db) }
            let cause = Self.unwritable(path).map { "\($0); make it writable, or pass another --db" } ?? reason
            throw StoreError(.cannotOpen, "cannot open database \(path): \(cause)")
        }
        handle = db
        self.path = path
        self.readOnly = readOnly
        guard pipelab_sqlite_distrust_schema(db) == SQLITE_OK else {
            throw StoreError(.other, "cannot open database \(path): SQLite refused the defensive flag")
        }
        guard pipelab_sqlite_add_values_keep(db) == SQLITE_OK else {
            throw StoreError(.other, "cannot open database \(path): SQLite refused pipelab's row-rule function")
        }
        sqlite3_busy_timeout(db, 30_000)
        sqlite3_extended_result_codes(db, 1)
    }

    deinit { sqlite3_close_v2(handle) }

    /// A FIFO or a device would hang SQLite's open (a FIFO blocks until a writer comes) or be
    /// read as a database; only a regular file, or a path that does not exist yet, is opened.
    package static func refuseSpecial(_ path: String) throws(StoreError) {
        var status = stat()
        guard stat(path, &status) == 0, let kind = FileType.words(status.st_mode) else { return }
        throw StoreError(.notAFile, "\(path) is \(kind), not a database file; accepted: the path of a regular file, such as pipelab.sqlite")
    }

    /// The file as a URI. A reader of a database on read-only media (no -wal or -shm beside it,
    /// and none can be made) opens it immutable: no process can be writing it there. Anywhere
    /// else a reader shares the -shm with writers and sees their commits.
    package static func uri(_ path: String, readOnly: Bool, mode: String? = nil) -> String {
        if path == ":memory:" { return "file::memory:" }
        let escaped = path.utf8.map { byte -> String in
            let c = Character(Unicode.Scalar(byte))
            return byte < 0x80 && (c.isLetter || c.isNumber || "/-_.~".contains(c)) ? String(c) : "%" + String(byte, radix: 16, uppercase: true).leftPadded()
        }.joined()
        let walFree = access(path + "-wal", F_OK) != 0 && access(path + "-shm", F_OK) != 0
        let immutable = readOnly && walFree && access(directory(of: path), W_OK) != 0
        let parameters = (mode.map { ["mode=" + $0] } ?? []) + (immutable ? ["immutable=1"] : [])
        return "file:\(escaped)" + (parameters.isEmpty ? "" : "?" + parameters.joined(separator: "&"))
    }

    /// Asks `stop` every few thousand virtual-machine steps of any statement; when it says so the
    /// statement ends with SQLITE_INTERRUPT (StoreError.interrupted). Nil removes the handler.
    package func interrupt(when stop: (() -> Bool)?) {
        stopCheck = stop.map(StopCheck.init)
        guard let stopCheck else {
            sqlite3_progress_handler(handle, 0, nil, nil)
            return
        }
        sqlite3_progress_handler(handle, 10_000, { context in
            guard let context else { return 0 }
            return Unmanaged<StopCheck>.fromOpaque(context).takeUnretainedValue().stop() ? 1 : 0
        }, Unmanaged.passUnretained(stopCheck).toOpaque())
    }

    /// Runs `body` and interrupts its statement from another thread once `budgetNs` have passed
    /// (it ends with StoreError.interrupted): SQLite 3.40 asks no progress handler during the
    /// page walk of quick_check, which reads the whole file, however large, in one step.
    package func interrupting<T>(afterNs budgetNs: Int64, _ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        let alarm = Alarm(handle)
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(clamping: budgetNs))) { alarm.ring() }
        defer { alarm.disarm() }
        return try body()
    }

    /// Interrupts a connection unless disarmed first: once disarmed, it never touches the
    /// connection again (which may be closed by then).
    private final class Alarm: @unchecked Sendable {
        private let handle: OpaquePointer
        private let armed = Mutex(true)
        init(_ handle: OpaquePointer) { self.handle = handle }
        func ring() { armed.withLock { if $0 { sqlite3_interrupt(handle) } } }
        func disarm() { armed.withLock { $0 = false } }
    }

    /// Between statements: the same question the progress handler asks within one.
    package func checkStop() throws(StoreError) {
        if stopCheck?.stop() == true { throw error(SQLITE_INTERRUPT, "interrupted") }
    }

    private final class StopCheck {
        let stop: () -> Bool
        init(_ stop: @escaping () -> Bool) { self.stop = stop }
    }

    package func execute(_ sql: String) throws(StoreError) {
        var message: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(handle, sql, nil, nil, &message)
        guard status == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(status))
            sqlite3_free(message)
            throw error(status, text)
        }
    }

    package func prepare(_ sql: String) throws(StoreError) -> Statement {
        var statement: OpaquePointer?
        let status = sqlite3_prepare_v2(handle, sql, -1, &statement, nil)
        guard status == SQLITE_OK, let statement else { throw error(status, String(cString: sqlite3_errmsg(handle))) }
        return Statement(statement, connection: self)
    }

    /// Runs `body` in a write transaction taken up front (BEGIN IMMEDIATE), so two writers wait
    /// for each other instead of failing with "database is locked" halfway.
    /// Inside another transaction it joins that one, so a caller can make several steps one.
    package func writeTransaction<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        if sqlite3_get_autocommit(handle) == 0 { return try body() }
        try execute("BEGIN IMMEDIATE")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    package var lastInsertedRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    package var changes: Int { Int(sqlite3_changes(handle)) }

    /// Whether the database attached as `schema` (pipelab's own name: main, input) has the table `table`.
    package func hasTable(_ table: String, in schema: String) throws(StoreError) -> Bool {
        try !prepare("SELECT 1 FROM \(schema).sqlite_master WHERE type = 'table' AND name = ?").bind([.text(table)]).rows { _ in true }.isEmpty
    }

    /// What makes `path` unwritable (the file, or its directory, where the journal goes), if anything.
    package static func unwritable(_ path: String) -> String? {
        for (what, target) in [("the file", path), ("its directory", directory(of: path))]
            where access(target, F_OK) == 0 && access(target, W_OK) != 0 {
            return "\(what) is not writable (\(String(cString: strerror(errno))))"
        }
        return nil
    }

    package static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Classifies a SQLite failure by what the user can do about it (README "Fault contract").
    package func error(_ status: Int32, _ text: String) -> StoreError {
        switch status & 0xff {
        case SQLITE_NOTADB:
            return StoreError(.notADatabase, "\(path) is not a SQLite database (\(text)); it was left unchanged")
        case SQLITE_CORRUPT:
            return StoreError(.notADatabase, "\(path) is damaged (\(text)); restore it from a copy, or recover what is readable with `sqlite3 \(path) .recover`")
        case SQLITE_FULL where readOnly || path.isEmpty:
            // A reader writes nothing but SQLite's temporary files (sorts, a group's fold).
            let directory = getenv("TMPDIR").map { "TMPDIR (\(String(cString: $0)))" } ?? "TMPDIR (unset, so /var/tmp or /tmp)"
            let what = path.isEmpty ? "a temporary database" : "database \(path), which was left unchanged"
            return StoreError(.cannotOpen, "cannot read \(what): SQLite's temporary files filled their disk, \(directory); free some space there, or set TMPDIR to a directory on a larger disk")
        case SQLITE_FULL:
            return StoreError(.cannotOpen, "cannot write database \(path): the disk is full; free some space (completed runs are kept; `pipelab sweep --resume` finishes a sweep)")
        case SQLITE_READONLY, SQLITE_CANTOPEN, SQLITE_IOERR, SQLITE_PERM:
            if let readOnly = Self.unwritable(path) {
                return StoreError(.cannotOpen, "cannot write database \(path): \(readOnly); make it writable, or pass another --db")
            }
            return StoreError(.cannotOpen, "cannot write database \(path): \(text); check that the file and its directory are writable and the disk is healthy")
        case SQLITE_INTERRUPT:
            return StoreError(.interrupted, "interrupted; database \(path) is as it was before the interrupted transaction")
        case SQLITE_BUSY, SQLITE_LOCKED:
            return StoreError(.busy, "database \(path) is locked by another process (\(text)); try again once it is done")
        default:
            return StoreError(.other, "database \(path): \(text)")
        }
    }
}

private extension String {
    func leftPadded() -> String { count < 2 ? "0" + self : self }
}

/// A prepared statement: bind by position (1-based), step, read columns (0-based).
package final class Statement {
    private let statement: OpaquePointer
    private unowned let connection: Connection

    package init(_ statement: OpaquePointer, connection: Connection) {
        self.statement = statement
        self.connection = connection
    }

    deinit { sqlite3_finalize(statement) }

    package enum Value {
        case null, int(Int64), text(String)
    }

    @discardableResult
    package func bind(_ values: [Value]) -> Statement {
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            switch value {
            case .null: sqlite3_bind_null(statement, index)
            case .int(let v): sqlite3_bind_int64(statement, index, v)
            case .text(let v): sqlite3_bind_text(statement, index, v, -1, transient)
            }
        }
        return self
    }

    // Positional binding without building an array of values: the recording hot path.

    package func clear() {
        sqlite3_reset(statement)
    }

    package func bind(_ index: Int32, _ value: Int64) {
        sqlite3_bind_int64(statement, index, value)
    }

    package func bind(_ index: Int32, _ value: Double) {
        sqlite3_bind_double(statement, index, value)
    }

    package func bind(_ index: Int32, _ value: Int64?) {
        if let value { sqlite3_bind_int64(statement, index, value) } else { sqlite3_bind_null(statement, index) }
    }

    package func bind(_ index: Int32, _ value: String?) {
        if let value { sqlite3_bind_text(statement, index, value, -1, transient) } else { sqlite3_bind_null(statement, index) }
    }

    /// Binds one of the few texts that repeat in every row (enum names, errno names) from a
    /// copy kept for the life of the process, so SQLite need not copy it for each row.
    package func bind(_ index: Int32, constant value: String?) {
        guard let value else {
            sqlite3_bind_null(statement, index)
            return
        }
        sqlite3_bind_text(statement, index, ConstantText.pointer(value), -1, nil)
    }

    /// Steps a statement that returns no rows.
    package func run() throws(StoreError) {
        let status = sqlite3_step(statement)
        sqlite3_reset(statement)
        guard status == SQLITE_DONE || status == SQLITE_ROW else {
            throw connection.error(status, String(cString: sqlite3_errmsg(connection.handle)))
        }
    }

    /// Steps through every row, handing each to `row`.
    package func forEachRow(_ row: (Row) throws(StoreError) -> Void) throws(StoreError) {
        defer { sqlite3_reset(statement) }
        while true {
            let status = sqlite3_step(statement)
            if status == SQLITE_DONE { return }
            guard status == SQLITE_ROW else {
                throw connection.error(status, String(cString: sqlite3_errmsg(connection.handle)))
            }
            try row(Row(statement: statement))
        }
    }

    package func rows<T>(_ transform: (Row) throws(StoreError) -> T) throws(StoreError) -> [T] {
        var all: [T] = []
        try forEachRow { (row: Row) throws(StoreError) in all.append(try transform(row)) }
        return all
    }
}

/// The current row of a statement.
package struct Row {
    package let statement: OpaquePointer

    package func isNull(_ column: Int32) -> Bool { sqlite3_column_type(statement, column) == SQLITE_NULL }
    package func int(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }
    package func optionalInt(_ column: Int32) -> Int64? { isNull(column) ? nil : int(column) }
    package func double(_ column: Int32) -> Double { sqlite3_column_double(statement, column) }
    package func text(_ column: Int32) -> String {
        guard let bytes = sqlite3_column_text(statement, column) else { return "" }
        return String(cString: bytes)
    }
    package func optionalText(_ column: Int32) -> String? { isNull(column) ? nil : text(column) }
}

/// C copies of the small set of texts that repeat in every row, made once and never freed.
package enum ConstantText {
    nonisolated(unsafe) private static var pointers: [String: UnsafeMutablePointer<CChar>] = [:]
    private static let lock = Lock()

    package static func pointer(_ text: String) -> UnsafePointer<CChar> {
        lock.withLock {
            if let existing = pointers[text] { return UnsafePointer(existing) }
            let copy = strdup(text)!
            pointers[text] = copy
            return UnsafePointer(copy)
        }
    }
}
