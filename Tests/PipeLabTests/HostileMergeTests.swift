import Foundation
import Glibc
@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabStore
import Testing

/// `pipelab merge` reads other people's files: crafted with sqlite3 here, each one either merges
/// without anything of it being executed, or is refused (65) with the file and the rule before
/// the output exists.
@Suite struct HostileMergeTests {
    /// A real two-run database to craft from, and a directory to work in.
    static func genuine() throws -> (directory: URL, input: String) {
        let directory = try temporaryDirectory()
        let input = directory.appendingPathComponent("in.sqlite").path
        let output = try CLI.run(["sweep", "--transport", "unix", "--peer", "close", "--sigpipe", "ignore", "--sleep", "0",
                                  "--repeat", "2", "--quiet", "--db", input])
        #expect(output.status == 0, "\(output.stderr)")
        return (directory, input)
    }

    /// An output that holds one run already (`pipelab run`), for an input to be merged into.
    static func output(in directory: URL) throws -> String {
        let out = directory.appendingPathComponent("out.sqlite").path
        #expect(try CLI.run(["run", "--transport", "unix", "--sleep", "0", "--db", out]).status == 0)
        return out
    }

    static func craft(_ path: String, _ sql: String) throws {
        let shell = try CLIShell.sqlite3(path, sql)
        #expect(shell.status == 0, "\(sql): \(shell.stderr)")
    }

    /// Triggers on every table the merge reads, and one the old migration of a snapshot fired:
    /// none runs, the input is unchanged, and the output gets the input's sweep as it was.
    @Test func triggersInTheInputNeverRun() throws {
        let (directory, input) = try Self.genuine()
        let out = try Self.output(in: directory)
        var sql = ""
        for table in InputCheck.tables {
            for event in ["INSERT", "UPDATE", "DELETE"] {
                sql += "CREATE TRIGGER pwn_\(table)_\(event) AFTER \(event) ON \(table) BEGIN UPDATE sweeps SET name = 'pwned'; UPDATE runs SET signature = 'pwned'; END;\n"
            }
        }
        sql += "CREATE VIEW extra AS SELECT * FROM runs;"
        try Self.craft(input, sql)
        let before = try Data(contentsOf: URL(fileURLWithPath: input))
        let merged = try CLI.run(["merge", "--db", out, input])
        #expect(merged.status == 0, "\(merged.stderr)")
        #expect(merged.stdout.contains("added 0 hosts, 1 sweep, "), "\(merged.stdout)")
        let inputRuns = Int(try CLIShell.sqlite3(input, "SELECT COUNT(*) FROM runs;").stdout.dropLast()) ?? -1
        #expect(try CLIShell.sqlite3(out, "SELECT COUNT(*) FROM runs;").stdout == "\(1 + inputRuns)\n")
        #expect(try Data(contentsOf: URL(fileURLWithPath: input)) == before)
        #expect(try CLIShell.sqlite3(out, "SELECT COUNT(*) FROM sweeps WHERE name = 'pwned';").stdout == "0\n")
        #expect(try CLIShell.sqlite3(out, "SELECT COUNT(*) FROM runs WHERE signature = 'pwned';").stdout == "0\n")
        #expect(try CLIShell.sqlite3(out, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger';").stdout == "0\n")
    }

    struct Crafted: CustomStringConvertible, Sendable {
        var sql: String
        var rule: String
        var description: String { rule }
    }

