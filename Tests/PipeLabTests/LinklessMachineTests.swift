import Foundation
import Glibc
@testable import PipeLabExperiment
@testable import PipeLabNetwork
import Testing

/// A machine that cannot make an emulated link (no network namespaces, or no TUN device: a
/// default container) says so once, records the isolation it got, leaves the link cells out with
/// the reason in `skipped` (never as harness errors), and exits 69 only when nothing else was asked.
/// The lacks are real: a mount namespace hides /dev/net/tun; a user namespace that may create no
/// more user namespaces, without CAP_SYS_ADMIN, refuses network namespaces.
@Suite struct LinklessMachineTests {
    static let grid = ["sweep", "--transport", "tcp4,unix", "--peer", "close", "--sigpipe", "ignore", "--sleep", "1ms",
                       "--rtt", "0,20ms", "--repeat", "2", "--db", "x.sqlite"]

    @Test func withoutATUNDeviceTheLinkCellsAreLeftOutWithTheReason() throws {
        try #require(geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare"), "hiding /dev/net/tun needs root and unshare")
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let sweep = try Self.inShell("mount -t tmpfs none /dev/net && exec \"$0\" \"$@\"", under: ["/usr/bin/unshare", "-m"], in: directory)
        #expect(sweep.status == 0, "\(sweep.stderr)")
        #expect(sweep.stderr.split(separator: "\n").count == 1 && sweep.stderr.contains("no emulated links"), "\(sweep.stderr)")
        let recorded = try Self.recorded(in: directory)
        #expect(recorded.isolation == "netns" && recorded.lost.contains("links"))
        #expect(recorded.leftOut.contains("tcp4|20000000|1|an emulated link needs a TUN device"), "\(recorded.leftOut)")
        #expect(recorded.leftOut.contains("(ENOENT)"))
        // tcp4 and unix at rtt 0 ran, twice each; nothing over a link, and no harness error.
        #expect(recorded.runs == "0|4|4|4\n", "\(recorded.runs)")
    }

