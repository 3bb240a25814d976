import Foundation
import Glibc
import PipeLab

/// Writes report files whole or not at all: to a temporary name, then renamed into place.
enum OutputFile {
    static func write(_ text: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        do {
            try Data(text.utf8).write(to: temporary)
            guard rename(temporary.path, url.path) == 0 else {
                throw SystemError("renaming \(temporary.path) to \(path)", errno: errno)
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw CommandFailure(message: "cannot write \(path): \(error.localizedDescription)", exitCode: 73)
        }
    }

    /// `report.md` and `heatmap` → `report-heatmap.svg`, beside it.
    static func chartPath(for reportPath: String, name: String) -> String {
        let url = URL(fileURLWithPath: reportPath).deletingPathExtension()
        return url.deletingLastPathComponent().appendingPathComponent("\(url.lastPathComponent)-\(name).svg").path
    }
}
