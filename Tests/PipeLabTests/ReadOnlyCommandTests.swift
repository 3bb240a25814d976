import Foundation
@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabNetwork
@testable import PipeLabReport
@testable import PipeLabStore
@testable import PipeLabSweep
@testable import PipeLabWorker
import Testing

/// `sweeps`, `report` and `compare` only read: they never create, migrate or switch a file to WAL.
@Suite struct ReadOnlyCommandTests {
    static let readers: [[String]] = [["sweeps"], ["report", "latest"], ["compare", "1", "2"]]

    @Test(arguments: readers)
    func anotherProgramsDatabaseIsRefusedAndLeftByteForByte(_ command: [String]) throws {
        let directory = try temporaryDirectory()
        let database = directory.appendingPathComponent("app.db")
        #expect(try CLIShell.sqlite3(database.path, "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine');").status == 0)
        let before = try Data(contentsOf: database)
        let output = try CLI.run(command + ["--db", database.path])
        #expect(output.status == 65, "\(output.stderr)")
        #expect(output.stderr.split(separator: "\n").count == 1)
        #expect(output.stderr.contains("is not a pipelab database"))
        #expect(try Data(contentsOf: database) == before)
        #expect(try query(database, "PRAGMA journal_mode;") == "delete\n")
        #expect(try query(database, "SELECT group_concat(name) FROM sqlite_master;") == "notes\n")
    }

    @Test(arguments: readers)
    func anEmptyFileStaysEmpty(_ command: [String]) throws {
        let directory = try temporaryDirectory()
        let path = directory.appendingPathComponent("empty.sqlite").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        let output = try CLI.run(command + ["--db", path])
        #expect(output.status == 65, "\(output.stderr)")
        #expect(output.stderr.split(separator: "\n").count == 1)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int == 0)
    }

    @Test(arguments: readers)
    func aMissingFileIsNotCreated(_ command: [String]) throws {
        let directory = try temporaryDirectory()
        let output = try CLI.run(command, in: directory)
        #expect(output.status == 64, "\(output.stderr)")
        #expect(output.stderr.contains("no pipelab database at pipelab.sqlite"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    /// A reader opens a WAL database read-only yet sees the runs a sweep is committing, and the
    /// sweep, writing meanwhile, completes every run.
    @Test func reportsWhileASweepRecords() throws {
        let directory = try temporaryDirectory()
        let sweep = try Background(["sweep", "--transport", "tcp4,unix", "--peer", "close", "--sigpipe", "ignore", "--sleep", "50ms",
                                    "--sends", "3", "--payload", "5", "--repeat", "150", "--jobs", "8", "--quiet", "--name", "live"], in: directory)
        let database = directory.appendingPathComponent("pipelab.sqlite")
        #expect(eventually(within: 10) { ((try? query(database, "SELECT COUNT(*) FROM runs;")).flatMap { Int($0.dropLast()) } ?? 0) > 0 })
        var seen: [Int] = []
        for _ in 0..<5 {
            let listed = try CLI.run(["sweeps", "--db", database.path])
            #expect(listed.status == 0, "\(listed.stderr)")
            let report = try CLI.run(["report", "live", "--db", database.path])
            #expect(report.status == 0, "\(report.stderr)")
            #expect(report.stdout.hasPrefix("# pipelab report: live"))
            let runs = listed.stdout.split(separator: "\n").last?.split(separator: " ", omittingEmptySubsequences: true)
                .first { $0.contains("/300") }.flatMap { Int($0.split(separator: "/")[0]) }
            seen.append(runs ?? -1)
        }
        let finished = sweep.finish()
        #expect(finished.status == 0, "\(finished.stderr)")
        #expect(seen.allSatisfy { $0 >= 0 } && seen.contains { $0 < 300 }, "runs seen while recording: \(seen)")
        #expect(try query(database, "SELECT status, (SELECT COUNT(*) FROM runs) FROM sweeps;") == "completed|300\n")
    }

    @Test func aDatabaseOnReadOnlyMediaCanBeReportedButNotRecordedInto() throws {
        guard geteuid() == 0 else { return }  // mounting needs root; the chmod case is in StoreFaultTests
        let mount = try TmpfsMount()
        defer { mount.remove() }
        let database = mount.directory.appendingPathComponent("lab.sqlite").path
        #expect(try CLI.run(["run", "--transport", "unix", "--sleep", "0", "--db", database]).status == 0)
        try mount.makeReadOnly()
        let report = try CLI.run(["report", "--db", database])
        #expect(report.status == 0, "\(report.stderr)")
        let record = try CLI.run(["run", "--transport", "unix", "--sleep", "0", "--db", database])
        #expect(record.status == 73)
        #expect(record.stderr.contains("not writable (Read-only file system)"), "\(record.stderr)")
        #expect(record.stderr.split(separator: "\n").count == 1)
    }
}
