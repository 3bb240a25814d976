import Foundation
@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabReport
@testable import PipeLabStore
@testable import PipeLabSweep
@testable import PipeLabWorker

/// Runs the built `pipelab` binary, as a user would.
enum CLI {
    /// The executable beside the test bundle (SwiftPM builds it because the tests depend on it).
    static let binary: String = {
        let bundle = URL(fileURLWithPath: WorkerProcess.currentExecutable()).deletingLastPathComponent()
        return bundle.appendingPathComponent("pipelab").path
    }()

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
        /// Set when the process died of a signal.
        var signaled: Bool
    }

    /// `interruptAfter`: send SIGINT, as Ctrl-C would, after that many seconds.
    static func run(_ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:],
                    executable: String = binary, interruptAfter: TimeInterval? = nil) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "PIPELAB_DB")
        // A CI run's id would name the campaign of every shard a test runs.
        for variable in Campaign.variables { env.removeValue(forKey: variable) }
        env.merge(environment) { $1 }
        process.environment = env
        let printed = try runCapturingOutput(process) {
            guard let interruptAfter else { return }
            Thread.sleep(forTimeInterval: interruptAfter)
            process.interrupt()
        }
        return Output(status: process.terminationStatus, stdout: printed.stdout, stderr: printed.stderr,
                      signaled: process.terminationReason == .uncaughtSignal)
    }

    /// `pipelab run --json ARGS`, decoded.
    static func runJSON(_ arguments: [String]) throws -> [String: Any] {
        let output = try run(["run", "--json"] + arguments)
        guard output.status == 0,
              let object = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any]
        else { throw TestFailure("pipelab run \(arguments) exited \(output.status): \(output.stderr)") }
        return object
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs `process` to its end with nothing on its input and its output in files, not pipes, so
/// nothing can block however much it prints, and returns what it printed. `whileRunning` is called once it has started.
func runCapturingOutput(_ process: Process, whileRunning: () -> Void = {}) throws -> (stdout: String, stderr: String) {
    let capture = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: capture) }
    let outURL = capture.appendingPathComponent("stdout"), errURL = capture.appendingPathComponent("stderr")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    process.standardOutput = try FileHandle(forWritingTo: outURL)
    process.standardError = try FileHandle(forWritingTo: errURL)
    process.standardInput = FileHandle.nullDevice
    try process.run()
    whileRunning()
    process.waitUntilExit()
    return (String(decoding: try Data(contentsOf: outURL), as: UTF8.self), String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
}

/// The folder of this test process's temporary directories, removed when the process exits, so
/// runs of the suite leave nothing behind in the system's temporary folder.
private let testFolders = FileManager.default.temporaryDirectory.appendingPathComponent("pipelab-test-\(UUID().uuidString)")
private let testFoldersMade: Void = {
    atexit { try? FileManager.default.removeItem(at: testFolders) }
}()

/// A fresh empty directory under the system's temporary folder (0755: tests that drop to
/// `nobody` run programs from it).
func temporaryDirectory() throws -> URL {
    testFoldersMade
    let url = testFolders.appendingPathComponent(UUID().uuidString)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
