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
        var written: [(temporary: String, output: Output)] = []
        do {
            // Every destination is checked before anything is written.
            for output in outputs { try checkDestination(output.path) }
            for output in outputs { written.append((try writeTemporary(output), output)) }
            for (temporary, output) in written {
                guard rename(temporary, output.path) == 0 else {
                    throw SystemError("renaming the temporary file to \(output.path)", errno: errno)
                }
            }
        } catch {
            for (temporary, _) in written { unlink(temporary) }
            let names = outputs.map(\.path).joined(separator: ", ")
            throw CommandFailure(message: "cannot write \(names): \(error); nothing was written", exitCode: 73)
        }
    }

    /// A destination must be, or become, a regular file in an existing directory.
    static func checkDestination(_ path: String) throws {
        var status = stat()
        if lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFDIR {
            throw Problem("\(path) is a directory; accepted: a file path such as report.md")
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard stat(directory, &status) == 0 else { throw SystemError("the directory \(directory)", errno: errno) }
        guard status.st_mode & S_IFMT == S_IFDIR else { throw Problem("\(directory) is not a directory") }
    }

    /// The content in a new file beside `output.path`; returns that file's path.
    private static func writeTemporary(_ output: Output) throws -> String {
        let url = URL(fileURLWithPath: output.path)
        var template = Array(url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).XXXXXX").path.utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else { throw SystemError("creating a temporary file beside \(output.path)", errno: errno) }
        let temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { close(fd) }
        do {
            // mkstemp makes the file 0600; a report is as readable as any file the user creates.
            let mask = umask(0)
            umask(mask)
            guard fchmod(fd, 0o666 & ~mask) == 0 else { throw SystemError("setting the mode of \(temporary)", errno: errno) }
            var bytes = output.bytes[...]
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
