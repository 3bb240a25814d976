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

/// Each explanation `pipelab run` prints is checked against the run it describes, on the real
/// kernel: the signature first (the kernel's answer), then the key claim of the "Why".
@Suite struct ExplanationTruthTests {
    /// The "Why:" paragraphs of `pipelab run ARGS`, joined, and the signature.
    static func why(_ arguments: [String]) throws -> (signature: String, text: String) {
        let told = try told(arguments)
        return (told.signature, told.text)
    }

    /// What `pipelab run ARGS` printed: the signature, the probe's result ("" without a probe), the
    /// "Why:" paragraphs joined, and the timeline's calls in the order they started.
    static func told(_ arguments: [String]) throws -> (signature: String, probe: String, text: String, calls: [String]) {
        let output = try CLI.run(["run"] + arguments)
        guard output.status == 0 else { throw TestFailure("pipelab run \(arguments) exited \(output.status): \(output.stderr)") }
        let lines = output.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let signature = lines.first { $0.hasPrefix("signature: ") }.map { String($0.dropFirst(11)) } ?? ""
        let probe = lines.first { $0.hasPrefix("probe: ") }?.components(separatedBy: "→ ").last ?? ""
        let why = lines.drop { $0 != "Why:" }.dropFirst().map { $0.trimmingCharacters(in: .whitespaces) }
        let calls = lines.filter { $0.contains(" client ") || $0.contains(" peer ") }
        return (signature, probe, why.joined(separator: " "), calls)
    }

    // tcp_close() (net/ipv4/tcp.c) sends RST when data was left unread (data_was_unread), and
    // tcp_reset() (tcp_input.c) stores ECONNRESET for a socket in ESTABLISHED.
    @Test func aCloseWithUnreadDataIsAnRSTNotAFIN() throws {
        let (signature, text) = try Self.why(["--peer", "close", "--sleep", "100ms", "--payload", "64KiB"])
        #expect(signature == "ok,ECONNRESET,EPIPE")
        #expect(text.contains("with data unread"))
        #expect(text.contains("RST instead of FIN"))
        #expect(!text.contains("CLOSE_WAIT"))
        #expect(!text.contains("still accepted"))
    }

    // A close after reading everything sends FIN (tcp_close()); tcp_reset() stores EPIPE in
    // CLOSE_WAIT; tcp_sendmsg_locked() takes it through sk_stream_wait_connect()/sock_error().
    @Test func theClassicCaseReportsTheStoredEPIPEForTheFirstTime() throws {
        let (signature, text) = try Self.why(["--sleep", "100ms"])
        #expect(signature == "ok,ok,EPIPE")
        #expect(text.contains("FIN"))
        #expect(text.contains("tcp_reset() stored EPIPE"))
        #expect(text.contains("first to report it"))
        #expect(!text.contains("reported it (sk_stream_error())"))
    }

    // A Unix send cut short by the peer's close (net/unix/af_unix.c): waiting in
    // sock_alloc_send_pskb() it takes sk_err with sock_error(); between two pieces
    // unix_stream_sendmsg() finds the peer SOCK_DEAD and leaves sk_err stored. The run cannot tell
    // which, so the sentence must not say (measured: SO_ERROR afterwards found ECONNRESET in 6 of 20).
    @Test func aUnixShortWriteDoesNotClaimWhereTheErrorWent() throws {
        let (signature, text) = try Self.why(["--transport", "unix", "--peer", "linger0", "--sigpipe", "handler",
                                              "--sleep", "100ms", "--payload", "4MiB"])
        #expect(signature.hasPrefix("short:"))
        #expect(signature.hasSuffix(",EPIPE+SIGPIPE,EPIPE+SIGPIPE"))
        #expect(text.contains("Whether the error is still stored depends on where the call was"))
        #expect(!text.contains("Nothing is left stored"))
        #expect(!text.contains("waits for the next call"))
    }

    // pipe_write() (fs/pipe.c) raises SIGPIPE when no reader is left and returns what it wrote.
    @Test func aPipeShortWriteStoresNothing() throws {
        let (signature, text) = try Self.why(["--transport", "pipe", "--peer", "close", "--sigpipe", "handler",
                                              "--sleep", "100ms", "--payload", "4MiB"])
        #expect(signature.hasPrefix("short:"))
        #expect(signature.contains("+SIGPIPE"))
        #expect(text.contains("Nothing is stored"))
        #expect(!text.contains("stays stored"))
        #expect(!text.contains("waits for the next call"))
    }

