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

/// Every SQLite failure ends with the exit code docs/guide.md documents and a line that says what to do.
@Suite struct StoreFaultTests {
    /// 2000 runs of no sleep: enough rows to fill a small disk.
    static let quickSweep = ["sweep", "--transport", "unix,tcp4", "--peer", "close,shutdown-wr,shutdown-rdwr,linger0,close-unread",
                             "--sigpipe", "default,ignore,handler,nosignal,blocked", "--sleep", "0", "--payload", "5,64KiB",
                             "--repeat", "20", "--quiet"]

    @Test func aFullDiskExits73AndKeepsWhatWasRecorded() throws {
        guard geteuid() == 0 else { return }  // a small tmpfs needs root
        let mount = try TmpfsMount(size: "400k")
        defer { mount.remove() }
        let database = mount.directory.appendingPathComponent("lab.sqlite")
        let output = try CLI.run(Self.quickSweep + ["--db", database.path])
        #expect(output.status == 73, "\(output.stderr)")
        #expect(output.stderr.split(separator: "\n").count == 1)
        #expect(output.stderr.contains("the disk is full; free some space"))
    }

    @Test func aReadOnlyFileExits73() throws {
        let directory = try temporaryDirectory()
        let database = directory.appendingPathComponent("lab.sqlite")
        #expect(try CLI.run(["migrate", "--db", database.path]).status == 0)
        let mount: TmpfsMount?
        let path: String
        if geteuid() == 0 {
            // Root writes through file modes: only a read-only mount stops it.
            let scratch = try TmpfsMount()
            try FileManager.default.copyItem(atPath: database.path, toPath: scratch.directory.appendingPathComponent("lab.sqlite").path)
            try scratch.makeReadOnly()
            (mount, path) = (scratch, scratch.directory.appendingPathComponent("lab.sqlite").path)
        } else {
            chmod(database.path, 0o444)
            chmod(directory.path, 0o555)
            (mount, path) = (nil, database.path)
        }
        defer { mount?.remove() }
        for command in [Self.quickSweep, ["run", "--transport", "unix", "--sleep", "0"], ["migrate"]] {
            let output = try CLI.run(command + ["--db", path])
            #expect(output.status == 73, "\(command): \(output.stderr)")
            #expect(output.stderr.split(separator: "\n").count == 1)
            #expect(output.stderr.contains("is not writable"), "\(output.stderr)")
        }
    }

    @Test func aReadOnlyDirectoryExits73() throws {
        guard geteuid() == 0 else { return }
        let mount = try TmpfsMount()
        defer { mount.remove() }
        try mount.makeReadOnly()
        let output = try CLI.run(Self.quickSweep + ["--db", mount.directory.appendingPathComponent("new.sqlite").path])
        #expect(output.status == 73, "\(output.stderr)")
        #expect(output.stderr.contains("its directory is not writable (Read-only file system)"), "\(output.stderr)")
    }

    @Test func aDamagedDatabaseExits65() throws {
        let directory = try temporaryDirectory()
        let database = directory.appendingPathComponent("lab.sqlite")
        #expect(try CLI.run(Self.quickSweep + ["--db", database.path]).status == 0)
        #expect(try CLIShell.sqlite3(database.path, "PRAGMA journal_mode = DELETE;").status == 0)
        // Garbage over every page but the first: the header still says SQLite, the b-trees are gone.
        let handle = try FileHandle(forWritingTo: database)
        let size = try handle.seekToEnd()
        try handle.seek(toOffset: 4096)
        try handle.write(contentsOf: Data(repeating: 0xA5, count: Int(size) - 4096))
        try handle.close()
        for command in [["sweeps"], ["report"], Self.quickSweep] {
            let output = try CLI.run(command + ["--db", database.path])
            #expect(output.status == 65, "\(command): \(output.stderr)")
            #expect(output.stderr.split(separator: "\n").count == 1)
            #expect(output.stderr.contains("is damaged") && output.stderr.contains(".recover"), "\(output.stderr)")
        }
    }

    /// One damaged page past the schema (the first read sees nothing wrong): every writing command
    /// refuses the file (65) before it writes a byte to it.
    @Test func aDamagedPageIsFoundBeforeAnyWrite() throws {
        let directory = try temporaryDirectory()
        let database = directory.appendingPathComponent("lab.sqlite")
        #expect(try CLI.run(Self.quickSweep + ["--repeat", "20", "--db", database.path]).status == 0)
        #expect(try CLIShell.sqlite3(database.path, "PRAGMA journal_mode = DELETE;").status == 0)
        let handle = try FileHandle(forWritingTo: database)
        let size = try handle.seekToEnd()
        #expect(size > 8 * 4096)
        try handle.seek(toOffset: size - 4096)
        try handle.write(contentsOf: Data(repeating: 0xA5, count: 3000))
        try handle.close()
        let before = try Data(contentsOf: database)
        for command in [Self.quickSweep, ["run", "--transport", "unix", "--sleep", "0"], ["merge", "--db", database.path, database.path]] {
            let output = try CLI.run(command + (command[0] == "merge" ? [] : ["--db", database.path]))
            #expect(output.status == 65, "\(command): \(output.stderr)")
            #expect(output.stderr.split(separator: "\n").count == 1)
            // Merge reads the damaged rows as an input before it opens the output: refused by a rule.
            #expect(output.stderr.contains("is damaged") || (command[0] == "merge" && output.stderr.contains("breaks the rule")), "\(output.stderr)")
            #expect(try Data(contentsOf: database) == before)
        }
    }

    /// `run --db` records its one-run sweep whole or not at all.
    @Test func aRunWhoseRecordingFailsLeavesNoSweep() throws {
        let directory = try temporaryDirectory()
        let database = directory.appendingPathComponent("one.sqlite")
        #expect(try CLI.run(["migrate", "--db", database.path]).status == 0)
        // A step left behind by a run that is gone (foreign keys off) holds the place of the first
        // step of the run about to be written as run 1: its insert fails after the sweep's and
        // the run's. (pipelab runs no trigger, so none can make the failure.)
        #expect(try CLIShell.sqlite3(database.path, """
            PRAGMA foreign_keys = OFF;
            INSERT INTO steps (run_id, seq, actor, op, bytes, sigpipe, start_ns) VALUES (1, 1, 'client', 'connect', 0, 0, 0);
            """).status == 0)
        let output = try CLI.run(["run", "--transport", "unix", "--sleep", "0", "--db", database.path])
        #expect(output.status == 70, "\(output.stderr)")
        #expect(output.stderr.contains("UNIQUE constraint failed: steps.run_id, steps.seq"), "\(output.stderr)")
        #expect(try query(database, "SELECT (SELECT COUNT(*) FROM sweeps), (SELECT COUNT(*) FROM hosts), (SELECT COUNT(*) FROM sweep_leases);") == "0|0|0\n")
    }
}
