import Foundation
import Glibc
@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabNetwork
@testable import PipeLabReport
@testable import PipeLabStore
@testable import PipeLabSweep
@testable import PipeLabWorker
import Testing

/// `report --out` and `compare --out` write every file or none, through unpredictable names.
@Suite struct OutputFileTests {
    static func databaseWithTwoSweeps() throws -> URL {
        let directory = try temporaryDirectory()
        for _ in 0..<2 {
            #expect(try CLI.run(["run", "--transport", "unix", "--sleep", "0", "--db", "lab.sqlite"], in: directory).status == 0)
        }
        return directory
    }

    /// The old writer used `.NAME.PID.tmp`: symlinks planted there for the next pids must not be followed.
    @Test(arguments: [["report", "1", "--out", "r.md"], ["compare", "1", "2", "--out", "r.md"]])
    func aSymlinkPlantedAtAGuessableNameIsNotFollowed(_ command: [String]) throws {
        let directory = try Self.databaseWithTwoSweeps()
        let victim = directory.appendingPathComponent("victim")
        try Data("precious\n".utf8).write(to: victim)
        let lastPid = Int((try String(contentsOfFile: "/proc/sys/kernel/ns_last_pid", encoding: .utf8))
            .trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        for pid in lastPid...(lastPid + 400) {
            symlink(victim.path, directory.appendingPathComponent(".r.md.\(pid).tmp").path)
        }
        let output = try CLI.run(command + ["--db", "lab.sqlite"], in: directory)
        #expect(output.status == 0, "\(output.stderr)")
        #expect(try String(contentsOf: victim, encoding: .utf8) == "precious\n")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { !$0.hasSuffix(".tmp") && !$0.hasPrefix("lab.sqlite-") }
        let charts = names.filter { $0.hasPrefix("r-") && $0.hasSuffix(".svg") }
        #expect(Set(names).subtracting(charts) == ["lab.sqlite", "victim", "r.md"])
        #expect(charts.contains("r-heatmap.svg") == (command[0] == "report"))
        let mode = try FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent("r.md").path)[.posixPermissions] as? Int
        #expect(mode == 0o644 & ~Int(umaskValue()))
    }

    @Test func aDirectoryInTheWayWritesNothingAndSaysWhy() throws {
        let directory = try Self.databaseWithTwoSweeps()
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("X.md"), withIntermediateDirectories: false)
        let output = try CLI.run(["report", "1", "--out", "X.md", "--db", "lab.sqlite"], in: directory)
        #expect(output.status == 73)
        #expect(output.stderr.split(separator: "\n").count == 1)
        #expect(output.stderr.contains("X.md is a directory") && !output.stderr.contains("error 1"), "\(output.stderr)")
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { !$0.hasPrefix("lab.sqlite-") }) == ["lab.sqlite", "X.md"])
    }

    @Test func aMissingDirectoryWritesNothing() throws {
        let directory = try Self.databaseWithTwoSweeps()
        let output = try CLI.run(["compare", "1", "2", "--out", "nowhere/c.md", "--db", "lab.sqlite"], in: directory)
        #expect(output.status == 73)
        #expect(output.stderr.contains("nowhere: No such file or directory"), "\(output.stderr)")
    }

    /// Read, not set and restored: other tests spawn processes meanwhile.
    private func umaskValue() -> mode_t {
        let status = FileManager.default.contents(atPath: "/proc/self/status").map { String(decoding: $0, as: UTF8.self) } ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("Umask:") }
        return line.flatMap { mode_t($0.dropFirst(6).trimmingCharacters(in: .whitespaces), radix: 8) } ?? 0o022
    }
}
