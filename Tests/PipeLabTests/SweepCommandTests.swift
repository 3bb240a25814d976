import Foundation
@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabNetwork
@testable import PipeLabReport
@testable import PipeLabStore
@testable import PipeLabSweep
@testable import PipeLabWorker
import Testing

/// `pipelab sweep` end to end on real sockets, queried with the sqlite3 shell.
@Suite struct SweepCommandTests {
    @Test func aSweepRecordsEveryRunWholeWithTheKernelsOutcomes() throws {
        let directory = try temporaryDirectory()
        let output = try CLI.run(["sweep", "--transport", "tcp4,unix,pipe", "--peer", "close,linger0", "--sigpipe", "ignore,nosignal,default",
                                  "--sleep", "50ms", "--sends", "3", "--payload", "5", "--repeat", "2", "--name", "small"], in: directory)
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stderr.isEmpty)
        // 3 × 2 × 3 would be 18: four of them cannot exist (the lines below).
        #expect(output.stdout.contains("ran 14 cells, not every combination of 3 transport, 2 peer, 3 sigpipe, up to 2 repeats each"), "\(output.stdout)")
        #expect(output.stdout.contains("sweep 1 'small' completed: 28 of 28 runs"))
        #expect(output.stdout.contains("  3 cells: SO_LINGER is a socket option"))
        let db = directory.appendingPathComponent("pipelab.sqlite").path
        let cells = try CLIShell.sqlite3(db, """
            SELECT transport || '/' || peer || '/' || sigpipe || ' ' || signature || ' ' || (runs - disturbed_runs)
            FROM cell_signatures WHERE runs > disturbed_runs ORDER BY 1;
            """).stdout
        // Each cell's undisturbed runs agree on the kernel's answer (runs the machine disturbed,
        // peer_late, are left out of a cell's verdict).
        var seen: [String: Set<String>] = [:]
        for line in cells.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 3 { seen[String(parts[0]), default: []].insert(String(parts[1])) }
        }
        // A busy machine may disturb every run of a cell: such a cell has no verdict to check.
        #expect(!seen.isEmpty, "the machine disturbed every run")
        for (cell, answer) in [("tcp4/close/ignore", "ok,ok,EPIPE"), ("tcp4/close/default", "ok,ok,killed:SIGPIPE"),
                               ("tcp4/linger0/nosignal", "ok,ECONNRESET,EPIPE"), ("unix/close/ignore", "ok,EPIPE,EPIPE"),
                               ("pipe/close/default", "ok,killed:SIGPIPE")] {
            #expect(seen[cell].map { $0 == [answer] } ?? true, "\(cell): \(seen[cell] ?? [])")
        }
        // Whole runs: one send step per signature token (a killed run's fatal send has a NULL result).
        let incomplete = try CLIShell.sqlite3(db, """
            SELECT COUNT(*) FROM runs r
            WHERE (SELECT COUNT(*) FROM steps s WHERE s.run_id = r.id AND s.send_number IS NOT NULL)
                  != length(r.signature) - length(replace(r.signature, ',', '')) + 1;
            """).stdout
        #expect(incomplete == "0\n")
        let sweep = try CLIShell.sqlite3(db, "SELECT status, planned_runs, skipped_cells, spec LIKE '%\"repeat\":2%', command_line FROM sweeps;").stdout
        #expect(sweep.hasPrefix("completed|28|4|1|pipelab sweep --transport tcp4,unix,pipe"))
    }

    @Test func specFileKeysAreTheFlagNamesAndFlagsOverrideThem() throws {
        let directory = try temporaryDirectory()
        let spec = directory.appendingPathComponent("spec.json")
        try Data(#"{"transport": ["unix"], "peer": "close", "sigpipe": ["ignore"], "sleep": [0, "20ms"], "sends": 3, "payload": [5], "repeat": 2, "name": "from-file"}"#.utf8).write(to: spec)
        let output = try CLI.run(["sweep", "--spec", spec.path, "--sleep", "20ms", "--quiet"], in: directory)
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.contains("'from-file' completed: 2 of 2 runs"))
    }

    @Test func twoSweepsOnOneNewDatabaseBothComplete() throws {
        let directory = try temporaryDirectory()
        let arguments = ["sweep", "--transport", "unix", "--peer", "close", "--sigpipe", "ignore", "--sleep", "0", "--sends", "3", "--payload", "5", "--repeat", "200", "--quiet", "--db", "shared.sqlite"]
        let results = try [0, 1].map { _ in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CLI.binary)
            process.arguments = arguments
            process.currentDirectoryURL = directory
            process.standardOutput = FileHandle.nullDevice
            let errors = Pipe()
            process.standardError = errors
            try process.run()
            return (process, errors)
        }.map { process, errors in
            let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, text)
        }
        for (status, errors) in results {
            #expect(status == 0, "\(errors)")
            #expect(!errors.contains("locked"))
        }
        let counts = try CLIShell.sqlite3(directory.appendingPathComponent("shared.sqlite").path,
                                          "SELECT (SELECT COUNT(*) FROM pipelab_migrations), (SELECT COUNT(*) FROM sweeps WHERE status = 'completed'), (SELECT COUNT(*) FROM runs);")
        #expect(counts.stdout == "\(Migrator.all.count)|2|400\n")
    }

    @Test func anInterruptedSweepResumesToExactlyTheMissingRuns() throws {
        let directory = try temporaryDirectory()
        // 40 runs of 300 ms on 4 workers take about 3 s; SIGINT lands after 1 s.
        let cutShort = try CLI.run(["sweep", "--transport", "tcp4,unix", "--peer", "close", "--sigpipe", "ignore,handler", "--sleep", "300ms",
                                    "--sends", "3", "--payload", "5", "--repeat", "10", "--jobs", "4", "--quiet", "--name", "cut"],
                                   in: directory, interruptAfter: 1.0)
        #expect(cutShort.status == 130)
        let db = directory.appendingPathComponent("pipelab.sqlite").path
        let cut = try CLIShell.sqlite3(db, "SELECT status, (SELECT COUNT(*) FROM runs) FROM sweeps;").stdout
        let recorded = Int(cut.split(separator: "|").last?.dropLast() ?? "") ?? -1
        #expect(cut.hasPrefix("interrupted|"))
        #expect(recorded > 0 && recorded < 40, "\(cut)")

        let resumed = try CLI.run(["sweep", "--resume", "--quiet"], in: directory)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let after = try CLIShell.sqlite3(db, """
            SELECT status, COUNT(*), COUNT(DISTINCT transport || sigpipe || repeat_index) FROM runs JOIN sweeps ON sweeps.id = runs.sweep_id;
            """).stdout
        #expect(after == "completed|40|40\n")
        let signatures = try CLIShell.sqlite3(db, "SELECT DISTINCT transport || ' ' || signature FROM runs ORDER BY 1;").stdout
        #expect(signatures == "tcp4 ok,ok,EPIPE\ntcp4 ok,ok,EPIPE+SIGPIPE\nunix ok,EPIPE+SIGPIPE,EPIPE+SIGPIPE\nunix ok,EPIPE,EPIPE\n")
    }

    @Test func pipelabDBChoosesTheDatabaseAndDashDashDbWins() throws {
        let directory = try temporaryDirectory()
        let arguments = ["sweep", "--transport", "unix", "--peer", "close", "--sigpipe", "ignore", "--sleep", "0", "--sends", "3",
                         "--payload", "5", "--repeat", "1", "--quiet"]
        #expect(try CLI.run(arguments, in: directory, environment: ["PIPELAB_DB": "env.sqlite"]).status == 0)
        #expect(try CLI.run(arguments + ["--db", "flag.sqlite"], in: directory, environment: ["PIPELAB_DB": "env.sqlite"]).status == 0)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sqlite") }.sorted()
        #expect(files == ["env.sqlite", "flag.sqlite"])
        let listed = try CLI.run(["sweeps"], in: directory, environment: ["PIPELAB_DB": "env.sqlite"])
        #expect(listed.stdout.contains("completed  1/1"))
    }

    @Test func aRecorderKilledOutrightLeavesNoWorkerBehind() throws {
        let directory = try temporaryDirectory()
        // Runs that hang (4 MiB sends to a peer that stopped reading) keep every worker busy.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["sweep", "--transport", "tcp4", "--peer", "shutdown-wr", "--sigpipe", "ignore,default", "--sleep", "0",
                             "--sends", "3", "--payload", "4MiB", "--repeat", "2", "--timeout", "60s", "--quiet"]
        process.currentDirectoryURL = directory
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        func workers() -> [Int32] {
            let marker = "--recorder\0\(process.processIdentifier)\0"
            let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
            return pids.compactMap { pid in
                guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
                      String(decoding: data, as: UTF8.self).contains(marker) else { return nil }
                return Int32(pid)
            }
        }
        var waited = 0
        while workers().isEmpty && waited < 50 {
            Thread.sleep(forTimeInterval: 0.1)
            waited += 1
        }
        #expect(!workers().isEmpty)
        kill(process.processIdentifier, SIGKILL)
        waited = 0
        while !workers().isEmpty && waited < 50 {
            Thread.sleep(forTimeInterval: 0.1)
            waited += 1
        }
        let leftovers = workers()
        #expect(leftovers.isEmpty)
        // Clean up whatever a regression left, so that it fails this test instead of hanging the suite.
        for pid in leftovers { kill(pid, SIGKILL) }
        process.waitUntilExit()
    }

    @Test func runWithDatabaseRecordsAOneRunSweep() throws {
        let directory = try temporaryDirectory()
        let output = try CLI.run(["run", "--sleep", "20ms", "--db", "one.sqlite", "--json"], in: directory)
        #expect(output.status == 0)
        let row = try CLIShell.sqlite3(directory.appendingPathComponent("one.sqlite").path,
                                       "SELECT sweep_name, signature, first_failing_send, first_errno_name FROM run_details;").stdout
        #expect(row == "run|ok,ok,EPIPE|3|EPIPE\n")
    }

    static let badSweeps: [[String]] = [
        ["--transport", "tcp4,"],
        ["--transport", ""],
        ["--peer", "close,slam"],
        ["--sleep=-1ms"],
        ["--sleep", "1,2"],
        ["--payload", "0"],
        ["--repeat", "0"],
        ["--jobs", "0"],
        ["--order", "random"],
        ["--seed", "-1"],
        ["--timeout", "0"],
        ["--resume", "--transport", "unix"],
        ["leftover"],
    ]

    @Test(arguments: badSweeps)
    func badFlagsWriteNothing(_ arguments: [String]) throws {
        let directory = try temporaryDirectory()
        let output = try CLI.run(["sweep"] + arguments, in: directory)
        #expect(output.status == 64, "\(output.stderr)")
        #expect(output.stderr.split(separator: "\n").count == 1)
        #expect(output.stdout.isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    static let badSpecs: [(String, String)] = [
        (#"{"transprt": ["tcp4"]}"#, "key 'transprt' is unknown"),
        (#"{"transport": "tcp9"}"#, "unknown value 'tcp9'"),
        (#"{"sends": "three"}"#, "'three' is not a whole number"),
        (#"{"sleep": ["-5ms"]}"#, "negative"),
        (#"{"peer": []}"#, "the list is empty"),
        (#"{"repeat": true}"#, "wrong type"),
        (#"{"sleep": {"a": 1}}"#, "wrong type"),
        (#"["tcp4"]"#, "top level must be a JSON object"),
        (#"{"transport": "#, "not valid JSON"),
    ]

    @Test(arguments: badSpecs)
    func badSpecFilesWriteNothing(_ text: String, _ expected: String) throws {
        let directory = try temporaryDirectory()
        let spec = directory.appendingPathComponent("spec.json")
        try Data(text.utf8).write(to: spec)
        let output = try CLI.run(["sweep", "--spec", spec.path], in: directory)
        #expect(output.status == 64)
        #expect(output.stderr.contains(expected), "\(output.stderr)")
        #expect(output.stderr.split(separator: "\n").count == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["spec.json"])
    }
}
