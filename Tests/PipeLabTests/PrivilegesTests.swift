import Foundation
import Glibc
@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabNetwork
import Testing

/// Missing privileges are said once when a sweep starts and recorded with it, never silently
/// taken for the same results.
@Suite struct PrivilegesTests {
    @Test func aSweepWithoutPrivilegesSaysWhatIsLostAndRecordsIt() throws {
        guard geteuid() == 0 else { return }  // dropping to nobody needs root
        let directory = try temporaryDirectory()
        chmod(directory.path, 0o777)
        let grid = ["sweep", "--transport", "unix", "--peer", "close", "--sigpipe", "ignore", "--sleep", "1ms", "--repeat", "2", "--quiet"]
        let root = try CLI.run(grid + ["--db", "root.sqlite"], in: directory)
        #expect(root.status == 0 && root.stderr.isEmpty, "\(root.stderr)")
        #expect(try CLIShell.sqlite3(directory.appendingPathComponent("root.sqlite").path, "SELECT quote(privileges_lost) FROM sweeps;").stdout == "''\n")
        // nobody, without capabilities or an RLIMIT_RTPRIO: SCHED_FIFO is refused whatever else the machine allows.
        // A copy in the open directory: nobody may not reach the build's own (a clone in a 0700 folder).
        // cp makes it, not this process: a child another test forks meanwhile would inherit the copy's
        // open descriptor, and exec would fail with ETXTBSY while any process holds it open for writing.
        let binary = directory.appendingPathComponent("pipelab").path
        let copy = Process()
        copy.executableURL = URL(fileURLWithPath: "/bin/cp")
        copy.arguments = [CLI.binary, binary]
        let copied = try runCapturingOutput(copy)
        try #require(copy.terminationStatus == 0, "\(copied.stderr)")
        let nobody = try CLI.run(["--reuid", "65534", "--regid", "65534", "--clear-groups", "--inh-caps=-all", binary]
                                 + grid + ["--db", "nobody.sqlite"], in: directory, executable: "/usr/bin/setpriv")
        #expect(nobody.status == 0, "\(nobody.stderr)")
        let lines = nobody.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines.first?.contains("no real-time class") == true, "\(nobody.stderr)")
        let recorded = try CLIShell.sqlite3(directory.appendingPathComponent("nobody.sqlite").path, "SELECT privileges_lost FROM sweeps;").stdout
        #expect(recorded.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.contains("real-time"), "\(recorded)")
        let expected = Privileges.Loss.allCases.filter { lines.first?.contains($0.consequence) == true }.map(\.rawValue)
        #expect(recorded.trimmingCharacters(in: .whitespacesAndNewlines) == expected.joined(separator: ","))
    }
}
