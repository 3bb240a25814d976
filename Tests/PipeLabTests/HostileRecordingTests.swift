import Foundation
@testable import PipeLabStore
import Testing

/// The recording commands (`sweep`, `run --db`, `sweep --resume`, `merge` into an output) write
/// into a file that may come from anywhere too: a crafted shape or sweep row is refused (65) with
/// the file and the rule before anything is recorded, and its triggers never fire on pipelab's writes.
@Suite struct HostileRecordingTests {
    /// The crafted shapes of HostileMergeTests (a view in place of a table, a generated column, an
    /// index of someone else's) and its sweeps rows that break a rule; the runs are a reader's to check.
    static let shapes = HostileMergeTests.crafted.filter {
        ["not a table", "columns", "indexes", "sweeps row"].contains(where: $0.rule.contains)
    }

    /// Each command against `DB`; merge also reads `GOOD`, a genuine file.
    static let commands: [[String]] = [
        ["sweep", "--transport", "pipe", "--sleep", "0", "--repeat", "1", "--quiet", "--db", "DB"],
        ["run", "--transport", "pipe", "--sleep", "0", "--db", "DB"],
        ["sweep", "--resume", "1", "--quiet", "--db", "DB"],
        ["merge", "--db", "DB", "GOOD"],
    ]

    /// A view in place of `runs` made `sweep` spin in its first query, deaf to SIGTERM: each
    /// command runs under a KILL after 60 s, so that shows as a failure, not a hang.
    static func record(_ command: [String], db: String, good: String) throws -> CLI.Output {
        let arguments = command.map { $0 == "DB" ? db : $0 == "GOOD" ? good : $0 }
        return try CLI.run(["-s", "KILL", "60", CLI.binary] + arguments, executable: "/usr/bin/timeout")
    }

    @Test(.timeLimit(.minutes(5)), arguments: shapes)
    func aCraftedFileIsRefusedByEveryRecordingCommand(_ crafted: HostileMergeTests.Crafted) throws {
        for command in Self.commands {
            let (directory, db) = try HostileMergeTests.genuine()
            try HostileMergeTests.craft(db, crafted.sql)
            let good = directory.appendingPathComponent("good.sqlite").path
            #expect(try CLI.run(["run", "--transport", "unix", "--sleep", "0", "--db", good]).status == 0)
            let result = try Self.record(command, db: db, good: good)
            #expect(result.status == 65, "\(command[0]): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(command[0]): \(result.stderr)")
            #expect(result.stderr.contains("pipelab: \(db): ") && result.stderr.contains(crafted.rule), "\(command[0]): \(result.stderr)")
            #expect(try CLIShell.sqlite3(db, "SELECT COUNT(*) FROM sweeps;").stdout == "1\n", "\(command[0])")
        }
    }

    /// Triggers on every table, for every event, that rename the sweeps and delete the steps: the
    /// commands record as they would without them.
    @Test(.timeLimit(.minutes(2))) func triggersInTheDatabaseNeverFire() throws {
        for command in Self.commands where command[1] != "--resume" {
            let (directory, db) = try HostileMergeTests.genuine()
            var sql = ""
            for table in InputCheck.tables {
                for event in ["INSERT", "UPDATE", "DELETE"] {
                    sql += "CREATE TRIGGER pwn_\(table)_\(event) AFTER \(event) ON \(table) BEGIN UPDATE sweeps SET name = 'pwned'; DELETE FROM steps; END;\n"
                }
            }
            try HostileMergeTests.craft(db, sql)
            let steps = try CLIShell.sqlite3(db, "SELECT COUNT(*) FROM steps;").stdout
            let good = directory.appendingPathComponent("good.sqlite").path
            #expect(try CLI.run(["run", "--transport", "unix", "--sleep", "0", "--db", good]).status == 0)
            let result = try Self.record(command, db: db, good: good)
            #expect(result.status == 0, "\(command[0]): \(result.stderr)")
            #expect(try CLIShell.sqlite3(db, "SELECT COUNT(*) FROM sweeps WHERE name = 'pwned';").stdout == "0\n", "\(command[0])")
            #expect(try CLIShell.sqlite3(db, "SELECT COUNT(*) FROM steps WHERE run_id IN (SELECT id FROM runs WHERE sweep_id = 1);").stdout == steps,
                    "\(command[0])")
        }
    }

    /// Views replaced by ones that never end, with user_version claiming they are this binary's:
    /// the sweep's summary (read through `cell_signatures`) is this binary's views' answer.
    @Test(.timeLimit(.minutes(2))) func theFilesOwnViewsAreNeverRead() throws {
        let (_, db) = try HostileMergeTests.genuine()
        let views = try CLIShell.sqlite3(db, "SELECT name FROM sqlite_master WHERE type = 'view';").stdout.split(separator: "\n")
        #expect(!views.isEmpty)
        var sql = "PRAGMA user_version = \(Migrator.viewsHash);"
        for view in views {
            sql += "DROP VIEW \(view); CREATE VIEW \(view) AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT * FROM c;"
        }
        try HostileMergeTests.craft(db, sql)
        let result = try Self.record(["sweep", "--transport", "pipe", "--sleep", "0", "--repeat", "1", "--db", "DB"], db: db, good: "")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("  pipe close  ") && result.stdout.contains("sweep 2 'sweep' completed"), "\(result.stdout)")
    }
}
