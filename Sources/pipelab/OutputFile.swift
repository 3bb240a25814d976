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
        // Every destination is checked before anything is written: what is in the way is bad input.
        let destinations = try outputs.map { output throws(InputError) in try checkDestination(output.path) }
        var written: [(temporary: String, destination: String)] = []
        var current = outputs.first?.path ?? ""
        do {
            for (output, destination) in zip(outputs, destinations) {
                current = output.path
                written.append((try writeTemporary(output.bytes, beside: destination), destination))
            }
            for (output, (temporary, destination)) in zip(outputs, written) {
                current = output.path
                guard rename(temporary, destination) == 0 else { throw SystemError("renaming it into place", errno: errno) }
            }
        } catch {
            for (temporary, _) in written { unlink(temporary) }
            // The one file that failed and why; the others are only counted, so the line stays short.
            let others = outputs.count - 1
            let rest = others > 0 ? " (nor the \(others) other \(others == 1 ? "file" : "files"))" : ""
            throw CommandFailure(message: "cannot write \(current): \(error); nothing was written\(rest)", exitCode: 73)
        }
    }

    /// `option`'s path, refused as bad input (64) before the command does any work when it could
    /// never be written: empty, a directory, in a directory that does not exist, or a device, FIFO
    /// or socket (or a link to one, like /dev/stdout). `example` is a file name fitting the option.
    static func checkUpFront(_ path: String, option: String, example: String) throws(InputError) {
        if let problem = problem(path) {
            throw InputError("\(option): \(problem); accepted: a file path such as \(example), new or a regular file, in an existing directory")
        }
    }

    /// Where `path`'s content goes: the path itself when nothing is there yet or a regular file is,
    /// or the regular file a symbolic link names (the link stays).
    static func checkDestination(_ path: String) throws(InputError) -> String {
        if let problem = problem(path) { throw InputError("\(problem); accepted: a file path, new or a regular file, in an existing directory") }
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// What makes `path` impossible to write as a regular file, in words naming the path as given;
    /// nil when it can be (a write may still fail: a full disk, a read-only file system).
    private static func problem(_ path: String) -> String? {
        guard !path.isEmpty else { return "the path is empty" }
        if let special = special(path) { return special }
        if path.hasSuffix("/") { return "\(path) names a directory" }
        var status = stat()
        // stat, not lstat: a link to a directory is a directory too.
        if stat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFDIR { return "\(path) is a directory" }
        // The directory as typed, not resolved: the message names what the user wrote. A link to a
        // regular file has an existing directory by definition.
        let parent = (path as NSString).deletingLastPathComponent
        let directory = parent.isEmpty ? "." : parent
        guard stat(directory, &status) == 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { return "the directory \(directory) does not exist" }
            return "the directory \(directory) cannot be reached (\(strerrorText(code)))"
        }
        guard status.st_mode & S_IFMT == S_IFDIR else { return "\(directory) is not a directory" }
        return nil
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
        guard status.st_mode & S_IFMT != S_IFDIR, let kind = FileType.words(status.st_mode) else { return nil }
        return "\(path) is \(kind), which would be replaced by a regular file"
    }

    /// `content` in a new file beside `destination`; returns that file's path.
    private static func writeTemporary(_ content: [UInt8], beside destination: String) throws -> String {
        let url = URL(fileURLWithPath: destination)
        var template = Array(url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).XXXXXX").path.utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else { throw SystemError("creating a temporary file beside it", errno: errno) }
        let temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { close(fd) }
        do {
            // mkstemp makes the file 0600; a report is as readable as any file the user creates.
            let mask = umask(0)
            umask(mask)
            guard fchmod(fd, 0o666 & ~mask) == 0 else { throw SystemError("setting its mode", errno: errno) }
            var bytes = content[...]
            while !bytes.isEmpty {
                let count = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { throw SystemError("writing it", errno: count < 0 ? errno : EIO) }
                bytes = bytes.dropFirst(count)
            }
            guard fsync(fd) == 0 else { throw SystemError("flushing it to disk", errno: errno) }
        } catch {
            unlink(temporary)
            throw error
        }
        return temporary
    }

    /// `report.md` and `heatmap` → `report-heatmap.svg`, beside it.
    static func chartPath(for reportPath: String, name: String) -> String {
        // Text, not a URL: a relative path stays as the user wrote it, for the messages that name it.
        (reportPath as NSString).deletingPathExtension + "-\(name).svg"
    }
}
