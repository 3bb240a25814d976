import Glibc

/// What a database file and its write-ahead log are on disk: device, inode, size, and the times
/// of their last change. Any write changes the change time (ctime), which no program can set back,
/// so equal identities taken before and after a read mean that nothing wrote in between: merge
/// checks an input's rows once, before the output exists, and copies them unchecked only from a
/// snapshot of that same file unchanged since (else it checks the rows it copies again).
public struct FileIdentity: Equatable, Sendable {
    private var parts: [[Int64]]

    /// The identity of the database at `path` and of `path-wal`; nil when the file cannot be read.
    /// An empty log is no log: SQLite makes one when a reader opens the file and removes it when
    /// the last one closes, and a write to the file through it leaves it not empty.
    public static func of(_ path: String) -> FileIdentity? {
        guard let database = status(of: path) else { return nil }
        let log = status(of: path + "-wal").flatMap { $0[2] == 0 ? nil : $0 }
        return FileIdentity(parts: [database, log ?? []])
    }

    private static func status(of path: String) -> [Int64]? {
        var info = Glibc.stat()
        guard fstatat(AT_FDCWD, path, &info, 0) == 0 else { return nil }
        return [Int64(truncatingIfNeeded: info.st_dev), Int64(truncatingIfNeeded: info.st_ino), Int64(truncatingIfNeeded: info.st_size),
                Int64(truncatingIfNeeded: info.st_mtim.tv_sec), Int64(truncatingIfNeeded: info.st_mtim.tv_nsec),
                Int64(truncatingIfNeeded: info.st_ctim.tv_sec), Int64(truncatingIfNeeded: info.st_ctim.tv_nsec)]
    }
}
