import Foundation
@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabNetwork
@testable import PipeLabReport
@testable import PipeLabStore
@testable import PipeLabSweep
@testable import PipeLabWorker
import Testing

/// The report's Reproduce command, pasted into a shell, runs the same sweep again.
@Suite struct ReproduceTests {
    static let smallGrid = ["--transport", "unix", "--peer", "close", "--sigpipe", "ignore", "--sleep", "0",
                            "--sends", "1", "--payload", "5", "--quiet"]

    /// The command in the report's Reproduce section of `sweep` (its lines joined by backslash-newline).
    static func reproduceLine(of sweep: String, in directory: URL) throws -> String {
        let report = try CLI.run(["report", sweep], in: directory)
        guard report.status == 0, let section = report.stdout.components(separatedBy: "## Reproduce\n\n```sh\n").last,
              let line = section.components(separatedBy: "\n```").first, line.hasPrefix("pipelab sweep ")
        else { throw TestFailure("no reproduce command in the report of \(sweep): \(report.stderr)") }
        return line
    }

    /// Runs a command line through `sh -c` as pasted, with this build's pipelab first on PATH.
    static func paste(_ line: String, in directory: URL) throws -> CLI.Output {
        let bin = URL(fileURLWithPath: CLI.binary).deletingLastPathComponent().path
        let path = bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        return try CLI.run(["-c", line], in: directory, environment: ["PATH": path], executable: "/bin/sh")
    }

    @Test(arguments: ["-x", "a b", "it's", "$HOME", "--name=x", "crème brûlée ☃", "*", "a\\b"])
    func reproduceCommandOfAnAwkwardNamePastesBack(_ name: String) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try CLI.run(["sweep"] + Self.smallGrid + ["--name=\(name)"], in: directory)
        #expect(first.status == 0, "\(first.stderr)")
        let line = try Self.reproduceLine(of: "1", in: directory)
        let pasted = try Self.paste(line, in: directory)
        #expect(pasted.status == 0, "\(line): \(pasted.stderr)")
        #expect(try Self.reproduceLine(of: "2", in: directory) == line)
        let names = try CLIShell.sqlite3(directory.appendingPathComponent("pipelab.sqlite").path, "SELECT name FROM sweeps ORDER BY id;")
        #expect(names.stdout == "\(name)\n\(name)\n")
    }

    /// GitHub's code block shows about 100 characters of a line before it scrolls sideways.
    @Test func reproduceCommandIsWrappedToFitGitHubsColumn() {
        var spec = SweepSpec.builtIn
        spec.name = "default"
        let wrapped = ReproduceCommand.wrapped(spec)
        let lines = wrapped.components(separatedBy: "\n")
        #expect(lines.count > 1)
        #expect(lines.allSatisfy { $0.count <= 90 }, "\(lines.map(\.count))")
        #expect(wrapped.replacingOccurrences(of: " \\\n   ", with: "") == ReproduceCommand.of(spec))
    }

    @Test(arguments: ["18446744073709551615", "9007199254740993", "0"])
    func specFilesReadASeedExactlyAsANumberOrAString(_ seed: String) throws {
        for json in [#"{"seed": \#(seed)}"#, #"{"seed": "\#(seed)"}"#] {
            #expect(try SpecFile.parse(Data(json.utf8), source: "spec.json").seed == UInt64(seed), "\(json)")
        }
    }

    /// Seeds beyond Int64 and beyond a double's 53 bits survive the stored spec, the report's
    /// command, a pasted rerun, and a resume.
    @Test(arguments: ["18446744073709551615", "9007199254740993"])
    func seedRoundTripsThroughStoredSpecReproduceAndResume(_ seed: String) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let db = directory.appendingPathComponent("pipelab.sqlite").path
        let first = try CLI.run(["sweep"] + Self.smallGrid + ["--sigpipe", "ignore,handler", "--repeat", "3", "--order", "shuffle", "--seed", seed],
                                in: directory)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try CLIShell.sqlite3(db, "SELECT json_extract(spec, '$.seed') FROM sweeps;").stdout == "\(seed)\n")

        let line = try Self.reproduceLine(of: "1", in: directory)
        let words = line.split(separator: " ").map(String.init)
        #expect(words.firstIndex(of: "--seed").map { words[$0 + 1] } == seed, "\(line)")
        #expect(try Self.paste(line, in: directory).status == 0)
        #expect(try Self.reproduceLine(of: "2", in: directory) == line)

        // Cut the pasted sweep short, as an interrupt would, and let --resume finish it.
        let cut = try CLIShell.sqlite3(db, """
            PRAGMA foreign_keys = ON;
            DELETE FROM runs WHERE sweep_id = 2 AND repeat_index > 0;
            UPDATE sweeps SET status = 'interrupted' WHERE id = 2;
            """)
        #expect(cut.status == 0, "\(cut.stderr)")
        let resumed = try CLI.run(["sweep", "--resume", "--quiet"], in: directory)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try CLIShell.sqlite3(db, "SELECT status, (SELECT COUNT(*) FROM runs WHERE sweep_id = 2) FROM sweeps WHERE id = 2;").stdout
                == "completed|6\n")
        #expect(try Self.reproduceLine(of: "2", in: directory) == line)
    }
}
