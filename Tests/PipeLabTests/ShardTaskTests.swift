import Foundation
import Glibc
@testable import PipeLabExperiment
@testable import PipeLabStore
import Testing

/// A shard task as a scheduler treats it: killed with its workers (scancel, a time limit, a pod
/// eviction), requeued into the same file, resubmitted alone. Signals and the schedulers'
/// variables reproduce each case without a scheduler.
@Suite struct ShardTaskTests {
    /// Shard 0/2: 12 runs, 6 of them sleeping 1 s, 2 at a time: a few seconds, long enough to be
    /// killed part-way.
    static let slowGrid = ["--transport", "unix", "--peer", "close", "--sigpipe", "ignore,nosignal", "--sleep", "0,1s",
                           "--payload", "5", "--repeat", "6", "--jobs", "2", "--quiet"]
    /// 8 runs that take well under a second.
    static let quickGrid = ["--transport", "unix", "--peer", "close", "--sigpipe", "ignore", "--sleep", "0",
                            "--payload", "5", "--repeat", "8", "--quiet"]
    static let pairs = "SELECT COUNT(*) || '|' || COUNT(DISTINCT sigpipe || '/' || sleep_ns || '/' || repeat_index) || '|' || SUM(outcome = 'harness-error') FROM runs;"

    @Test func theSameShardCommandAfterSIGKILLContinuesItsShardAndThenDoesNothing() throws {
        let dir = try temporaryDirectory()
        let db = dir.appendingPathComponent("shard-0.sqlite").path
        let command = ["sweep", "--shard", "0/2", "--db", db] + Self.slowGrid
        let task = ["SLURM_JOB_ID": "12", "SLURM_ARRAY_JOB_ID": "11", "SLURM_ARRAY_TASK_ID": "0"]
        try BackgroundTask(command, environment: task).killedWithItsWorkers(by: SIGKILL, afterRunsIn: db)
        let left = try CLIShell.sqlite3(db, "SELECT status, planned_runs, (SELECT COUNT(*) FROM runs) < planned_runs FROM sweeps;").stdout
        #expect(left == "running|12|1\n", "the kill came after the shard finished: \(left)")

        // Slurm requeues the task: the same ids, and a restart count.
        let again = try CLI.run(command, environment: task.merging(["SLURM_RESTART_COUNT": "1"]) { $1 })
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("continuing its sweep 1 in \(db)"))
        #expect(try CLIShell.sqlite3(db, "SELECT COUNT(*), MIN(status) FROM sweeps;").stdout == "1|completed\n")
        #expect(try CLIShell.sqlite3(db, Self.pairs).stdout == "12|12|0\n")
        #expect(try CLIShell.sqlite3(db, "SELECT scheduler FROM sweeps;").stdout
                == #"[{"SLURM_JOB_ID":"12","SLURM_ARRAY_JOB_ID":"11","SLURM_ARRAY_TASK_ID":"0"},{"SLURM_JOB_ID":"12","SLURM_ARRAY_JOB_ID":"11","SLURM_ARRAY_TASK_ID":"0","SLURM_RESTART_COUNT":"1"}]"# + "\n")

