import Foundation
import PipeLabExperiment
@testable import PipeLabStore
import Testing

/// `report`, `compare` and `sweeps` read databases that may come from anywhere, as merge does:
/// a crafted file is refused with one line naming the file and the rule (exit 65), nothing is
/// written and the file is unchanged; its triggers never run and its views are never used.
@Suite struct HostileReadTests {
    /// The readers' words for the crafted files of HostileMergeTests: the same rules, except that
    /// an older schema is sent to `pipelab migrate` before any other check.
    static func rule(_ crafted: HostileMergeTests.Crafted) -> String {
        crafted.rule == "lacks migration 7" ? "run `pipelab migrate --db" : crafted.rule
    }

    /// Whether `command` reads what `rule` is about: `sweeps` reads no run's values (only that
    /// each run is of a sweep of the file), `compare` the columns runs are counted by, `report` all.
    static func reads(_ command: String, _ rule: String) -> Bool {
        guard rule.hasPrefix("runs row") || rule.hasPrefix("steps row"), !rule.contains("sweep_id") else { return true }
        let counted = Dimensions.all.map(\.column) + ["signature", "peer_late", "outcome", "peer_left_unread", "first_failing_send", "first_errno_name", "term_signal"]
        switch command {
        case "report": return true
        case "compare": return rule.hasPrefix("runs row") && counted.contains { rule.contains(": \($0) is") }
        default: return false
        }
    }

    static let commands: [[String]] = [["report", "latest", "--out", "OUT.md"], ["compare", "1", "1", "--out", "OUT.json", "--format", "json"], ["sweeps"]]

    @Test(.timeLimit(.minutes(2)), arguments: HostileMergeTests.crafted)
    func aCraftedDatabaseIsRefusedByEveryReader(_ crafted: HostileMergeTests.Crafted) throws {
        let (directory, input) = try HostileMergeTests.genuine()
        try HostileMergeTests.craft(input, crafted.sql)
        let before = try Data(contentsOf: URL(fileURLWithPath: input))
        for command in Self.commands {
            let out = directory.appendingPathComponent("out-\(command[0])").path
            let arguments = command.map { $0.replacingOccurrences(of: "OUT", with: out) } + ["--db", input]
            let result = try CLI.run(arguments)
            // Runs and steps are checked as they are read: a reader refuses the rows it reads.
            if !Self.reads(command[0], crafted.rule) {
                #expect([0, 1, 2].contains(result.status), "\(command[0]): \(result.stderr)")
                continue
            }
            #expect(result.status == 65, "\(command[0]): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(command[0]): \(result.stderr)")
            #expect(result.stderr.contains("pipelab: \(input)") && result.stderr.contains(Self.rule(crafted)), "\(command[0]): \(result.stderr)")
            #expect(result.stdout.isEmpty)
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).allSatisfy { !$0.hasPrefix("out-") })
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: input)) == before)
    }

    /// The file's own views are never what a report reads, even when it claims (user_version)
    /// they are this binary's: a view replaced by one that never ends leaves the report as it was.
    @Test(.timeLimit(.minutes(2))) func theFilesOwnViewsAreNeverRead() throws {
        let (_, input) = try HostileMergeTests.genuine()
        let honest = try CLI.run(["report", "latest", "--db", input])
        #expect(honest.status == 0, "\(honest.stderr)")
        let views = try CLIShell.sqlite3(input, "SELECT name FROM sqlite_master WHERE type = 'view';").stdout.split(separator: "\n")
        #expect(!views.isEmpty)
        var sql = "PRAGMA user_version = \(Migrator.viewsHash);"
        for view in views {
            sql += "DROP VIEW \(view); CREATE VIEW \(view) AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT * FROM c;"
        }
        for table in InputCheck.tables {
            sql += "CREATE TRIGGER pwn_\(table) AFTER UPDATE ON \(table) BEGIN UPDATE sweeps SET name = 'pwned'; END;"
        }
        try HostileMergeTests.craft(input, sql)
        let before = try Data(contentsOf: URL(fileURLWithPath: input))
        for command in [["report", "latest"], ["sweeps"], ["compare", "1", "1"]] {
            let result = try CLI.run(command + ["--db", input])
            #expect([0, 1, 2].contains(result.status) && result.stderr.isEmpty, "\(command[0]): \(result.stderr)")
            #expect(!result.stdout.contains("pwned"))
        }
        #expect(try CLI.run(["report", "latest", "--db", input]).stdout == honest.stdout)
        #expect(try Data(contentsOf: URL(fileURLWithPath: input)) == before)
    }

    /// Values at the edges the rules allow (±2^53, a 200-character name of control characters,
    /// 100,000 shards of which one is present) are reported without a crash or an overflow.
    /// Values the rules leave to the reader (timestamps are text, a program's report its own
    /// printout) never stop a reader with a trap: what does not read is left out.
    @Test(.timeLimit(.minutes(2)), arguments: [
        "UPDATE sweeps SET started_at = '1970-01-01T00:00:00.000Z', ended_at = '2300-01-01T00:00:00.000Z';",
        "UPDATE sweeps SET started_at = '99999999999-01-01T00:00:00.000Z', ended_at = '99999999999-12-31T23:59:59.999Z';",
        "UPDATE runs SET client = 'python', client_output = '{\"send\":1,\"ok\":false,\"errno\":-9223372036854775808}' WHERE id = 1;",
    ])
    func valuesLeftToTheReaderNeverTrapIt(_ sql: String) throws {
        let (_, input) = try HostileMergeTests.genuine()
        try HostileMergeTests.craft(input, sql)
        for command in [["report", "latest"], ["sweeps"], ["compare", "1", "1"]] {
            let result = try CLI.run(command + ["--db", input])
            #expect(!result.signaled && [0, 1, 2].contains(result.status) && result.stderr.isEmpty, "\(command): \(result.stderr)")
        }
    }

    @Test(.timeLimit(.minutes(2))) func valuesAtTheRulesEdgesAreReported() throws {
        let (_, input) = try HostileMergeTests.genuine()
        let edge = Int64(1) << 53
        try HostileMergeTests.craft(input, """
            UPDATE sweeps SET name = replace(hex(zeroblob(100)), '00', char(27, 10)), group_uuid = '2f1c9a4e-5b7d-5e21-9c3a-0d4b6e8f1a27',
                shard_index = 99999, shard_count = 100000;
            UPDATE runs SET sleep_ns = 86400000000000, slept_ns = -\(edge), duration_ns = \(edge) WHERE id = 1;
            UPDATE runs SET slept_ns = \(edge), duration_ns = -\(edge) WHERE id = 2;
            UPDATE steps SET start_ns = \(edge), duration_ns = -\(edge), value = \(edge) WHERE run_id = 1;
            """)
        for command in [["report", "latest"], ["report", "group:2f1c"], ["sweeps"], ["compare", "1", "1"]] {
            let result = try CLI.run(command + ["--db", input])
            #expect([0, 1, 2].contains(result.status) && result.stderr.isEmpty, "\(command): \(result.stderr)")
            #expect(!result.stdout.contains("\u{1b}"), "\(command): control characters are shown, not obeyed")
        }
    }
}
