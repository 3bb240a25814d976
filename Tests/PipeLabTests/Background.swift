import Foundation
import Glibc
@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabNetwork
@testable import PipeLabReport
@testable import PipeLabStore
@testable import PipeLabSweep
@testable import PipeLabWorker

/// A pipelab started in the background, for tests that act on it while it runs.
final class Background {
    let process = Process()
    private let errorURL: URL

    init(_ arguments: [String], in directory: URL, environment extra: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "PIPELAB_DB")
        environment.merge(extra) { $1 }
        process.environment = environment
        errorURL = try temporaryDirectory().appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: errorURL)
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

    /// Waits for the exit; the status, standard error, and whether a signal ended it.
    func finish() -> CLI.Output {
        process.waitUntilExit()
        let errors = (try? Data(contentsOf: errorURL)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return CLI.Output(status: process.terminationStatus, stdout: "", stderr: errors,
                          signaled: process.terminationReason == .uncaughtSignal)
    }

    /// The pids of this pipelab's workers (not their forked clients, which share their command line).
    func workers() -> [Int32] { Self.children(of: pid) }

    static func processes(whoseCommandLineContains marker: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry in
            guard let pid = Int32(entry), let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"),
                  String(decoding: data, as: UTF8.self).contains(marker) else { return nil }
            return pid
        }
    }

    /// The children of `pid` (a worker's forked clients).
    static func children(of pid: Int32) -> [Int32] {
        let text = FileManager.default.contents(atPath: "/proc/\(pid)/task/\(pid)/children").map { String(decoding: $0, as: UTF8.self) } ?? ""
        return text.split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }
}

/// Polls `condition` every 10 ms for up to `seconds`; tells whether it became true.
func eventually(within seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        Thread.sleep(forTimeInterval: 0.01)
    }
    return condition()
}

/// One query through the sqlite3 shell; its standard output.
func query(_ database: URL, _ sql: String) throws -> String {
    try CLIShell.sqlite3(database.path, sql).stdout
}

/// A small tmpfs of its own (root only): to fill up, or to turn read-only.
struct TmpfsMount {
    let directory: URL

    init(size: String = "4m") throws {
        directory = try temporaryDirectory()
        guard try Self.tool("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", directory.path]) == 0 else { throw TestFailure("cannot mount a tmpfs on \(directory.path)") }
    }

    func makeReadOnly() throws {
        guard try Self.tool("/usr/bin/mount", ["-o", "remount,ro", directory.path]) == 0 else { throw TestFailure("cannot remount \(directory.path) read-only") }
    }

    func remove() {
        _ = try? Self.tool("/usr/bin/umount", ["-l", directory.path])
    }

    private static func tool(_ path: String, _ arguments: [String]) throws -> Int32 {
        let process = try Process.run(URL(fileURLWithPath: path), arguments: arguments)
        process.waitUntilExit()
        return process.terminationStatus
    }
}
