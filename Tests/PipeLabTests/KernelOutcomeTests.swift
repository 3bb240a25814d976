import Foundation
@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabNetwork
@testable import PipeLabReport
@testable import PipeLabStore
@testable import PipeLabSweep
@testable import PipeLabWorker
import Testing

/// The kernel's real outcomes, measured through `pipelab run --json` on real sockets and pipes.
/// Sleeps of 100 ms leave each run one well-defined outcome.
@Suite struct KernelOutcomeTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var arguments: [String]
        var signature: String
        var outcome: String
        var testDescription: String { arguments.joined(separator: " ") + " → " + signature }
    }

    static let cases: [Case] = [
        // DESIGN.md's table and the engine issue's list.
        Case(arguments: ["--sleep", "1s"], signature: "ok,ok,EPIPE", outcome: "error"),
        Case(arguments: ["--sigpipe", "handler", "--sleep", "100ms"], signature: "ok,ok,EPIPE+SIGPIPE", outcome: "error"),
        Case(arguments: ["--sigpipe", "default", "--sleep", "100ms"], signature: "ok,ok,killed:SIGPIPE", outcome: "killed"),
        Case(arguments: ["--peer", "linger0", "--sleep", "100ms"], signature: "ok,ECONNRESET,EPIPE", outcome: "error"),
        Case(arguments: ["--peer", "shutdown-wr", "--sleep", "100ms"], signature: "ok,ok,ok", outcome: "ok"),
        Case(arguments: ["--transport", "unix", "--sleep", "100ms"], signature: "ok,EPIPE,EPIPE", outcome: "error"),
        Case(arguments: ["--sigpipe", "nosignal", "--sleep", "100ms"], signature: "ok,ok,EPIPE", outcome: "error"),
        // More of the map.
        Case(arguments: ["--sigpipe", "blocked", "--sleep", "100ms"], signature: "ok,ok,EPIPE+SIGPIPE", outcome: "error"),
        Case(arguments: ["--peer", "close-unread", "--sleep", "100ms"], signature: "ok,ECONNRESET,EPIPE", outcome: "error"),
        Case(arguments: ["--peer", "linger0", "--sigpipe", "handler", "--sleep", "100ms"], signature: "ok,ECONNRESET,EPIPE+SIGPIPE", outcome: "error"),
        Case(arguments: ["--transport", "tcp6", "--sleep", "100ms"], signature: "ok,ok,EPIPE", outcome: "error"),
        Case(arguments: ["--transport", "unix", "--sigpipe", "handler", "--sleep", "100ms"], signature: "ok,EPIPE+SIGPIPE,EPIPE+SIGPIPE", outcome: "error"),
        Case(arguments: ["--transport", "unix", "--sigpipe", "default", "--sleep", "100ms"], signature: "ok,killed:SIGPIPE", outcome: "killed"),
        Case(arguments: ["--transport", "unix", "--peer", "shutdown-wr", "--sleep", "100ms"], signature: "ok,ok,ok", outcome: "ok"),
        Case(arguments: ["--transport", "unix", "--peer", "shutdown-rdwr", "--sleep", "100ms"], signature: "ok,EPIPE,EPIPE", outcome: "error"),
        Case(arguments: ["--transport", "pipe", "--sleep", "100ms"], signature: "ok,EPIPE,EPIPE", outcome: "error"),
        Case(arguments: ["--transport", "pipe", "--sigpipe", "blocked", "--sleep", "100ms"], signature: "ok,EPIPE+SIGPIPE,EPIPE+SIGPIPE", outcome: "error"),
        Case(arguments: ["--transport", "pipe", "--sigpipe", "default", "--sleep", "100ms"], signature: "ok,killed:SIGPIPE", outcome: "killed"),
        Case(arguments: ["--sends", "1", "--sleep", "100ms"], signature: "ok", outcome: "ok"),
        Case(arguments: ["--sends", "5", "--sleep", "100ms"], signature: "ok,ok,EPIPE,EPIPE,EPIPE", outcome: "error"),
    ]

    @Test(arguments: cases)
    func signatureMatchesTheKernel(_ c: Case) throws {
        let run = try CLI.runJSON(c.arguments)
        #expect(run["signature"] as? String == c.signature)
        #expect(run["outcome"] as? String == c.outcome)
        let killed = c.outcome == "killed"
        #expect((run["term_signal"] as? String) == (killed ? "SIGPIPE" : nil))
    }

    @Test func classicClientPassesThroughEstablishedThenClose() throws {
        let run = try CLI.runJSON(["--sleep", "100ms"])
        let sends = try clientSends(run)
        // The state is read just after each call; by the time send #1's is read, the peer may
        // already have closed (FIN → CLOSE_WAIT) on a busy machine.
        #expect(["ESTABLISHED", "CLOSE_WAIT"].contains(sends[0]["tcp_state"] as? String))
        #expect(sends.dropFirst().map { $0["tcp_state"] as? String } == ["CLOSE", "CLOSE"])
        #expect(sends.map { $0["errno_name"] as? String } == [nil, nil, "EPIPE"])
        #expect(sends[2]["errno"] as? Int == Int(EPIPE))
        #expect(sends[2]["result"] as? Int == -1)
    }

    @Test func peerStatesAreRecordedToo() throws {
        let run = try CLI.runJSON(["--sleep", "50ms"])
        let peer = (run["steps"] as? [[String: Any]] ?? []).filter { $0["actor"] as? String == "peer" }
        #expect(peer.map { $0["op"] as? String } == ["accept", "recv", "ioctl", "close"])
        #expect(peer[0]["tcp_state"] as? String == "ESTABLISHED")
        #expect(peer[1]["tcp_state"] as? String == "ESTABLISHED")
        // FIONREAD just before the close: the peer read all 5 bytes, nothing is left unread.
        #expect(peer[2]["result"] as? Int == 0)
        #expect(run["peer_left_unread"] as? Bool == false)
        #expect(peer[3]["tcp_state"] is NSNull)
    }

    /// In a network namespace made by `unshare --net`, loopback is down: told to use that
    /// namespace's loopback (not to make its own), pipelab cannot listen, and says so.
    @Test(.enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare")))
    func aHarnessFailureIsReportedWithItsOwnExitCode() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        process.arguments = ["--net", CLI.binary, "run", "--transport", "tcp6", "--sleep", "0"]
        let errors = Pipe()
        process.environment = ProcessInfo.processInfo.environment.merging(["PIPELAB_ISOLATION": "host"]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 70)
        #expect(text.hasPrefix("pipelab: the run could not be carried out: listening on [::1] (is IPv6 available?)"), "\(text)")
        #expect(text.split(separator: "\n").count == 1)
    }

    @Test func halfClosedPeerLeavesClientInCloseWait() throws {
        let run = try CLI.runJSON(["--peer", "shutdown-wr", "--sleep", "100ms"])
        let sends = try clientSends(run)
        #expect(["ESTABLISHED", "CLOSE_WAIT"].contains(sends[0]["tcp_state"] as? String))
        #expect(sends.dropFirst().map { $0["tcp_state"] as? String } == ["CLOSE_WAIT", "CLOSE_WAIT"])
        let steps = run["steps"] as? [[String: Any]] ?? []
        let shutdown = steps.first { $0["op"] as? String == "shutdown" }
        #expect(["FIN_WAIT1", "FIN_WAIT2"].contains(shutdown?["tcp_state"] as? String))
    }

    @Test func killedRunKeepsEveryStepBeforeTheFatalCall() throws {
        let run = try CLI.runJSON(["--sigpipe", "default", "--sleep", "100ms"])
        let sends = try clientSends(run)
        #expect(sends.count == 3)
        #expect(sends[2]["result"] is NSNull)
        #expect(sends[2]["sigpipe"] as? Bool == true)
        #expect(run["first_failing_send"] as? Int == 3)
        // The peer's read and close were reported before the worker died.
        let peerOps = (run["steps"] as? [[String: Any]] ?? []).filter { $0["actor"] as? String == "peer" }.compactMap { $0["op"] as? String }
        #expect(peerOps == ["accept", "recv", "ioctl", "close"])
    }

    @Test func hangingRunEndsAtItsTimeout() throws {
        // The peer half-closes and never reads again: 4 MiB sends fill the buffers and block.
        let run = try CLI.runJSON(["--peer", "shutdown-wr", "--payload", "4MiB", "--sleep", "0", "--timeout", "300ms"])
        #expect(run["outcome"] as? String == "timeout")
        #expect((run["signature"] as? String)?.hasSuffix("timeout") == true)
        let duration = run["duration_ns"] as? Int ?? 0
        #expect(duration >= 300_000_000 && duration < 3_000_000_000)
    }

    @Test func timelineExplainsTheFailingSend() throws {
        let output = try CLI.run(["run", "--sleep", "50ms"])
        #expect(output.status == 0)
        #expect(output.stdout.contains("signature: ok,ok,EPIPE"))
        #expect(output.stdout.contains("send #3"))
        #expect(output.stdout.contains("CLOSE_WAIT"))
        #expect(output.stdout.contains("RST"))
    }

    private func clientSends(_ run: [String: Any]) throws -> [[String: Any]] {
        let steps = try #require(run["steps"] as? [[String: Any]])
        return steps.filter { $0["actor"] as? String == "client" && $0["op"] as? String == "send" }
    }
}
