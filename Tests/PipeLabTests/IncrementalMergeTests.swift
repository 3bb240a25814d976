import Foundation
import Glibc
@testable import PipeLabStore
import Testing

/// `pipelab merge` as shards progress: merging a shard again after it was resumed replaces its
/// runs and status, so merge, resume, merge equals one merge at the end; an older copy of a shard
/// never takes back what a newer one brought; a group keeps one N.
@Suite struct IncrementalMergeTests {
    static let rows = """
        SELECT s.uuid, s.status, s.planned_runs, s.ended_at IS NOT NULL, COUNT(r.id), COALESCE(SUM(r.outcome = 'harness-error'), 0),
               (SELECT COUNT(*) FROM steps t JOIN runs r2 ON r2.id = t.run_id WHERE r2.sweep_id = s.id)
        FROM sweeps s LEFT JOIN runs r ON r.sweep_id = s.id GROUP BY s.id ORDER BY s.uuid;
        SELECT uuid FROM runs ORDER BY uuid;
        """

    @Test func mergeResumeMergeEqualsOneMergeAtTheEnd() throws {
        let dir = try temporaryDirectory()
        let path = { (name: String) in dir.appendingPathComponent(name).path }
        let shard0 = ["sweep", "--shard", "0/2", "--db", path("shard-0.sqlite")] + ShardTaskTests.slowGrid
        #expect(try CLI.run(["sweep", "--shard", "1/2", "--db", path("shard-1.sqlite")] + ShardTaskTests.slowGrid).status == 0)
        let killed = try BackgroundTask(shard0).killedWithItsWorkers(by: SIGTERM, afterRunsIn: path("shard-0.sqlite"))
        #expect(killed.status == 130, "\(killed.stderr)")
        try FileManager.default.copyItem(atPath: path("shard-0.sqlite"), toPath: path("shard-0-before.sqlite"))

        let early = try CLI.run(["merge", "--db", path("merged.sqlite"), path("shard-0.sqlite"), path("shard-1.sqlite")])
        #expect(early.status == 0, "\(early.stderr)")
        #expect(try CLIShell.sqlite3(path("merged.sqlite"), "SELECT status FROM sweeps ORDER BY shard_index;").stdout == "interrupted\ncompleted\n")

        let resumed = try CLI.run(shard0)
        #expect(resumed.status == 0 && resumed.stdout.contains("continuing its sweep 1"), "\(resumed.stdout) \(resumed.stderr)")
        let again = try CLI.run(["merge", "--db", path("merged.sqlite"), path("shard-0.sqlite")])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("added 0 hosts, 0 sweeps, 12 runs") && again.stdout.contains("; updated 1 sweep further along, replacing "),
                "\(again.stdout)")

        let once = try CLI.run(["merge", "--db", path("once.sqlite"), path("shard-0.sqlite"), path("shard-1.sqlite")])
        #expect(once.status == 0, "\(once.stderr)")
        let incremental = try CLIShell.sqlite3(path("merged.sqlite"), Self.rows).stdout
        #expect(incremental == (try CLIShell.sqlite3(path("once.sqlite"), Self.rows).stdout))
        #expect(try CLIShell.sqlite3(path("merged.sqlite"), "SELECT group_concat(status) FROM sweeps; SELECT COUNT(*) FROM runs;").stdout == "completed,completed\n24\n")

        // The copy taken before the resume is behind: merged again, it changes nothing; so does the latest.
        for input in ["shard-0-before.sqlite", "shard-0.sqlite"] {
            let stale = try CLI.run(["merge", "--db", path("merged.sqlite"), path(input)])
            #expect(stale.status == 0 && stale.stdout.hasSuffix("added 0 hosts, 0 sweeps, 0 runs, 0 steps\n"), "\(input): \(stale.stdout)")
        }
        #expect(try CLIShell.sqlite3(path("merged.sqlite"), Self.rows).stdout == incremental)
        let report = try CLI.run(["report", "--db", path("merged.sqlite"), "1"])
        #expect(report.status == 0 && report.stdout.contains("2 of 2 shards, so the whole grid"), "\(report.stderr)")
    }

    @Test func aShardOfAnotherPartitionOfTheGroupIsRefused() throws {
        let dir = try temporaryDirectory()
        let path = { (name: String) in dir.appendingPathComponent(name).path }
        let first = try CLI.run(["sweep", "--shard", "0/2", "--db", path("a.sqlite")] + ShardTaskTests.quickGrid)
        #expect(first.status == 0, "\(first.stderr)")
        let group = try CLIShell.sqlite3(path("a.sqlite"), "SELECT group_uuid FROM sweeps;").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try CLI.run(["sweep", "--shard", "0/1", "--group", group, "--db", path("b.sqlite")] + ShardTaskTests.quickGrid).status == 0)
        #expect(try CLI.run(["merge", "--db", path("merged.sqlite"), path("a.sqlite")]).status == 0)
        let refused = try CLI.run(["merge", "--db", path("merged.sqlite"), path("b.sqlite")])
        #expect(refused.status == 65)
        #expect(refused.stderr.contains("its shard 0/1 is of group \(group), which \(path("merged.sqlite")) holds as 2 shards"), "\(refused.stderr)")
        #expect(try CLIShell.sqlite3(path("merged.sqlite"), "SELECT COUNT(*) FROM sweeps;").stdout == "1\n")
    }

    /// Two attempts of one shard recorded into two files (the first all harness errors) merged
    /// side by side: the report reads the runs pipelab carried out, and counts the shard once.
    @Test func twoAttemptsOfAShardInTwoFilesReportTheValidRunsOnce() throws {
        let dir = try temporaryDirectory()
        let path = { (name: String) in dir.appendingPathComponent(name).path }
        for (shard, file) in [("0/2", "a.sqlite"), ("0/2", "b.sqlite"), ("1/2", "c.sqlite")] {
            #expect(try CLI.run(["sweep", "--shard", shard, "--db", path(file)] + ShardTaskTests.quickGrid).status == 0)
        }
        _ = try CLIShell.sqlite3(path("a.sqlite"), "UPDATE runs SET outcome = 'harness-error', harness_error = 'injected';")
        #expect(try CLI.run(["merge", "--db", path("merged.sqlite"), path("a.sqlite"), path("b.sqlite"), path("c.sqlite")]).status == 0)
        let report = try CLI.run(["report", "--db", path("merged.sqlite"), "1"])
        #expect(report.status == 0, "\(report.stderr)")
        #expect(report.stdout.contains("completed: 8 of 8 runs in 1 cell"), "\(report.stdout.prefix(400))")
        #expect(!report.stdout.contains("injected") && !report.stdout.contains("harness error"))
    }
}
