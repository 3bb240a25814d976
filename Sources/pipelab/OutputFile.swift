import Foundation
import Glibc
import PipeLabExperiment
import PipeLabKernel
import PipeLabNetwork
import PipeLabReport
import PipeLabStore
import PipeLabSweep
import PipeLabWorker

/// Writes a command's output files all or none. Each is written to a temporary file created
/// exclusively (mkstemp) in its destination's directory, so nothing planted at a predictable name
/// is followed; once every file is written whole, each is renamed into place.
enum OutputFile {
    struct Output {
        var path: String
        var bytes: [UInt8]

        init(path: String, content: String) { (self.path, bytes) = (path, Array(content.utf8)) }
        init(path: String, bytes: [UInt8]) { (self.path, self.bytes) = (path, bytes) }
    }

    static func write(_ outputs: [Output]) throws {
        var written: [(temporary: String, destination: String)] = []
        do {
            // Every destination is checked before anything is written.
            let destinations = try outputs.map { output in try checkDestination(output.path) }
            for (output, destination) in zip(outputs, destinations) {
                written.append((try writeTemporary(output.bytes, beside: destination), destination))
            }
            for (temporary, destination) in written {
                guard rename(temporary, destination) == 0 else {
                    throw SystemError("renaming the temporary file to \(destination)", errno: errno)
                }
            }
        } catch {
            for (temporary, _) in written { unlink(temporary) }
            let names = outputs.map(\.path).joined(separator: ", ")
            throw CommandFailure(message: "cannot write \(names): \(error); nothing was written", exitCode: 73)
        }
    }

    /// `option`'s path, refused as bad input (64) before the command does any work when it could
    /// never be written: empty, or a device, FIFO or socket (or a link to one, like /dev/stdout).
    /// A missing directory or a directory in the way are found by write(), as failures to write (73).
    static func checkUpFront(_ path: String, option: String) throws(InputError) {
        let accepted = "accepted: the path of a regular file, or a new one, in an existing directory"
        guard !path.isEmpty else { throw InputError("\(option): the path is empty; \(accepted)") }
        if let special = special(path) { throw InputError("\(option): \(special); \(accepted)") }
    }

    /// Where `path`'s content goes: the path itself when nothing is there yet or a regular file is,
    /// or the regular file a symbolic link names (the link stays).
    static func checkDestination(_ path: String) throws -> String {
        var status = stat()
        if let special = special(path) { throw Problem(special) }
        if lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFDIR {
            throw Problem("\(path) is a directory; accepted: a file path such as report.md")
        }
        var destination = path
        if let resolved = realpath(path, nil) {
            destination = String(cString: resolved)
            free(resolved)
        }
        let directory = URL(fileURLWithPath: destination).deletingLastPathComponent().path
        guard stat(directory, &status) == 0 else { throw SystemError("the directory \(directory)", errno: errno) }
        guard status.st_mode & S_IFMT == S_IFDIR else { throw Problem("\(directory) is not a directory") }
        return destination
    }

    /// What is wrong with renaming a new file over `path`: it would replace a device, a FIFO, a
    /// socket or what a link names with a regular file (as root, `--pcap /dev/null` would replace
    /// the machine's /dev/null). Nil for a regular file, a directory, or nothing at all.
    private static func special(_ path: String) -> String? {
        var status = stat()
        guard lstat(path, &status) == 0 else { return nil }
        if status.st_mode & S_IFMT == S_IFLNK {
            guard stat(path, &status) == 0 else { return "\(path) is a symbolic link to nothing that exists" }
        }
        switch status.st_mode & S_IFMT {
        case S_IFREG, S_IFDIR: return nil
        case S_IFIFO: return "\(path) is a FIFO, which would be replaced by a regular file"
        case S_IFCHR, S_IFBLK: return "\(path) is a device, which would be replaced by a regular file"
        default: return "\(path) is not a regular file, and would be replaced by one"
        }
    }

    /// `content` in a new file beside `destination`; returns that file's path.
    private static func writeTemporary(_ content: [UInt8], beside destination: String) throws -> String {
        let url = URL(fileURLWithPath: destination)
        var template = Array(url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).XXXXXX").path.utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else { throw SystemError("creating a temporary file beside \(destination)", errno: errno) }
        let temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { close(fd) }
        do {
            // mkstemp makes the file 0600; a report is as readable as any file the user creates.
            let mask = umask(0)
            umask(mask)
            guard fchmod(fd, 0o666 & ~mask) == 0 else { throw SystemError("setting the mode of \(temporary)", errno: errno) }
            var bytes = content[...]
            while !bytes.isEmpty {
                let count = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { throw SystemError("writing \(temporary)", errno: count < 0 ? errno : EIO) }
                bytes = bytes.dropFirst(count)
            }
            guard fsync(fd) == 0 else { throw SystemError("writing \(temporary) to disk", errno: errno) }
        } catch {
            unlink(temporary)
            throw error
        }
        return temporary
    }

    private struct Problem: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// `report.md` and `heatmap` → `report-heatmap.svg`, beside it.
    static func chartPath(for reportPath: String, name: String) -> String {
        let url = URL(fileURLWithPath: reportPath).deletingPathExtension()
        return url.deletingLastPathComponent().appendingPathComponent("\(url.lastPathComponent)-\(name).svg").path
    }
}
