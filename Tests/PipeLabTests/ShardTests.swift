import Foundation
@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabNetwork
@testable import PipeLabReport
@testable import PipeLabStore
@testable import PipeLabSweep
@testable import PipeLabWorker
import Testing

/// `sweep --shard`, the schedulers' variables, and `pipelab merge`, run as a user would.
@Suite struct ShardTests {
    /// A small grid that runs in about a second: 2 × 2 × 2 sleeps × 2 payloads × 3 repeats = 48 runs.
    static let grid = ["--transport", "unix", "--peer", "close,linger0", "--sigpipe", "ignore,nosignal",
                       "--sleep", "0,1ms", "--payload", "5,64KiB", "--repeat", "3", "--quiet"]
    static let cellColumns = "transport, peer, sigpipe, sleep_ns, sends, payload_bytes, repeat_index"

    /// Four processes at once, each told its part the way a Slurm array with a step tells it
    /// (ids 10, 20, 30, 40), each on its own database; merged, they are the unsharded sweep.
    @Test func fourSchedulerTasksMergeIntoTheUnshardedSweep() throws {
        let dir = try temporaryDirectory()
        nonisolated(unsafe) var outputs = [CLI.Output?](repeating: nil, count: 4)
        let lock = NSLock(), finished = DispatchGroup()
        // One thread per task, so the four processes really run at the same time.
        for rank in 0..<4 {
            finished.enter()
            Thread.detachNewThread {
                defer { finished.leave() }
                let environment = ["SLURM_ARRAY_TASK_ID": String(10 + 10 * rank), "SLURM_ARRAY_TASK_MIN": "10",
                               "SLURM_ARRAY_TASK_MAX": "40", "SLURM_ARRAY_TASK_STEP": "10", "SLURM_ARRAY_TASK_COUNT": "4"]
                let output = try? CLI.run(["sweep", "--shard", "auto", "--db", dir.appendingPathComponent("shard-\(rank).sqlite").path] + Self.grid,
                                          environment: environment)
                lock.lock()
                outputs[rank] = output
                lock.unlock()
            }
        }
        finished.wait()
        for (rank, output) in outputs.enumerated() {
            #expect(output?.status == 0, "shard \(rank): \(output?.stderr ?? "did not run")")
            #expect(output?.stdout.hasPrefix("shard \(rank)/4 of group ") == true)
        }
        let unsharded = dir.appendingPathComponent("unsharded.sqlite").path
        #expect(try CLI.run(["sweep", "--db", unsharded] + Self.grid).status == 0)

        let merged = dir.appendingPathComponent("merged.sqlite").path
        let inputs = (0..<4).map { dir.appendingPathComponent("shard-\($0).sqlite").path }
        let first = try CLI.run(["merge", "--db", merged] + inputs)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.split(separator: "\n").count == 4)
        // One machine is one host, whichever database it recorded into (its UUID is named by its facts).
        #expect(first.stdout.contains("added 1 host, 1 sweep, 12 runs"))
        #expect(first.stdout.components(separatedBy: "added 0 hosts, 1 sweep, 12 runs").count == 4)
        #expect(try CLIShell.sqlite3(merged, "SELECT COUNT(*) FROM hosts;").stdout == "1\n")

        let counts = try CLIShell.sqlite3(merged, """
            ATTACH '\(unsharded)' AS u;
            SELECT (SELECT COUNT(*) FROM runs), (SELECT COUNT(*) FROM (SELECT DISTINCT \(Self.cellColumns) FROM runs)),
                   (SELECT COUNT(*) FROM u.runs),
                   (SELECT COUNT(*) FROM (SELECT \(Self.cellColumns) FROM runs EXCEPT SELECT \(Self.cellColumns) FROM u.runs)),
                   (SELECT COUNT(*) FROM (SELECT \(Self.cellColumns) FROM u.runs EXCEPT SELECT \(Self.cellColumns) FROM runs)),
                   (SELECT COUNT(DISTINCT group_uuid) || '/' || COUNT(DISTINCT shard_index) || '/' || MAX(shard_count) FROM sweeps),
                   (SELECT COUNT(*) FROM steps s LEFT JOIN runs r ON r.id = s.run_id WHERE r.id IS NULL);
            """)
        // 48 runs, each (cell, repeat) once, the same set as unsharded, one group of 4 shards, no orphan steps.
        #expect(counts.stdout == "48|48|48|0|0|1/4/4|0\n", "\(counts.stderr)")