    @Test func withoutNetworkNamespacesTheLinkCellsAreLeftOutAndTheHostsLoopbackRecorded() throws {
        let tools = ["/usr/bin/unshare", "/usr/sbin/capsh"]
        try #require(tools.allSatisfy(FileManager.default.isExecutableFile(atPath:)), "needs unshare and capsh")
        let directory = try temporaryDirectory()
        chmod(directory.path, 0o777)
        defer { try? FileManager.default.removeItem(at: directory) }
        // In a user namespace of its own that may create none (ENOSPC), and without CAP_SYS_ADMIN (EPERM).
        let sweep = try Self.inShell("echo 0 > /proc/sys/user/max_user_namespaces && exec /usr/sbin/capsh --drop=cap_sys_admin -- -c 'exec \"$0\" \"$@\"' \"$0\" \"$@\"",
                                     under: ["/usr/bin/unshare", "-U", "-r"], in: directory)
        #expect(sweep.status == 0, "\(sweep.stderr)")
        #expect(sweep.stderr.split(separator: "\n").count == 1 && sweep.stderr.contains("no network namespaces")
                && sweep.stderr.contains("no emulated links"), "\(sweep.stderr)")
        let recorded = try Self.recorded(in: directory)
        #expect(recorded.isolation == "host" && recorded.lost.contains("isolation") && recorded.lost.contains("links"))
        #expect(recorded.leftOut.contains("tcp4|20000000|1|an emulated link needs network namespaces, which this machine refused"), "\(recorded.leftOut)")
        #expect(recorded.runs == "0|4|4|4\n", "\(recorded.runs)")
    }

    /// Where every cell has a link, nothing can run: one line, exit 69, no database.
    @Test func nothingButLinksExits69AndWritesNothing() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let host = ["PIPELAB_ISOLATION": "host"]
        let sweep = try CLI.run(["sweep", "--transport", "tcp4", "--rtt", "20ms", "--loss", "0,1", "--db", "x.sqlite"], in: directory, environment: host)
        #expect(sweep.status == 69 && sweep.stdout.isEmpty, "\(sweep.stderr)")
        #expect(sweep.stderr == "pipelab: every cell of the grid has an emulated link, and an emulated link needs a network namespace of its own, and PIPELAB_ISOLATION=host asks for the host's loopback\n")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("x.sqlite").path))
        let run = try CLI.run(["run", "--rtt", "20ms"], in: directory, environment: host)
        #expect(run.status == 69 && run.stderr.hasPrefix("pipelab: the run has an emulated link, and "), "\(run.stderr)")
        // With a cell without a link left, the sweep runs it.
        let mixed = try CLI.run(Self.grid, in: directory, environment: host)
        #expect(mixed.status == 0, "\(mixed.stderr)")
        #expect(try Self.recorded(in: directory).runs == "0|4|4|4\n")
        #expect(mixed.stdout.contains("not run, 1 cell this machine cannot run:"), "\(mixed.stdout)")
        let report = try CLI.run(["report", "--db", "x.sqlite", "--out", "x.md"], in: directory)
        #expect(report.status == 0, "\(report.stderr)")
        let text = try String(contentsOf: directory.appendingPathComponent("x.md"), encoding: .utf8)
        #expect(text.contains("## Not run here: what the machine could not run\n\nLeft out because the machine that ran the sweep could not run them (1 cell):\n\n- tcp4 · rtt 20ms: an emulated link needs a network namespace of its own"), "\(text)")
    }

    /// A shard leaves out only its own link runs: every machine deals the same runs to a shard,
    /// so the shards of one group still cover the grid once, whichever machines could make links.
    @Test func aShardLeavesOutItsOwnLinkRunsAndNoOthers() {
        var spec = SweepSpec.builtIn
        spec.repeats = 3
        let linkRuns = Set(Grid(spec).requests().filter(\.scenario.hasLink))
        #expect(!linkRuns.isEmpty)
        var covered: [RunRequest] = []
        for index in 0..<3 {
            let shard = Shard(index: index, count: 3, group: "g")
            let whole = Grid(spec, shard: shard), linkless = Grid(spec, shard: shard, linksUnrunnable: "no link here")
            let runs = Array(linkless.requests())
            #expect(runs == whole.requests().filter { !$0.scenario.hasLink })
            #expect(linkless.runCount == runs.count && linkless.runCount < whole.runCount)
            #expect(linkless.skipped.filter { $0.reason == "no link here" }.allSatisfy { $0.combination.hasLink && !$0.cannotExist })
            covered += runs
        }
        #expect(Set(covered).count == covered.count)
        #expect(Set(covered).union(linkRuns) == Set(Grid(spec).requests()))
    }

    /// Runs `script` under `wrapper` (`sh -c script pipelab ARGS…`: the script ends by exec'ing its arguments).
    private static func inShell(_ script: String, under wrapper: [String], in directory: URL) throws -> CLI.Output {
        try CLI.run(Array(wrapper.dropFirst()) + ["/bin/sh", "-c", script, CLI.binary] + grid, in: directory, executable: wrapper[0])
    }

    /// The sweep's isolation, what it lost, its skipped link rows, and its runs: harness errors|all|planned|recorded.
    private static func recorded(in directory: URL) throws -> (isolation: String, lost: String, leftOut: String, runs: String) {
        let path = directory.appendingPathComponent("x.sqlite").path
        func query(_ sql: String) throws -> String { try CLIShell.sqlite3(path, sql).stdout }
        return (try query("SELECT isolation FROM sweeps;").trimmingCharacters(in: .whitespacesAndNewlines),
                try query("SELECT privileges_lost FROM sweeps;"),
                try query("SELECT transport, rtt_ns, cells, reason FROM skipped WHERE transport = 'tcp4';"),
                try query("SELECT (SELECT count(*) FROM runs WHERE outcome = 'harness-error' OR rtt_ns > 0), (SELECT count(*) FROM runs), planned_runs, (SELECT count(*) FROM runs) FROM sweeps;"))
    }
}
