import Glibc

/// The type of file stat reports (st_mode), in words for a message naming a path that is not a
/// regular file: `\(path) is a FIFO`.
package enum FileType {
    /// "a FIFO", "a device", "a directory", "a socket"; nil for a regular file. stat follows links,
    /// so a mode it filled in is never a link's.
    package static func words(_ mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG: nil
        case S_IFIFO: "a FIFO"
        case S_IFCHR, S_IFBLK: "a device"
        case S_IFDIR: "a directory"
        case S_IFSOCK: "a socket"
        default: "a special file"
        }
    }
}