        // A third time it runs nothing, so it is no attempt.
        let third = try CLI.run(command, environment: task.merging(["SLURM_RESTART_COUNT": "2"]) { $1 })
        #expect(third.status == 0, "\(third.stderr)")
        #expect(third.stdout.contains("already complete: sweep 1 in \(db) holds its 12 runs; nothing to run"))
        #expect(try CLIShell.sqlite3(db, "SELECT COUNT(*) FROM sweeps; SELECT COUNT(*) FROM runs;").stdout == "1\n12\n")
        #expect(try CLIShell.sqlite3(db, "SELECT json_array_length(scheduler) FROM sweeps;").stdout == "2\n")
    }

    @Test func theResumeHintAfterSIGTERMOfTheTaskAndItsWorkersFinishesTheShard() throws {
        let dir = try temporaryDirectory()
        let db = dir.appendingPathComponent("shard-0.sqlite").path
        let task = BackgroundTask(["sweep", "--shard", "0/2", "--db", db] + Self.slowGrid)
        let output = try task.killedWithItsWorkers(by: SIGTERM, afterRunsIn: db)
        #expect(output.status == 130, "\(output.stderr)")
        // `next: pipelab sweep --resume 1 --db PATH runs the rest`
        let hint = output.stdout.split(separator: "\n").first { $0.hasPrefix("next: pipelab sweep --resume") }
        #expect(hint == "next: pipelab sweep --resume 1 --db \(db) runs the rest", "\(output.stdout)")
        let resumed = try CLI.run(["sweep", "--resume", "1", "--db", db, "--quiet"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        // Both attempts by hand: no scheduler's ids, but each is there.
        #expect(try CLIShell.sqlite3(db, "SELECT scheduler FROM sweeps;").stdout == "[{},{}]\n")
        #expect(try CLIShell.sqlite3(db, "SELECT COUNT(*), MIN(status) FROM sweeps;").stdout == "1|completed\n")
        #expect(try CLIShell.sqlite3(db, Self.pairs).stdout == "12|12|0\n")
    }

    /// `sbatch --array=2` after `--array=0-3`: the new array says 0/1 (the whole grid) unless N is
    /// given; with the group's N recorded in the file, a different partition is refused.
    @Test func aResubmittedIndexRunsItsShardOnlyWhenItKnowsTheGroupsN() throws {
        let dir = try temporaryDirectory()
        let db = dir.appendingPathComponent("shard-2.sqlite").path
        let first = ["SLURM_ARRAY_JOB_ID": "100", "SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "3",
                     "SLURM_ARRAY_TASK_COUNT": "4"]
        #expect(try CLI.run(["sweep", "--shard", "auto", "--db", db] + Self.quickGrid, environment: first).status == 0)
        let resubmitted = ["PIPELAB_CAMPAIGN": "100", "SLURM_ARRAY_JOB_ID": "200", "SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_MIN": "2",
                           "SLURM_ARRAY_TASK_MAX": "2", "SLURM_ARRAY_TASK_COUNT": "1"]
        let refused = try CLI.run(["sweep", "--shard", "auto", "--db", db] + Self.quickGrid, environment: resubmitted)
        #expect(refused.status == 64)
        #expect(refused.stderr.split(separator: "\n").count == 1 && refused.stderr.contains("as 4 shards") && refused.stderr.contains("--shards 4"),
                "\(refused.stderr)")
        #expect(try CLIShell.sqlite3(db, "SELECT COUNT(*), SUM(shard_index = 2 AND shard_count = 4) FROM sweeps;").stdout == "1|1\n")

        let withN = try CLI.run(["sweep", "--shard", "auto", "--shards", "4", "--db", db] + Self.quickGrid, environment: resubmitted)
        #expect(withN.status == 0, "\(withN.stderr)")
        #expect(withN.stdout.hasPrefix("shard 2/4 of group "))
        #expect(withN.stdout.contains("(campaign PIPELAB_CAMPAIGN=100)"))
        #expect(withN.stdout.contains("already complete"))
        // A disagreeing count in the environment is refused, not overridden.
        var disagreeing = resubmitted
        disagreeing["PIPELAB_SHARDS"] = "3"
        let both = try CLI.run(["sweep", "--shard", "auto", "--shards", "4", "--db", db] + Self.quickGrid, environment: disagreeing)
        #expect(both.status == 64 && both.stderr.contains("disagrees with PIPELAB_SHARDS = 3"), "\(both.stderr)")
    }

    /// Two submissions of one spec are two groups; the second does not take over the first's
    /// unfinished shard in the same file, and PIPELAB_CAMPAIGN joins the first on purpose.
    @Test func campaignsAreDistinctGroupsAndOneIsJoinedOnPurpose() throws {
        let spec = SweepSpec.builtIn
        let first = GroupIdentity.derived(from: spec, campaign: Campaign(variable: "SLURM_ARRAY_JOB_ID", value: "100"))
        #expect(first != GroupIdentity.derived(from: spec, campaign: Campaign(variable: "SLURM_ARRAY_JOB_ID", value: "200")))
        #expect(first == GroupIdentity.derived(from: spec, campaign: Campaign(variable: "PIPELAB_CAMPAIGN", value: "100")))
        #expect(GroupIdentity.derived(from: spec) != first)
        #expect(try Campaign.from(["SLURM_ARRAY_JOB_ID": "7", "GITHUB_RUN_ID": "9"]) == Campaign(variable: "SLURM_ARRAY_JOB_ID", value: "7"))
        #expect(throws: InputError.self) { try Campaign.from(["PIPELAB_CAMPAIGN": "two words"]) }

        let dir = try temporaryDirectory()
        let db = dir.appendingPathComponent("shard-0.sqlite").path
        let command = ["sweep", "--shard", "0/2", "--db", db] + Self.quickGrid
        #expect(try CLI.run(command, environment: ["SLURM_ARRAY_JOB_ID": "100"]).status == 0)
        _ = try CLIShell.sqlite3(db, "PRAGMA foreign_keys = ON; UPDATE sweeps SET status = 'interrupted'; DELETE FROM runs WHERE repeat_index >= 4;")
        let other = try CLI.run(command, environment: ["SLURM_ARRAY_JOB_ID": "200"])
        #expect(other.status == 64 && other.stderr.contains("another campaign's shard 0/2") && other.stderr.contains("--group "), "\(other.stderr)")
        let joined = try CLI.run(command, environment: ["SLURM_ARRAY_JOB_ID": "200", "PIPELAB_CAMPAIGN": "100"])
        #expect(joined.status == 0, "\(joined.stderr)")
        #expect(joined.stdout.contains("continuing its sweep 1"))
        #expect(try CLIShell.sqlite3(db, "SELECT COUNT(*), MIN(status) FROM sweeps; SELECT COUNT(*) FROM runs;").stdout == "1|completed\n4\n")
        // Once the first campaign's shard is complete, a new campaign records its own into the file.
        let second = try CLI.run(command, environment: ["SLURM_ARRAY_JOB_ID": "200"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try CLIShell.sqlite3(db, "SELECT COUNT(DISTINCT group_uuid), COUNT(*) FROM sweeps;").stdout == "2|2\n")
    }

    @Test func aSlurmArrayWithTheGroupsNTakesItsIdAsTheShardIndex() throws {
        let resubmitted = ["SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "2", "SLURM_ARRAY_TASK_COUNT": "2"]
        #expect(try Shard.fromScheduler(resubmitted, shards: 4, group: "g") == Shard(index: 2, count: 4, group: "g"))
        #expect(try Shard.fromScheduler(resubmitted.merging(["PIPELAB_SHARDS": "4"]) { $1 }, shards: nil, group: "g") == Shard(index: 2, count: 4, group: "g"))
        // Without N, the same task is rank 1 of a 2-task array, as before.
        #expect(try Shard.fromScheduler(resubmitted, shards: nil, group: "g") == Shard(index: 1, count: 2, group: "g"))
        for (environment, shards, variable) in [(resubmitted, 2, "SLURM_ARRAY_TASK_ID"), (resubmitted, 1, "--shards"),
                                                (resubmitted.merging(["PIPELAB_SHARDS": "5"]) { $1 }, 4, "--shards")] {
            do {
                _ = try Shard.fromScheduler(environment, shards: shards, group: "g")
                Issue.record("\(environment) with --shards \(shards) was accepted")
            } catch { #expect(error.message.hasPrefix(variable), "\(error.message)") }
        }
    }

    /// The variables real Slurm 22.05 set: a batch script of an array task run with `-n 2`, and
    /// each task of `srun -n 2` inside it. The batch script is its array task's shard; the step's
    /// two tasks would both run that shard, so they are refused, naming the way.
    @Test func aJobStepOfSeveralTasksIsRefusedAndTheBatchScriptIsNot() throws {
        let batch = ["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_STEP": "1", "SLURM_NPROCS": "2", "SLURM_NTASKS": "2", "SLURM_PROCID": "0"]
        #expect(try Shard.fromScheduler(batch, shards: 4, group: "g") == Shard(index: 1, count: 4, group: "g"))
        for procid in ["0", "1"] {
            let step = batch.merging(["SLURM_PROCID": procid, "SLURM_STEP_ID": "0", "SLURM_STEPID": "0", "SLURM_STEP_NUM_TASKS": "2",
                                      "SLURM_STEP_NUM_NODES": "1", "SLURM_STEP_TASKS_PER_NODE": "2"]) { $1 }
            do {
                _ = try Shard.fromScheduler(step, shards: 4, group: "g")
                Issue.record("task \(procid) of a 2-task step was accepted")
            } catch { #expect(error.message.hasPrefix("SLURM_STEP_NUM_TASKS: 2 tasks of one Slurm job step (srun -n 2)"), "\(error.message)") }
            // srun -n 1 is the batch script's shard, as without srun.
            #expect(try Shard.fromScheduler(step.merging(["SLURM_STEP_NUM_TASKS": "1", "SLURM_NTASKS": "1"]) { $1 }, shards: 4, group: "g")
                    == Shard(index: 1, count: 4, group: "g"))
        }
    }
}

/// `pipelab ARGS` started in the background, to be killed as a scheduler kills a task.
struct BackgroundTask {
    var arguments: [String]
    /// Set over the test's own (a scheduler's ids, say).
    var environment: [String: String]
    init(_ arguments: [String], environment: [String: String] = [:]) { (self.arguments, self.environment) = (arguments, environment) }

    /// Starts the task, waits until it has recorded a run in `database`, then sends `signal` to it
    /// and every process below it at once (a scheduler signals the whole job step), and waits.
    @discardableResult
    func killedWithItsWorkers(by signal: Int32, afterRunsIn database: String) throws -> CLI.Output {
        let capture = try temporaryDirectory()
        let outURL = capture.appendingPathComponent("stdout"), errURL = capture.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Polled, not timed: on a busy machine the first run may take a while.
        while process.isRunning {
            let runs = try? CLIShell.sqlite3(database, "SELECT COUNT(*) FROM runs;").stdout
            if let runs, (Int(runs.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) > 0 { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        let tree = Self.descendants(of: process.processIdentifier) + [process.processIdentifier]
        for pid in tree { kill(pid, signal) }
        process.waitUntilExit()
        return CLI.Output(status: process.terminationStatus, stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
                          stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self),
                          signaled: process.terminationReason == .uncaughtSignal)
    }

    /// Every process whose chain of parents reaches `root`, from /proc.
    static func descendants(of root: pid_t) -> [pid_t] {
        var parent: [pid_t: pid_t] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // After "pid (comm) ": the state, then the parent's pid.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let ppid = pid_t(fields[1]) { parent[pid] = ppid }
        }
        return parent.keys.filter { pid in
            var current = pid
            while let up = parent[current], up > 1 {
                if up == root { return true }
                current = up
            }
            return false
        }
    }
}