    // A TCP short write keeps the error stored for the next call (tcp_sendmsg_locked(): copied > 0
    // returns the count; sk_err stays until sock_error() takes it).
    @Test func aTCPShortWriteLeavesTheErrorForTheNextCall() throws {
        let (signature, text) = try Self.why(["--peer", "linger0", "--sleep", "100ms", "--payload", "4MiB"])
        #expect(signature.hasPrefix("short:"))
        #expect(signature.contains(",ECONNRESET,"))
        #expect(text.contains("stays stored on the socket for the next call"))
    }

    // A peer that shut down its write side never reads: the buffers fill and a blocking send waits.
    @Test func aHalfClosedPeerDoesNotReceive() throws {
        let (signature, text) = try Self.why(["--transport", "unix", "--peer", "shutdown-wr", "--sends", "5",
                                              "--payload", "64KiB", "--sleep", "100ms", "--timeout", "1s"])
        #expect(signature.hasSuffix("timeout"))
        #expect(text.contains("never reads again"))
        #expect(!text.contains("still receives"))
        #expect(!text.contains("somebody still takes"))
        #expect(text.contains("had not returned when the run's timeout stopped it"))
    }

    // After shutdown(SHUT_RDWR) data is answered with RST (tcp_rcv_state_process(), FIN_WAIT with
    // RCV_SHUTDOWN); that RST finds CLOSE_WAIT, so the EPIPE is reported for the first time.
    @Test func shutdownReadWriteReportsEPIPEForTheFirstTime() throws {
        let (signature, text) = try Self.why(["--peer", "shutdown-rdwr", "--sleep", "100ms"])
        #expect(signature == "ok,ok,EPIPE")
        #expect(text.contains("first to report it"))
        #expect(!text.contains("already reported"))
        #expect(!text.contains("had been reported"))
    }

    /// A run whose send #2 came before the peer's close on a Unix socket: the race sentence has no RST.
    @Test func aUnixRaceHasNoRST() {
        let scenario = Scenario(transport: .unix, peer: .close, sigpipe: .ignore, sleepNs: 0, sends: 3, payloadBytes: 5)
        func step(_ actor: Actor, _ op: PipeLabExperiment.Operation, _ bytes: Int64, _ result: Int64, errno: Int32 = 0, at start: Int64) -> Step {
            Step(actor: actor, op: op, bytes: bytes, result: result, errno: errno, sigpipe: false, startNs: start, durationNs: 1_000, tcpState: nil)
        }
        let steps: [Step] = [
            step(.client, .send, 5, 5, at: 1_000), step(.client, .send, 5, 5, at: 3_000), step(.peer, .recv, 1024, 10, at: 5_000),
            step(.peer, .close, 0, 0, at: 7_000), step(.client, .send, 5, -1, errno: EPIPE, at: 9_000),
        ]
        let run = RunResult(scenario: scenario, repeatIndex: 0, outcome: .error, termSignal: nil, steps: steps,
                            harnessMessage: nil, startedAt: 0, durationNs: 10_000)
        let race = Explainer.explain(run).filter { $0.contains("a race") }
        #expect(race.count == 1)
        #expect(!race.joined().contains("RST"))
    }

    // unix_shutdown() (net/unix/af_unix.c) passes SHUT_RDWR on as SEND_SHUTDOWN and stores no error:
    // the blocked send's sock_alloc_send_pskb() fails with EPIPE, unix_stream_sendmsg() returns the
    // count without SIGPIPE (pipe_err is not reached), and SO_ERROR finds nothing afterwards.
    @Test func aUnixShortWriteAfterShutdownReadWriteStoresNoError() throws {
        let told = try Self.told(["--transport", "unix", "--peer", "shutdown-rdwr", "--sigpipe", "handler",
                                  "--sleep", "100ms", "--payload", "4MiB", "--probe", "so-error"])
        #expect(told.signature.hasPrefix("short:"))
        #expect(told.signature.split(separator: ",").first?.contains("SIGPIPE") == false)
        #expect(told.probe == "0")
        #expect(told.text.contains("unix_shutdown()"))
        #expect(!told.text.contains("ECONNRESET"))
        #expect(told.text.contains("No SIGPIPE came with the count"))
    }