    static let crafted: [Crafted] = [
        // A view that never ends in place of runs once spun inside BEGIN IMMEDIATE; of hosts, filled TMPDIR.
        Crafted(sql: "ALTER TABLE runs RENAME TO runs_real; CREATE VIEW runs AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT * FROM runs_real, c;",
                rule: "runs is a view, not a table"),
        Crafted(sql: "ALTER TABLE hosts RENAME TO hosts_real; CREATE VIEW hosts AS SELECT h.* FROM hosts_real h, (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c);",
                rule: "hosts is a view, not a table"),
        Crafted(sql: "ALTER TABLE hosts ADD COLUMN burn INTEGER AS (length(zeroblob(1000000000)));",
                rule: "table hosts does not have this pipelab's columns"),
        Crafted(sql: "CREATE INDEX lying ON runs (signature);", rule: "table runs has indexes pipelab does not make"),
        Crafted(sql: "DELETE FROM pipelab_migrations WHERE version = 7;", rule: "lacks migration 7"),
        Crafted(sql: "UPDATE sweeps SET group_uuid = '2f1c9a4e-5b7d-5e21-9c3a-0d4b6e8f1a27', shard_index = 0, shard_count = 9223372036854775807;",
                rule: "sweeps row 1 breaks the rule: shard_count is an integer from 1 to 100000"),
        Crafted(sql: "UPDATE sweeps SET name = hex(zeroblob(1000000));", rule: "sweeps row 1 breaks the rule: name is text of at most 200 bytes"),
        Crafted(sql: "UPDATE sweeps SET planned_runs = 1;", rule: "sweeps row 1 breaks the rule: no more runs than the sweep planned"),
        Crafted(sql: "UPDATE runs SET duration_ns = -9223372036854775808 WHERE id = 2;", rule: "runs row 2 breaks the rule: duration_ns is an integer from"),
        Crafted(sql: "UPDATE runs SET sleep_ns = 'soon' WHERE id = 1;", rule: "runs row 1 breaks the rule: sleep_ns is an integer from 0 to 86400000000000"),
        Crafted(sql: "PRAGMA foreign_keys = OFF; UPDATE runs SET sweep_id = 42 WHERE id = 2;", rule: "runs row 2 breaks the rule: its sweep_id is a sweep of the same file"),
        // Found by a reader's seeks from one sweep_id to the next: a real between two sweeps' ids, text after them all.
        Crafted(sql: "PRAGMA foreign_keys = OFF; UPDATE runs SET sweep_id = 1.5 WHERE id = 2;", rule: "runs row 2 breaks the rule: sweep_id is an integer"),
        Crafted(sql: "PRAGMA foreign_keys = OFF; UPDATE runs SET sweep_id = 'one' WHERE id = 2;", rule: "runs row 2 breaks the rule: sweep_id is an integer"),
        Crafted(sql: "UPDATE steps SET seq = seq + 100000 WHERE run_id = 1 AND seq = 1;", rule: "steps row 1/100001 breaks the rule: seq is an integer from 1 to"),
        // A CHECK constraint of the table (merge copies with them off): held by the check.
        Crafted(sql: "PRAGMA ignore_check_constraints = ON; UPDATE steps SET op = 'exec' WHERE run_id = 1 AND seq = 1;",
                rule: "steps row 1/1 breaks the rule: CHECK (op IN ('connect', "),
        // A column a report counts by, in a run no report loads whole: found by the counts' check.
        Crafted(sql: "PRAGMA ignore_check_constraints = ON; UPDATE runs SET peer_late = 7 WHERE id = 2;", rule: "runs row 2 breaks the rule: peer_late is an integer from 0 to 1"),
    ]

    /// Each is refused with exit 65 and one line naming the file and the rule, in a few seconds,
    /// before the output exists; nothing is left in TMPDIR.
    @Test(.timeLimit(.minutes(2)), arguments: crafted)
    func aCraftedInputIsRefusedBeforeTheOutputExists(_ crafted: Crafted) throws {
        let (directory, input) = try Self.genuine()
        try Self.craft(input, crafted.sql)
        let good = directory.appendingPathComponent("good.sqlite").path
        #expect(try CLI.run(["run", "--transport", "unix", "--sleep", "0", "--db", good]).status == 0)
        let out = directory.appendingPathComponent("out.sqlite").path
        let temporary = try temporaryDirectory()
        let merged = try CLI.run(["merge", "--db", out, good, input], environment: ["TMPDIR": temporary.path])
        #expect(merged.status == 65, "\(merged.stderr)")
        #expect(merged.stderr.split(separator: "\n").count == 1)
        #expect(merged.stderr.contains("pipelab: \(input): ") && merged.stderr.contains(crafted.rule), "\(merged.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary.path).isEmpty)
    }