        let again = try CLI.run(["merge", "--db", merged] + inputs)
        #expect(again.status == 0)
        #expect(again.stdout.split(separator: "\n").allSatisfy { $0.hasSuffix("added 0 hosts, 0 sweeps, 0 runs, 0 steps") })

        // The merged group reports as one sweep of all 48 runs, through a temporary database that
        // is never visible in TMPDIR (SQLite unlinks it at once), so no kill can leave it behind.
        let temporary = try temporaryDirectory()
        let report = try CLI.run(["report", "--db", merged, "1"], environment: ["TMPDIR": temporary.path])
        #expect(report.status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary.path).isEmpty)
        #expect(report.stdout.contains("48 of 48 runs in 16 cells"))
        #expect(report.stdout.contains("4 of 4 shards, so the whole grid"))
    }

    @Test func everyRunIsInExactlyOneShardAndTheShardsAreBalanced() throws {
        var overrides = SpecOverrides()
        try overrides.set("sleep", "0,1ms,10ms,1s", label: "--sleep")
        try overrides.set("sends", "1,3", label: "--sends")
        try overrides.set("repeat", "5", label: "--repeat")
        let spec = overrides.applied(to: .builtIn)
        let whole = Grid(spec)
        for count in [1, 3, 4, 7, 64] {
            var owner = [Int](repeating: -1, count: whole.gridRunCount)
            var expected: [Double] = []
            for index in 0..<count {
                let grid = Grid(spec, shard: Shard(index: index, count: count, group: "g"))
                var runs = 0
                for position in 0..<whole.gridRunCount where grid.shard?.contains(runAt: position) == true {
                    #expect(owner[position] == -1)
                    owner[position] = index
                    runs += 1
                }
                #expect(runs == grid.runCount)
                #expect(Array(grid.requests()).count == runs)
                expected.append(grid.shard?.expectedSeconds ?? 0)
            }
            #expect(!owner.contains(-1))
            // At most one run of the heaviest class (1s × 2 sleeps + overhead) apart.
            let heaviest = Double(ShardPlan.weightNs(sleepNs: 1_000_000_000, sends: 3)) / 1e9
            #expect((expected.max() ?? 0) - (expected.min() ?? 0) <= heaviest + 1e-9, "\(count) shards: \(expected)")
        }
    }

    @Test func schedulersVariablesGiveTheShard() throws {
        let slurm = try Shard.fromScheduler(["SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "3", "SLURM_ARRAY_TASK_COUNT": "4"],
                                            shards: nil, group: "g")
        #expect(slurm == Shard(index: 2, count: 4, group: "g"))
        let kubernetes = try Shard.fromScheduler(["JOB_COMPLETION_INDEX": "3", "PIPELAB_SHARDS": "8"], shards: nil, group: "g")
        #expect(kubernetes == Shard(index: 3, count: 8, group: "g"))
        #expect(try Shard.fromScheduler(["JOB_COMPLETION_INDEX": "3"], shards: 5, group: "g") == Shard(index: 3, count: 5, group: "g"))
        let ci = try Shard.fromScheduler(["PIPELAB_SHARD_INDEX": "1", "PIPELAB_SHARD_COUNT": "2"], shards: nil, group: "g")
        #expect(ci == Shard(index: 1, count: 2, group: "g"))
        let refusals: [([String: String], Int?, String)] = [
            ([:], nil, "SLURM_ARRAY_TASK_ID"),
            (["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MIN": "0"], nil, "SLURM_ARRAY_TASK_COUNT"),
            (["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "2"], nil, "SLURM_ARRAY_TASK_MIN"),
            // --array=0,3,7: three tasks whose ids are not evenly spaced.
            (["SLURM_ARRAY_TASK_ID": "7", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "7", "SLURM_ARRAY_TASK_COUNT": "3"], nil, "SLURM_ARRAY_TASK_MAX"),
            (["SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_COUNT": "4"], 3, "--shards"),
            (["JOB_COMPLETION_INDEX": "0"], nil, "PIPELAB_SHARDS"),
            (["JOB_COMPLETION_INDEX": "4", "PIPELAB_SHARDS": "4"], nil, "JOB_COMPLETION_INDEX"),
            (["PIPELAB_SHARD_INDEX": "0"], nil, "PIPELAB_SHARD_COUNT"),
            (["PIPELAB_SHARD_INDEX": "-1", "PIPELAB_SHARD_COUNT": "2"], nil, "PIPELAB_SHARD_INDEX"),
            // Extreme values are refused, never trapped on (the step once overflowed MIN + (COUNT − 1) × STEP).
            (["SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_COUNT": "2",
              "SLURM_ARRAY_TASK_STEP": "9223372036854775807", "SLURM_ARRAY_TASK_MAX": "1"], nil, "SLURM_ARRAY_TASK_MAX"),
            (["SLURM_ARRAY_TASK_ID": "9223372036854775807", "SLURM_ARRAY_TASK_MIN": "0",
              "SLURM_ARRAY_TASK_COUNT": "9223372036854775807", "SLURM_ARRAY_TASK_MAX": "9223372036854775807"], nil, "SLURM_ARRAY_TASK_COUNT"),
            (["SLURM_ARRAY_TASK_ID": "99999999999999999999", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_COUNT": "2"], nil, "SLURM_ARRAY_TASK_ID"),
            // Two schedulers at once name two shards: refused, not resolved by precedence.
            (["SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_COUNT": "2",
              "PIPELAB_SHARD_INDEX": "1", "PIPELAB_SHARD_COUNT": "2"], nil, "SLURM_ARRAY_TASK_ID and PIPELAB_SHARD_INDEX"),
        ]
        for (environment, shards, variable) in refusals {
            #expect(throws: InputError.self) { try Shard.fromScheduler(environment, shards: shards, group: "g") }
            do { _ = try Shard.fromScheduler(environment, shards: shards, group: "g") } catch {
                #expect(error.message.hasPrefix(variable), "\(environment): \(error.message)")
            }
        }
    }

    @Test func aMissingVariableIsRefusedBeforeAnythingIsWritten() throws {
        let dir = try temporaryDirectory()
        let db = dir.appendingPathComponent("never.sqlite").path
        let output = try CLI.run(["sweep", "--shard", "auto", "--db", db] + Self.grid, environment: ["JOB_COMPLETION_INDEX": "2"])
        #expect(output.status == 64)
        #expect(output.stderr.split(separator: "\n").count == 1 && output.stderr.contains("PIPELAB_SHARDS"))
        #expect(!FileManager.default.fileExists(atPath: db))
        for bad in [["--shard", "4/4"], ["--shard", "1"], ["--group", "x"], ["--shard", "0/2", "--group", "not-a-uuid"]] {
            #expect(try CLI.run(["sweep", "--db", db] + bad + Self.grid).status == 64, "\(bad)")
        }
        #expect(!FileManager.default.fileExists(atPath: db))
    }

    @Test func theGroupIsDerivedFromTheSpecAndNameOrGiven() throws {
        let builtIn = SweepSpec.builtIn
        var fewerJobs = builtIn
        fewerJobs.jobs = 1
        var named = builtIn
        named.name = "other"
        #expect(GroupIdentity.derived(from: builtIn) == GroupIdentity.derived(from: fewerJobs))
        #expect(GroupIdentity.derived(from: builtIn) != GroupIdentity.derived(from: named))
        #expect(GroupIdentity.derived(from: builtIn).dropFirst(14).first == "5")
        // RFC 9562's SHA-1 check value for "abc".
        #expect(SHA1.digest(Array("abc".utf8)).map { String(format: "%02x", $0) }.joined() == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(try Shard.group("2F1C9A4E-5B7D-5E21-9C3A-0D4B6E8F1A27") == "2f1c9a4e-5b7d-5e21-9c3a-0d4b6e8f1a27")
    }

    /// More inputs than SQLite attaches at once (10): attached one at a time.
    @Test func twelveShardsMergeIntoOne() throws {
        let dir = try temporaryDirectory()
        let inputs = (0..<12).map { dir.appendingPathComponent("s\($0).sqlite").path }
        for (index, path) in inputs.enumerated() {
            let output = try CLI.run(["sweep", "--shard", "\(index)/12", "--db", path] + Self.grid)
            #expect(output.status == 0, "\(output.stderr)")
        }
        let merged = dir.appendingPathComponent("merged.sqlite").path
        let output = try CLI.run(["merge", "--db", merged] + inputs)
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.split(separator: "\n").count == 12)
        let counts = try CLIShell.sqlite3(merged, "SELECT COUNT(*), COUNT(DISTINCT sweep_id) FROM runs; SELECT shards_recorded, runs FROM shard_groups;")
        #expect(counts.stdout == "48|12\n12|48\n")
    }

    @Test func refusedInputsLeaveEverythingAsItWas() throws {
        let dir = try temporaryDirectory()
        let shard = dir.appendingPathComponent("shard.sqlite").path
        #expect(try CLI.run(["sweep", "--shard", "0/2", "--db", shard] + Self.grid).status == 0)
        let merged = dir.appendingPathComponent("merged.sqlite").path
        #expect(try CLI.run(["merge", "--db", merged, shard]).status == 0)
        let mergedBefore = try CLIShell.sqlite3(merged, "SELECT COUNT(*) FROM runs; SELECT COUNT(*) FROM sweeps;").stdout

        let notes = dir.appendingPathComponent("notes.sqlite").path
        let text = Data(String(repeating: "not a database\n", count: 100).utf8)
        #expect(FileManager.default.createFile(atPath: notes, contents: text))
        let other = dir.appendingPathComponent("other.sqlite").path
        #expect(try CLIShell.sqlite3(other, "CREATE TABLE runs (id INTEGER PRIMARY KEY, uuid TEXT); INSERT INTO runs VALUES (1, 'x');").status == 0)
        let newer = dir.appendingPathComponent("newer.sqlite").path
        #expect(try CLI.run(["sweep", "--db", newer] + Self.grid).status == 0)
        #expect(try CLIShell.sqlite3(newer, "INSERT INTO pipelab_migrations VALUES (999, 'future', '2030-01-01', '9.9.9');").status == 0)

        for (input, words) in [(notes, "not a SQLite database"), (other, "not pipelab's"), (newer, "999")] {
            let before = try Data(contentsOf: URL(fileURLWithPath: input))
            let output = try CLI.run(["merge", "--db", merged, input])
            #expect(output.status == 65, "\(input): \(output.stderr)")
            #expect(output.stderr.contains(words) && output.stderr.split(separator: "\n").count == 1, "\(output.stderr)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: input)) == before)
            #expect(try CLIShell.sqlite3(merged, "SELECT COUNT(*) FROM runs; SELECT COUNT(*) FROM sweeps;").stdout == mergedBefore)
        }
        #expect(try CLI.run(["merge", "--db", merged, dir.appendingPathComponent("absent.sqlite").path]).status == 64)
    }

    /// A database at schema version 1 is refused (65) with the way forward: migrating it would run
    /// its own triggers, which merge never does. Migrated (as its owner may choose), it merges.
    @Test func anOlderInputIsRefusedUntilMigratedAndLeftUnchanged() throws {
        let dir = try temporaryDirectory()
        let old = dir.appendingPathComponent("v1.sqlite").path
        // A leading newline: sqlite3 would take SQL that starts with "--" for an option.
        let migration = Migrator.all[0]
        let created = try CLIShell.sqlite3(old, "\n" + migration.sql + """
            INSERT INTO pipelab_migrations VALUES (1, 'initial', '2026-01-01T00:00:00Z', '0.0.1');
            INSERT INTO hosts VALUES (1, 'h-uuid', 'old-host', '5.10', 'Debian', 'x86_64', 2, '{}');
            INSERT INTO sweeps VALUES (1, 's-uuid', 'old', 'completed', 1, '{"sleep": ["1ms"], "transport": ["unix"], "peer": ["close"], "sigpipe": ["ignore"], "repeat": 1}',
                                       'pipelab sweep', '0.0.1', '2026-01-01T00:00:00Z', '2026-01-01T00:00:01Z', 1, 0);
            INSERT INTO runs (id, uuid, sweep_id, transport, peer, sigpipe, sleep_ns, sends, payload_bytes, repeat_index, outcome,
                              signature, first_failing_send, first_errno, first_errno_name, started_at, duration_ns)
                VALUES (1, 'r-uuid', 1, 'unix', 'close', 'ignore', 1000000, 3, 5, 0, 'error', 'ok,EPIPE,EPIPE', 2, 32, 'EPIPE',
                        '2026-01-01T00:00:00Z', 1200000);
            INSERT INTO steps VALUES (1, 1, 'client', 'send', 1, 5, 5, NULL, NULL, 0, 100, 10, NULL);
            """)
        #expect(created.status == 0, "\(created.stderr)")
        let before = try Data(contentsOf: URL(fileURLWithPath: old))
        let merged = dir.appendingPathComponent("merged.sqlite").path
        let refused = try CLI.run(["merge", "--db", merged, old])
        #expect(refused.status == 65 && refused.stderr.contains("lacks migration 2") && refused.stderr.contains("pipelab migrate --db"), "\(refused.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: old)) == before)
        #expect(!FileManager.default.fileExists(atPath: merged))
        #expect(try CLI.run(["migrate", "--db", old]).status == 0)
        let output = try CLI.run(["merge", "--db", merged, old])
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.hasSuffix("added 1 host, 1 sweep, 1 run, 1 step\n"))
        let copied = try CLIShell.sqlite3(merged, "SELECT r.uuid, r.signature, r.first_errno_name, r.peer_late, s.group_uuid IS NULL FROM runs r JOIN sweeps s ON s.id = r.sweep_id;")
        #expect(copied.stdout == "r-uuid|ok,EPIPE,EPIPE|EPIPE|0|1\n")
    }
}

extension ShardTests {
    /// One spec recorded on two hosts (the second made from the first: another hostname and kernel,
    /// new UUIDs, and every run given a signature the first host never records): the report gets a section per
    /// host and names that cell; compare takes the two hosts' sweeps directly.
    @Test func oneSpecOnTwoHostsGetsASectionPerHostAndTheDifferingCells() throws {
        let dir = try temporaryDirectory()
        let first = dir.appendingPathComponent("first.sqlite").path, second = dir.appendingPathComponent("second.sqlite").path
        let spec = ["--transport", "unix", "--peer", "close", "--sigpipe", "ignore", "--sleep", "1ms", "--payload", "5", "--repeat", "12", "--quiet"]
        #expect(try CLI.run(["sweep", "--db", first] + spec).status == 0)
        #expect(try CLI.run(["sweep", "--db", second] + spec).status == 0)
        let changed = try CLIShell.sqlite3(second, """
            UPDATE hosts SET uuid = uuid || '-b', hostname = 'second-host', kernel = '9.9.9';
            UPDATE sweeps SET uuid = uuid || '-b';
            UPDATE runs SET uuid = uuid || '-b', signature = 'ok,ECONNRESET,EPIPE', outcome = 'error', peer_late = 0;
            """)
        #expect(changed.status == 0, "\(changed.stderr)")
        let merged = dir.appendingPathComponent("merged.sqlite").path
        #expect(try CLI.run(["merge", "--db", merged, first, second]).status == 0)
        let report = try CLI.run(["report", "--db", merged, "1"])
        #expect(report.status == 0, "\(report.stderr)")
        #expect(report.stdout.contains("## Hosts") && report.stdout.contains("### Host 2: Linux 9.9.9, "))
        #expect(report.stdout.contains("Recorded as second-host; sweeps 2: 12 runs in 1 cells"))
        #expect(report.stdout.contains("Host 1 (A) and host 2 (B), 1 cells in common: 1 cells differ"))
        #expect(report.stdout.contains("| unix/close/ignore/1ms/3/5 | `ok,EPIPE,EPIPE` "))
        #expect(report.stdout.contains(" | `ok,ECONNRESET,EPIPE` 12 | "))
        let compare = try CLI.run(["compare", "--db", merged, "1", "2"])
        #expect(compare.status == 1)
    }

    /// Hosts are their facts: two pods of one image (only the host name differs) are one host, with
    /// both names; a host that shares no cell with the others is named, never compared.
    @Test func podsOfOneImageAreOneHostAndHostsWithoutCommonCellsAreNotCompared() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = { (name: String) in dir.appendingPathComponent(name + ".sqlite").path }
        let spec = ["--transport", "unix,pipe", "--peer", "close", "--sigpipe", "ignore", "--sleep", "1ms", "--payload", "5", "--repeat", "1", "--quiet"]
        for (index, name) in ["pod-a", "pod-b", "other-kernel"].enumerated() {
            // The same spec; of its two cells, the pods hold one, the other kernel the other.
            #expect(try CLI.run(["sweep", "--db", path(name), "--shard", "\(index == 2 ? 1 : 0)/2"] + spec).status == 0)
            let kernel = index == 2 ? ", kernel = '9.9.9'" : ""
            #expect(try CLIShell.sqlite3(path(name), "UPDATE hosts SET uuid = uuid || '-\(name)', hostname = '\(name)'\(kernel); UPDATE sweeps SET uuid = uuid || '-\(name)'; UPDATE runs SET uuid = uuid || '-\(name)';").status == 0)
        }
        let merged = path("merged")
        #expect(try CLI.run(["merge", "--db", merged, path("pod-a"), path("pod-b"), path("other-kernel")]).status == 0)
        let report = try CLI.run(["report", "--db", merged, "1"])
        #expect(report.status == 0, "\(report.stderr)")
        #expect(report.stdout.contains("This spec was recorded on 2 hosts"), "\(report.stdout)")
        #expect(report.stdout.contains("Recorded as pod-a, pod-b; sweeps 1, 2: 2 runs in 1 cells"))
        #expect(report.stdout.contains("### Host 2: Linux 9.9.9, ") && report.stdout.contains("Recorded as other-kernel; sweeps 3: "))
        #expect(report.stdout.contains("Host 2 shares no cell with an earlier host: not compared."))
    }
}
