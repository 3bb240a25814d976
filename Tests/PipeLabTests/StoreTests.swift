import Foundation
@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabNetwork
@testable import PipeLabReport
@testable import PipeLabStore
@testable import PipeLabSweep
@testable import PipeLabWorker
import Testing

@Suite struct StoreTests {
    @Test func migratesAnEmptyFileAndDoesNotReapply() throws {
        let directory = try temporaryDirectory()
        let path = directory.appendingPathComponent("empty.sqlite").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        let store = try Store(path: path, create: false)
        #expect(try store.schemaVersions().database == Migrator.latestVersion)
        #expect(try store.appliedMigrations().map(\.version) == Migrator.all.map(\.version))
        let firstApplied = try store.appliedMigrations()
        let reopened = try Store(path: path, create: false)
        let again = try reopened.appliedMigrations()
        #expect(again.map(\.appliedAt) == firstApplied.map(\.appliedAt))
        #expect(again.count == firstApplied.count)
    }

    @Test func migrationFilesAreNumberedInOrder() {
        // Every file but views.sql is a numbered migration.
        #expect(Migrator.all.count + 1 == embeddedMigrations.count)
        #expect(embeddedMigrations.contains { $0.file == Migrator.viewsFile })
        // Strictly increasing from 1; a number may be missing on a branch while another branch adds it.
        let versions = Migrator.all.map(\.version)
        #expect(versions.first == 1 && zip(versions, versions.dropFirst()).allSatisfy { $0 < $1 })
    }

    @Test func aNewerSchemaIsRefusedNamingBothVersions() throws {
        let path = try temporaryDirectory().appendingPathComponent("newer.sqlite").path
        _ = try Store(path: path, create: true)
        let sqlite = try CLIShell.sqlite3(path, "INSERT INTO pipelab_migrations VALUES (999, 'future', '2030-01-01', '9.9.9');")
        #expect(sqlite.status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let output = try CLI.run(["sweeps", "--db", path])
        #expect(output.status == 65)
        #expect(output.stderr.contains("999") && output.stderr.contains("9.9.9") && output.stderr.contains(PipeLabVersion.current))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    @Test func aFileThatIsNotADatabaseIsLeftByteForByte() throws {
        let path = try temporaryDirectory().appendingPathComponent("notes.sqlite").path
        let content = Data(String(repeating: "not a database, just notes\n", count: 200).utf8)
        #expect(FileManager.default.createFile(atPath: path, contents: content))
        for arguments in [["sweep", "--transport", "unix", "--sleep", "0", "--repeat", "1", "--db", path],
                          ["migrate", "--db", path], ["sweeps", "--db", path], ["run", "--db", path]] {
            let output = try CLI.run(arguments)
            #expect(output.status == 65, "\(arguments): \(output.stderr)")
            #expect(output.stderr.contains("not a SQLite database"))
            #expect(output.stderr.split(separator: "\n").count == 1)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == content)
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
    }

    @Test func anUnwritableLocationIsAClearError() throws {
        let output = try CLI.run(["migrate", "--db", "/nonexistent-directory/pipelab.sqlite"])
        #expect(output.status == 73)
        #expect(output.stderr.hasPrefix("pipelab: cannot open database /nonexistent-directory/pipelab.sqlite"))
    }

    @Test func theBinaryAloneCarriesItsMigrations() throws {
        let directory = try temporaryDirectory()
        let copy = directory.appendingPathComponent("pipelab")
        try FileManager.default.copyItem(atPath: CLI.binary, toPath: copy.path)
        let process = Process()
        process.executableURL = copy
        process.arguments = ["migrate", "--db", "fresh.sqlite"]
        process.currentDirectoryURL = directory
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let tables = try CLIShell.sqlite3(directory.appendingPathComponent("fresh.sqlite").path,
                                          "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name);")
        #expect(tables.stdout == "hosts,packets,pipelab_migrations,runs,skipped,steps,sweep_leases,sweeps\n")
    }
}

/// The sqlite3 command-line shell, as users query the database.
enum CLIShell {
    static func sqlite3(_ path: String, _ sql: String) throws -> CLI.Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [path, sql]
        let printed = try runCapturingOutput(process)
        return CLI.Output(status: process.terminationStatus, stdout: printed.stdout, stderr: printed.stderr, signaled: false)
    }
}
