import Foundation
@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabNetwork
@testable import PipeLabReport
@testable import PipeLabStore
@testable import PipeLabSweep
@testable import PipeLabWorker
import Testing

/// docs/schema.md documents the database: every table, view and column, and example queries
/// that run as written against a database recorded by a real sweep named `default`, as the
/// README's Quick start names its sweep.
@Suite struct ReadmeTests {
    static let schema = ReadmeCommandTests.text(of: "docs/schema.md")

    /// The text of docs/schema.md from `heading` to the next heading of the same or a higher level.
    static func section(_ heading: String) -> String? {
        guard let start = schema.range(of: heading + "\n") ?? schema.range(of: heading + ":") else { return nil }
        let rest = schema[start.upperBound...]
        let level = heading.prefix { $0 == "#" }
        let end = rest.range(of: "\n" + level + " ")?.lowerBound ?? rest.endIndex
        return String(rest[..<end])
    }

    static func recordedDatabase() throws -> String {
        let directory = try temporaryDirectory()
        let output = try CLI.run(["sweep", "--transport", "tcp4,unix", "--peer", "close,linger0", "--sigpipe", "ignore,default",
                                  "--sleep", "0,1s", "--sends", "3", "--payload", "5", "--repeat", "2", "--name", "default", "--quiet"], in: directory)
        guard output.status == 0 else { throw TestFailure("sweep failed: \(output.stderr)") }
        return directory.appendingPathComponent("pipelab.sqlite").path
    }

    @Test func everyTableViewAndColumnIsDocumented() throws {
        let db = try Self.recordedDatabase()
        let objects = try CLIShell.sqlite3(db, "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name;")
            .stdout.split(separator: "\n").map(String.init)
        #expect(objects.count == 17)
        for object in objects {
            let section = try #require(Self.section("### `\(object)`"), "docs/schema.md has no section for \(object)")
            let columns = try CLIShell.sqlite3(db, "SELECT name FROM pragma_table_info('\(object)');").stdout.split(separator: "\n")
            #expect(!columns.isEmpty)
            // A view documented as "the columns of `other`" inherits that section.
            let documented = section.contains("The columns of `cell_outcomes`") ? (Self.section("### `cell_outcomes`") ?? "") : section
            for column in columns {
                #expect(documented.contains("`\(column)`"), "docs/schema.md does not document \(object).\(column)")
            }
        }
    }

    @Test func exampleQueriesRunAsWritten() throws {
        let db = try Self.recordedDatabase()
        let section = try #require(Self.section("## Example queries"))
        let queries = section.components(separatedBy: "```sql\n").dropFirst().compactMap { $0.components(separatedBy: "```").first }
        #expect(queries.count >= 5)
        var rowsSeen = 0
        for query in queries {
            let result = try CLIShell.sqlite3(db, query)
            #expect(result.status == 0 && result.stderr.isEmpty, "\(query)\n\(result.stderr)")
            rowsSeen += result.stdout.split(separator: "\n").count
        }
        #expect(rowsSeen > 10)
        let epipe = try CLIShell.sqlite3(db, queries[1]).stdout
        #expect(epipe.contains("tcp4|close|ignore|1000.0"))
        // The killing-send query, checked against the steps: the send that never returned.
        let killed = try #require(queries.first { $0.contains("fatal_send, COUNT(*) AS killed") })
        let independent = try CLIShell.sqlite3(db, """
            SELECT r.transport, r.peer, s.send_number, COUNT(*) AS killed
            FROM runs r JOIN steps s ON s.run_id = r.id AND s.send_number IS NOT NULL AND s.result IS NULL
            WHERE r.sweep_id = (SELECT MAX(id) FROM sweeps) AND r.outcome = 'killed'
            GROUP BY r.transport, r.peer, s.send_number ORDER BY killed DESC, 1, 2, 3;
            """).stdout
        let answered = try CLIShell.sqlite3(db, killed.replacingOccurrences(of: "ORDER BY killed DESC", with: "ORDER BY killed DESC, 1, 2, 3")).stdout
        #expect(!answered.isEmpty)
        #expect(answered == independent)
    }
}
