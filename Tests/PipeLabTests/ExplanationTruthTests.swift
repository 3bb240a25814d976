import Foundation
import Glibc
import Testing
@testable import PipeLab

/// Each explanation `pipelab run` prints is checked against the run it describes, on the real
/// kernel: the signature first (the kernel's answer), then the key claim of the "Why".
@Suite struct ExplanationTruthTests {
    /// The "Why:" paragraphs of `pipelab run ARGS`, joined, and the signature.
    static func why(_ arguments: [String]) throws -> (signature: String, text: String) {
        let output = try CLI.run(["run"] + arguments)
        guard output.status == 0 else { throw TestFailure("pipelab run \(arguments) exited \(output.status): \(output.stderr)") }
        let lines = output.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let signature = lines.first { $0.hasPrefix("signature: ") }.map { String($0.dropFirst(11)) } ?? ""
        let why = lines.drop { $0 != "Why:" }.dropFirst().map { $0.trimmingCharacters(in: .whitespaces) }
        return (signature, why.joined(separator: " "))
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

    // unix_stream_sendmsg() → sock_alloc_send_pskb() takes sk_err with sock_error() when the
    // blocked send wakes, then returns the bytes sent: nothing stays stored (net/unix/af_unix.c).
    @Test func aUnixShortWriteConsumesItsOwnError() throws {
        let (signature, text) = try Self.why(["--transport", "unix", "--peer", "linger0", "--sigpipe", "handler",
                                              "--sleep", "100ms", "--payload", "4MiB"])
        #expect(signature.hasPrefix("short:"))
        #expect(signature.hasSuffix(",EPIPE+SIGPIPE,EPIPE+SIGPIPE"))
        #expect(text.contains("took that error itself"))
        #expect(!text.contains("stays stored"))
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
        func step(_ actor: Actor, _ op: PipeLab.Operation, _ bytes: Int64, _ result: Int64, errno: Int32 = 0, at start: Int64) -> Step {
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
}
