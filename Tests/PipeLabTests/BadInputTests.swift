import Foundation
import Testing

/// Every class of bad input: exit 64, exactly one line on standard error, nothing else happens.
@Suite struct BadInputTests {
    static let runCases: [[String]] = [
        ["--transport", "tcp5"],
        ["--peer", "slam"],
        ["--sigpipe", "catch"],
        ["--sleep", "5"],
        ["--sleep", "1h"],
        ["--sleep=-1s"],
        ["--sleep", "1.5ns"],
        ["--payload", "0"],
        ["--payload", "5KB"],
        ["--payload", "2GiB"],
        ["--sends", "0"],
        ["--sends", "three"],
        ["--transport", "pipe", "--sigpipe", "nosignal"],
        ["--transport", "pipe", "--peer", "shutdown-wr"],
        ["--transport", "pipe", "--peer", "linger0"],
        ["--timeout", "0"],
        ["--no-such-flag"],
    ]

    @Test(arguments: runCases)
    func runRejects(_ arguments: [String]) throws {
        let directory = try temporaryDirectory()
        let output = try CLI.run(["run"] + arguments, in: directory)
        #expect(output.status == 64)
        #expect(output.stdout.isEmpty)
        let lines = output.stderr.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(output.stderr)")
        #expect(lines.first?.hasPrefix("pipelab: ") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test func messageNamesTheFlagAndWhatIsAccepted() throws {
        let output = try CLI.run(["run", "--transport", "tcp5"])
        #expect(output.stderr == "pipelab: --transport: unknown value 'tcp5'; accepted: tcp4, tcp6, unix, pipe\n")
        let pipe = try CLI.run(["run", "--transport", "pipe", "--sigpipe", "nosignal"])
        #expect(pipe.stderr.contains("MSG_NOSIGNAL"))
    }
}
