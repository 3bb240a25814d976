import Foundation
@testable import PipeLabStore
import Testing

/// The views live in Migrations/views.sql: a recording pipelab makes a database's views those,
/// a reading one uses them without changing the file.
@Suite struct ViewsTests {
    static func viewNames(_ path: String) throws -> String {
        try CLIShell.sqlite3(path, "SELECT name FROM sqlite_master WHERE type = 'view' ORDER BY name;").stdout
    }

    @Test func migrationsChangeTablesAndViewsSQLMakesEveryView() throws {
        #expect(Migrator.views.contains("CREATE VIEW cell_signatures AS"))
        let path = try temporaryDirectory().appendingPathComponent("views.sqlite").path
        _ = try Store(path: path, create: true)
        #expect(try CLIShell.sqlite3(path, "PRAGMA user_version;").stdout == "\(Migrator.viewsHash)\n")
        let names = try Self.viewNames(path).split(separator: "\n").map(String.init)
        for name in names { #expect(Migrator.views.contains("CREATE VIEW \(name) AS"), "\(name) is not in views.sql") }
        #expect(names.count == Migrator.views.components(separatedBy: "CREATE VIEW ").count - 1)
    }

    /// Views an older pipelab left (here: one dropped, one replaced): a reader sees views.sql's and
    /// leaves the file byte for byte; a writer puts views.sql's into the file.
    @Test func staleViewsAreReplacedByWritersAndShadowedForReaders() throws {
        let directory = try temporaryDirectory()
        let path = directory.appendingPathComponent("pipelab.sqlite").path
        let sweep = try CLI.run(["sweep", "--db", path, "--transport", "unix", "--sleep", "100ms", "--repeat", "2", "--quiet"])
        #expect(sweep.status == 0, "\(sweep.stderr)")
        let expected = try Self.viewNames(path)
        #expect(try CLIShell.sqlite3(path, """
            DROP VIEW cell_signatures; DROP VIEW latest_sweep; CREATE VIEW latest_sweep AS SELECT 99 AS sweep_id;
            PRAGMA user_version = 0;
            """).status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let report = try CLI.run(["report", "--db", path])
        #expect(report.status == 0, "\(report.stderr)")
        // Read through cell_signatures, which the file no longer has.
        #expect(report.stdout.contains("`ok,EPIPE,EPIPE` 2 runs"), "\(report.stdout)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)

        #expect(try CLI.run(["migrate", "--db", path]).status == 0)
        #expect(try Self.viewNames(path) == expected)
        #expect(try CLIShell.sqlite3(path, "SELECT sweep_id FROM latest_sweep; PRAGMA user_version;").stdout == "1\n\(Migrator.viewsHash)\n")
    }
}