    // unix_release_sock() stores ECONNRESET when data was unread. With no send in progress it stays
    // for SO_ERROR (sk_getsockopt() → sock_error()); after a short write it is there or not, and the
    // probe's sentence says what SO_ERROR found.
    @Test func aUnixErrorIsToldAsSO_ERRORFindsIt() throws {
        let unblocked = try Self.told(["--transport", "unix", "--peer", "close-unread", "--sleep", "100ms", "--probe", "so-error"])
        #expect(unblocked.signature == "ok,EPIPE,EPIPE")
        #expect(unblocked.probe == "ECONNRESET")
        #expect(unblocked.text.contains("a read or SO_ERROR would report it"))
        // The probe sentence is the Unix one: no tcp_sendmsg() or sk_stream_error() on a Unix socket.
        #expect(unblocked.text.contains("unix_stream_sendmsg() checks the shutdown before any stored error"))
        #expect(!unblocked.text.contains("tcp_sendmsg()"))
        #expect(!unblocked.text.contains("sk_stream_error()"))
        for _ in 0..<3 {
            let short = try Self.told(["--transport", "unix", "--peer", "linger0", "--sleep", "100ms", "--payload", "4MiB", "--probe", "so-error"])
            #expect(short.signature.hasPrefix("short:") && short.signature.hasSuffix(",EPIPE,EPIPE"))
            switch short.probe {
            case "0": #expect(short.text.contains("returned 0: no error was stored"))
            case "ECONNRESET": #expect(short.text.contains("returned ECONNRESET: sock_getsockopt() returned the error stored"))
            default: Issue.record("SO_ERROR after a Unix short write returned \(short.probe)")
            }
        }
    }

    // The client's own shutdown(SHUT_WR): inet_shutdown() sets SEND_SHUTDOWN, tcp_shutdown() sends
    // FIN, and tcp_sendmsg() then fails with EPIPE. Send #1 came before the peer's close, so it
    // provoked no RST: the EPIPE is not a stored one.
    @Test func theClientsOwnShutdownExplainsItsEPIPE() throws {
        let told = try Self.told(["--peer", "close", "--probe", "shutdown-wr", "--sleep", "100ms"])
        #expect(told.signature == "ok,EPIPE,EPIPE")
        #expect(told.probe == "0")
        let send1 = try #require(told.calls.firstIndex { $0.contains("send #1") })
        let close = try #require(told.calls.firstIndex { $0.contains("peer   close()") })
        #expect(send1 < close)
        #expect(told.text.contains("own shutdown(SHUT_WR) had shut the socket down for sending"))
        #expect(!told.text.contains("RST provoked by send #1"))
        let unix = try Self.told(["--transport", "unix", "--peer", "shutdown-wr", "--probe", "shutdown-wr", "--sleep", "100ms"])
        #expect(unix.signature == "ok,EPIPE,EPIPE")
        #expect(unix.text.contains("own shutdown(SHUT_WR) had marked our socket shut down for sending"))
        #expect(!unix.text.contains("the peer's end is closed"))
        // After the peer's close the EPIPE comes from our own socket's SEND_SHUTDOWN, which
        // unix_release_sock() set: SO_ERROR after it is 0 and poll shows POLLHUP (both directions shut).
        let closed = try Self.told(["--transport", "unix", "--peer", "close", "--probe", "poll", "--sleep", "100ms"])
        #expect(closed.signature == "ok,EPIPE,EPIPE")
        #expect(ProbeResult.revents(closed.probe).contains("POLLHUP"))
        #expect(closed.text.contains("our socket is shut down for sending (the peer's close or shutdown marked it so)"))
    }

    // unix_release_sock() sets SHUTDOWN_MASK on the survivor: unix_poll() reports POLLHUP and
    // POLLRDHUP; POLLOUT comes from unix_writable() (buffer space) although the peer is gone; no
    // POLLERR, since nothing was left unread and no error is stored.
    @Test func aUnixCloseShutsOurSocketInBothDirections() throws {
        let told = try Self.told(["--transport", "unix", "--peer", "close", "--probe", "poll", "--sleep", "100ms"])
        #expect(ProbeResult.revents(told.probe) == ["POLLIN", "POLLOUT", "POLLHUP", "POLLRDHUP"])
        #expect(told.text.contains("shut down in both directions"))
        #expect(told.text.contains("unix_poll() looks only at that"))
    }