    /// Into an output that exists, the rows an input adds are checked as it is merged: a crafted
    /// input is refused with its rule, and the output keeps the inputs merged before it.
    @Test func intoAnExistingOutputACraftedInputIsRefusedAfterTheOnesBefore() throws {
        let (directory, input) = try Self.genuine()
        try Self.craft(input, "UPDATE steps SET seq = seq + 100000 WHERE run_id = 1 AND seq = 1;")
        let out = try Self.output(in: directory)
        let good = directory.appendingPathComponent("good.sqlite").path
        #expect(try CLI.run(["run", "--transport", "pipe", "--sleep", "0", "--db", good]).status == 0)
        let merged = try CLI.run(["merge", "--db", out, good, input])
        #expect(merged.status == 65, "\(merged.stderr)")
        #expect(merged.stderr.contains("pipelab: \(input): steps row 1/100001 breaks the rule: seq is an integer from 1 to"), "\(merged.stderr)")
        #expect(try CLIShell.sqlite3(out, "SELECT COUNT(*) FROM sweeps;").stdout == "2\n")
    }

    /// An output whose run ids leave no room after them (its last at SQLite's largest) is refused
    /// with one line, and keeps what it had: no offset places the input's runs after it.
    @Test func anOutputWhoseIdsLeaveNoRoomIsRefused() throws {
        let (directory, input) = try Self.genuine()
        let out = try Self.output(in: directory)
        try Self.craft(out, "UPDATE steps SET run_id = 9223372036854775807; UPDATE runs SET id = 9223372036854775807;")
        let merged = try CLI.run(["merge", "--db", out, input])
        #expect(merged.status == 65 && !merged.signaled, "\(merged.stderr)")
        #expect(merged.stderr.split(separator: "\n").count == 1, "\(merged.stderr)")
        #expect(merged.stderr.contains("pipelab: \(input): its runs (ids 1 to 2) cannot follow"), "\(merged.stderr)")
        #expect(try CLIShell.sqlite3(out, "SELECT COUNT(*) FROM sweeps;").stdout == "1\n")
    }

    /// The checks a merge makes end at once when asked (the merge command asks on SIGINT/SIGTERM).
    @Test func aCheckStopsWhenAsked() throws {
        let (_, input) = try Self.genuine()
        #expect(throws: StoreError.self) { try Store.checkMergeInput(input, stop: { true }) }
        do { try Store.checkMergeInput(input, stop: { true }) } catch { #expect(error.kind == .interrupted) }
        try Store.checkMergeInput(input, stop: { false })
    }

    /// A host row that shares a UUID with the output's host but not its facts is not re-attributed.
    @Test func aHostWithOtherFactsIsRefused() throws {
        let (directory, input) = try Self.genuine()
        let out = try Self.output(in: directory)
        try Self.craft(input, "UPDATE hosts SET hostname = 'elsewhere';")
        let merged = try CLI.run(["merge", "--db", out, input])
        #expect(merged.status == 65 && merged.stderr.contains("with other facts"), "\(merged.stderr)")
        #expect(try CLIShell.sqlite3(out, "SELECT COUNT(*) FROM sweeps;").stdout == "1\n")
    }
}

/// Merge copies with the CHECK constraints off, so its check holds every row to them: they are
/// read from this binary's schema, past quoted text and comments.
@Suite struct CheckConstraintTests {
    @Test func everyCheckConstraintOfTheSchemaIsFound() throws {
        let sql = """
            CREATE TABLE t (a TEXT CHECK (a IN ('x', 'y)')), -- the peer's (CHECK (nothing))
                            b INTEGER check(b >= 1 AND (b < 9)), "CHECK" INTEGER, c TEXT DEFAULT 'CHECK (no)')
            """
        #expect(RowRules.checkConstraints(in: sql) == ["a IN ('x', 'y)')", "b >= 1 AND (b < 9)"])
        let reference = try Reference.shared.get()
        #expect(reference.checks(of: "runs").contains("transport IN ('tcp4', 'tcp6', 'unix', 'pipe')"))
        #expect(reference.checks(of: "steps").contains { $0.hasPrefix("op IN (") })
        #expect(reference.checks(of: "runs").count >= 17)
    }
}
