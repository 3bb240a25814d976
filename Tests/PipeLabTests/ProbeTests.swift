import Foundation
@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabNetwork
@testable import PipeLabReport
@testable import PipeLabStore
@testable import PipeLabSweep
@testable import PipeLabWorker
import Testing

/// The client's probe on the real kernel, through `pipelab run --json`. Each case names the kernel
/// rule it rests on (Linux: net/ipv4/tcp.c, net/core/sock.c, net/core/stream.c, net/unix/af_unix.c).
@Suite struct ProbeTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var arguments: [String]
        var probeResult: String
        var signature: String
        var rule: String
        var testDescription: String { arguments.joined(separator: " ") + " → " + probeResult + " / " + signature }
    }

    static let cases: [Case] = [
        Case(arguments: ["--peer", "linger0", "--probe", "so-error"], probeResult: "ECONNRESET", signature: "ok,EPIPE,EPIPE",
             rule: "sock_getsockopt(SO_ERROR) takes sk_err through sock_error(), which clears it; tcp_sendmsg() then finds nothing stored and sk_stream_error() reports EPIPE"),
        Case(arguments: ["--peer", "linger0", "--probe", "so-error", "--sigpipe", "handler"], probeResult: "ECONNRESET",
             signature: "ok,EPIPE+SIGPIPE,EPIPE+SIGPIPE",
             rule: "sk_stream_error() raises SIGPIPE with EPIPE unless MSG_NOSIGNAL"),
        Case(arguments: ["--peer", "linger0", "--probe", "recv"], probeResult: "ECONNRESET", signature: "ok,EPIPE,EPIPE",
             rule: "tcp_recvmsg() reports a stored sk_err through sock_error(), clearing it"),
        Case(arguments: ["--peer", "close", "--probe", "recv"], probeResult: "0", signature: "ok,ok,EPIPE",
             rule: "tcp_recvmsg() returns 0 at a FIN and changes nothing: the sends behave as with probe none"),
        Case(arguments: ["--peer", "close", "--probe", "shutdown-wr"], probeResult: "0", signature: "ok,EPIPE,EPIPE",
             rule: "tcp_shutdown() sets SEND_SHUTDOWN: tcp_sendmsg() refuses with EPIPE"),
        Case(arguments: ["--peer", "shutdown-wr", "--probe", "shutdown-wr"], probeResult: "0", signature: "ok,EPIPE,EPIPE",
             rule: "SEND_SHUTDOWN of our own makes tcp_sendmsg() refuse with EPIPE even though the peer still has its socket"),
        Case(arguments: ["--peer", "shutdown-wr", "--probe", "shutdown-wr", "--sigpipe", "default"], probeResult: "0",
             signature: "ok,killed:SIGPIPE", rule: "EPIPE from sk_stream_error() comes with SIGPIPE, whose default action kills"),
        // An RST closed the socket first: inet_shutdown() on TCP_CLOSE returns ENOTCONN and sk_err stays stored.
        Case(arguments: ["--peer", "linger0", "--probe", "shutdown-wr"], probeResult: "ENOTCONN", signature: "ok,ECONNRESET,EPIPE",
             rule: "inet_shutdown() refuses a closed socket with ENOTCONN and leaves sk_err for the next send"),
        Case(arguments: ["--transport", "unix", "--peer", "close", "--probe", "recv"], probeResult: "0", signature: "ok,EPIPE,EPIPE",
             rule: "unix_stream_recvmsg() returns 0 once the peer has shut down and nothing is queued"),
        Case(arguments: ["--transport", "unix", "--peer", "close-unread", "--probe", "recv"], probeResult: "ECONNRESET",
             signature: "ok,EPIPE,EPIPE",
             rule: "unix_release_sock() stores ECONNRESET on the other end when data was left unread; unix_stream_recvmsg() reports it"),
        Case(arguments: ["--transport", "pipe", "--probe", "poll"], probeResult: "POLLOUT|POLLERR", signature: "ok,EPIPE,EPIPE",
             rule: "pipe_poll() on a write end with no reader reports EPOLLERR"),
    ]

    @Test(arguments: cases)
    func probeAndSendsMatchTheKernel(_ c: Case) throws {
        let run = try CLI.runJSON(c.arguments + ["--sleep", "100ms"])
        #expect(run["probe_result"] as? String == c.probeResult, "\(c.rule)")
        #expect(run["signature"] as? String == c.signature, "\(c.rule)")
        #expect((run["parameters"] as? [String: Any])?["probe"] as? String == c.arguments.last { !$0.hasPrefix("-") && ["so-error", "recv", "poll", "shutdown-wr"].contains($0) })
    }

    /// tcp_poll() after the peer's RST (close with data unread): tcp_reset() set sk_err and tcp_done()
    /// shut both directions, so POLLHUP (SHUTDOWN_MASK), POLLIN|POLLRDHUP (RCV_SHUTDOWN), POLLOUT
    /// (SEND_SHUTDOWN: a write fails at once) and POLLERR (sk_err). poll clears nothing, so send #2
    /// still reports ECONNRESET.
    @Test func pollAfterResetReportsEverything() throws {
        let run = try CLI.runJSON(["--peer", "close-unread", "--probe", "poll", "--sleep", "100ms"])
        let result = try #require(run["probe_result"] as? String)
        #expect(ProbeResult.revents(result) == ["POLLIN", "POLLOUT", "POLLERR", "POLLHUP", "POLLRDHUP"])
        #expect(run["signature"] as? String == "ok,ECONNRESET,EPIPE")
    }

    /// The probe is a step, not a send: send_number stays with the sends, signatures keep their meaning.
    @Test func probeIsRecordedAsAStepThatIsNotASend() throws {
        let run = try CLI.runJSON(["--peer", "linger0", "--probe", "so-error", "--sleep", "100ms"])
        let client = (run["steps"] as? [[String: Any]] ?? []).filter { $0["actor"] as? String == "client" }
        #expect(client.map { $0["op"] as? String } == ["connect", "send", "getsockopt", "send", "send"])
        #expect(client[2]["value"] as? Int == Int(ECONNRESET))
    }

    @Test func impossibleProbesOnPipesAreRefusedWithTheReason() throws {
        for probe in ["recv", "so-error", "shutdown-wr"] {
            let result = try CLI.run(["run", "--transport", "pipe", "--probe", probe])
            #expect(result.status == 64)
            #expect(result.stderr.contains("cannot be run"))
        }
    }

    /// The built-in grid covers every probe; the probes other than none run at 10ms only.
    @Test func builtInGridCoversEveryProbe() {
        let grid = Grid(.builtIn)
        let probes = Set(grid.cells.map(\.probe))
        #expect(probes == Set(Probe.allCases))
        #expect(grid.cells.filter { $0.probe != .none }.allSatisfy { $0.sleepNs == 10_000_000 })
        // Probe none: every dimension on the classic network (498 cells), and the links at 1s.
        #expect(grid.cells.filter { $0.probe == .none && $0.intervalNs == 0 && $0.rttNs == 0 }.count == 498)
        #expect(grid.skipped.contains { $0.combination.transport == .pipe && $0.combination.probe == .recv })
    }

    /// probe-sleep round-trips through the stored spec, and giving --sleep drops the built-in's.
    @Test func probeSleepRoundTripsAndResets() throws {
        let stored = try SpecFile.parse(Data(SweepSpec.builtIn.json().utf8), source: "stored").applied(to: .builtIn)
        #expect(stored.probeSleep == [10_000_000])
        var overrides = SpecOverrides()
        try overrides.set("sleep", "1s", label: "--sleep")
        #expect(overrides.applied(to: .builtIn).probeSleep == nil)
        #expect(overrides.applied(to: .builtIn).probe == [.none])
    }
}