    // __tcp_close() with SOCK_LINGER and a zero linger time calls tcp_disconnect(), which sends RST
    // from ESTABLISHED even though nothing was unread (data_was_unread is false).
    @Test func aZeroLingerCloseResetsWithNothingUnread() throws {
        let run = try CLI.runJSON(["--peer", "linger0", "--sleep", "100ms"])
        #expect(run["signature"] as? String == "ok,ECONNRESET,EPIPE")
        let peer = (run["steps"] as? [[String: Any]] ?? []).filter { $0["actor"] as? String == "peer" }
        #expect(peer.first { $0["op"] as? String == "ioctl" }?["result"] as? Int == 0)
        let (_, text) = try Self.why(["--peer", "linger0", "--sleep", "100ms"])
        #expect(text.contains("otherwise through tcp_disconnect()"))
    }

    // inet_shutdown() (net/ipv4/af_inet.c) returns ENOTCONN for a TCP_CLOSE socket but leaves
    // sk_err alone, so the next send still reports the RST's ECONNRESET.
    @Test func shutdownOnAResetSocketReturnsENOTCONNAndLeavesTheError() throws {
        let told = try Self.told(["--peer", "linger0", "--probe", "shutdown-wr", "--sleep", "100ms"])
        #expect(told.probe == "ENOTCONN")
        #expect(told.signature == "ok,ECONNRESET,EPIPE")
        #expect(told.text.contains("inet_shutdown() returned ENOTCONN"))
        #expect(!told.text.contains("refused"))
    }

    // A socket send cut short returns its count without SIGPIPE: tcp_sendmsg_locked() returns copied
    // before sk_stream_error(), unix_stream_sendmsg() raises it only when sent == 0; pipe_write()
    // raises it even with a count (aPipeShortWriteStoresNothing).
    @Test func aSocketSendCutShortRaisesNoSIGPIPE() throws {
        for transport in ["tcp4", "unix"] {
            let told = try Self.told(["--transport", transport, "--peer", "linger0", "--sigpipe", "handler",
                                      "--sleep", "100ms", "--payload", "4MiB"])
            let first = try #require(told.signature.split(separator: ",").first)
            #expect(first.hasPrefix("short:"), "\(transport)")
            #expect(!first.contains("SIGPIPE"), "\(transport)")
            #expect(told.text.contains("No SIGPIPE came with the count"), "\(transport)")
        }
        // The error the TCP short write left stored is there for SO_ERROR to take (sock_error()).
        let stored = try Self.told(["--peer", "linger0", "--sleep", "100ms", "--payload", "4MiB", "--probe", "so-error"])
        #expect(stored.signature.hasPrefix("short:"))
        #expect(stored.probe == "ECONNRESET")
    }

    /// TCP_INFO is read after a call returns: a send made while the connection was whole can show
    /// the state the peer's RST left, and the sentence must not contradict it.
    @Test func aFirstSendWhoseStateAlreadyShowsTheRST() {
        let scenario = Scenario(transport: .tcp4, peer: .linger0, sigpipe: .ignore, sleepNs: 100_000_000, sends: 2, payloadBytes: 5)
        let steps: [Step] = [
            Step(actor: .client, op: .send, bytes: 5, result: 5, errno: 0, sigpipe: false, startNs: 1_000, durationNs: 9_000, tcpState: .close),
            Step(actor: .peer, op: .recv, bytes: 1024, result: 5, errno: 0, sigpipe: false, startNs: 3_000, durationNs: 500, tcpState: nil),
            Step(actor: .peer, op: .setsockopt, bytes: 0, result: 0, errno: 0, sigpipe: false, startNs: 4_000, durationNs: 500, tcpState: nil),
            Step(actor: .client, op: .send, bytes: 5, result: -1, errno: ECONNRESET, sigpipe: false, startNs: 100_010_000, durationNs: 1_000, tcpState: .close),
        ]
        let run = RunResult(scenario: scenario, repeatIndex: 0, outcome: .error, termSignal: nil, steps: steps,
                            harnessMessage: nil, startedAt: 0, durationNs: 100_020_000)
        let first = Explainer.explain(run).first { $0.hasPrefix("send #1") } ?? ""
        #expect(first.contains("the connection was still whole when it ran; the state read after it already shows the peer's ending"))
    }
}
