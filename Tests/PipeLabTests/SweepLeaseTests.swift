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

/// One runner per sweep, statuses that only move forward, and signals at any moment.
@Suite struct SweepLeaseTests {
    /// 40 runs of 300 ms on 4 workers: about 3 s.
    static let slowSweep = ["sweep", "--transport", "tcp4,unix", "--peer", "close", "--sigpipe", "ignore,handler", "--sleep", "300ms",
                            "--sends", "3", "--payload", "5", "--repeat", "10", "--jobs", "4", "--quiet", "--name", "cut"]

    /// A sweep stopped by SIGINT after about a second, with some of its runs recorded.
    static func interruptedSweep() throws -> URL {
        let directory = try temporaryDirectory()
        let sweep = try Background(slowSweep, in: directory)
        Thread.sleep(forTimeInterval: 1.0)
        kill(sweep.pid, SIGINT)
        #expect(sweep.finish().status == 130)
        return directory
    }

    static func checkWhole(_ database: URL, runs: Int) throws {
        #expect(try query(database, "SELECT status FROM sweeps;") == "completed\n")
        #expect(try query(database, """
            SELECT COUNT(*), COUNT(DISTINCT transport || peer || sigpipe || sleep_ns || sends || payload_bytes || '/' || repeat_index) FROM runs;
            """) == "\(runs)|\(runs)\n")
        #expect(try query(database, "SELECT COUNT(*) FROM sweep_leases;") == "0\n")
    }

    @Test func twoResumesAtOnceRunTheSweepOnce() throws {
        let directory = try Self.interruptedSweep()
        let first = try Background(["sweep", "--resume", "1", "--quiet"], in: directory)
        let second = try Background(["sweep", "--resume", "1", "--quiet"], in: directory)
        let outputs = [first.finish(), second.finish()]
        #expect(outputs.map(\.status).sorted() == [0, 75], "\(outputs.map(\.stderr))")
        let loser = outputs.first { $0.status == 75 }
        #expect(loser?.stderr.split(separator: "\n").count == 1)
        #expect(loser?.stderr.contains("is being run by pid \(first.pid)") == true || loser?.stderr.contains("is being run by pid \(second.pid)") == true,
                "\(loser?.stderr ?? "")")
        try Self.checkWhole(directory.appendingPathComponent("pipelab.sqlite"), runs: 40)
    }

    @Test func aResumeWhileTheSweepStillRunsIsRefusedAndChangesNothing() throws {
        let directory = try temporaryDirectory()
        let sweep = try Background(Self.slowSweep, in: directory)
        let database = directory.appendingPathComponent("pipelab.sqlite")
        #expect(eventually(within: 10) { (try? query(database, "SELECT status FROM sweeps;")) == "running\n" })
        let resume = try CLI.run(["sweep", "--resume", "1", "--quiet"], in: directory)
        #expect(resume.status == 75, "\(resume.stderr)")
        #expect(resume.stderr.contains("sweep 1 is being run by pid \(sweep.pid) on "))
        #expect(sweep.finish().status == 0)
        try Self.checkWhole(database, runs: 40)
        // Once completed, a resume is refused and the status stays.
        #expect(try CLI.run(["sweep", "--resume", "1", "--quiet"], in: directory).status == 64)
        #expect(try query(database, "SELECT status FROM sweeps;") == "completed\n")
    }

    @Test func aLeaseWhoseHolderIsGoneIsTakenOver() throws {
        let directory = try Self.interruptedSweep()
        let database = directory.appendingPathComponent("pipelab.sqlite")
        // A holder killed outright on this host (a pid that no longer exists) and, for a second
        // sweep state, one on another machine that went silent a minute ago.
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, 255)
        let hostname = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        for (host, pid, heartbeat) in [(hostname, 2_000_000_000, "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"),
                                       ("elsewhere", 1, "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-60 seconds')")] {
            #expect(try CLIShell.sqlite3(database.path, """
                UPDATE sweeps SET status = 'running';
                INSERT OR REPLACE INTO sweep_leases VALUES (1, '\(host)', \(pid), \(heartbeat), \(heartbeat));
                """).status == 0)
            let resumed = try CLI.run(["sweep", "--resume", "1", "--quiet"], in: directory)
            #expect(resumed.status == 0, "\(resumed.stderr)")
        }
        try Self.checkWhole(database, runs: 40)
    }

    @Test func aLiveLeaseOnAnotherHostIsRespected() throws {
        let directory = try Self.interruptedSweep()
        let database = directory.appendingPathComponent("pipelab.sqlite")
        #expect(try CLIShell.sqlite3(database.path, """
            INSERT INTO sweep_leases VALUES (1, 'lab-2', 4242, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
            """).status == 0)
        let resume = try CLI.run(["sweep", "--resume", "1", "--quiet"], in: directory)
        #expect(resume.status == 75)
        #expect(resume.stderr.contains("is being run by pid 4242 on lab-2"))
        #expect(try query(database, "SELECT status FROM sweeps;") == "interrupted\n")
    }

    /// All runs start at once; SIGINT comes while every one is in flight, so none is missing.
    @Test func aSignalDuringTheLastRunsLeavesACompletedSweep() throws {
        let directory = try temporaryDirectory()
        let sweep = try Background(["sweep", "--transport", "unix", "--peer", "close", "--sigpipe", "ignore", "--sleep", "1s",
                                    "--sends", "3", "--payload", "5", "--repeat", "4", "--jobs", "4", "--quiet"], in: directory)
        #expect(eventually(within: 10) { sweep.workers().count == 4 })
        Thread.sleep(forTimeInterval: 0.3)
        kill(sweep.pid, SIGINT)
        let output = sweep.finish()
        #expect(output.status == 0, "\(output.stderr)")
        try Self.checkWhole(directory.appendingPathComponent("pipelab.sqlite"), runs: 4)
    }

    /// SIGINT or SIGTERM at any moment of startup never leaves a sweep marked running.
    @Test(arguments: [SIGINT, SIGTERM])
    func aSignalDuringStartupNeverLeavesARunningSweep(_ signal: Int32) throws {
        for delayMs in stride(from: 0, through: 60, by: 4) {
            let directory = try temporaryDirectory()
            let sweep = try Background(["sweep", "--transport", "unix", "--sleep", "0", "--repeat", "1", "--quiet"], in: directory)
            usleep(useconds_t(delayMs * 1000))
            kill(sweep.pid, signal)
            let output = sweep.finish()
            let database = directory.appendingPathComponent("pipelab.sqlite")
            guard FileManager.default.fileExists(atPath: database.path) else { continue }
            let statuses = try query(database, "SELECT status FROM sweeps;")
            #expect(!statuses.contains("running"), "signal after \(delayMs) ms: \(statuses), exit \(output.status), signaled \(output.signaled)")
            #expect(!output.signaled || statuses.isEmpty, "killed after touching the database (\(delayMs) ms)")
        }
    }
}
