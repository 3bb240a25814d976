import CPipeLabSupport
import Glibc
import PipeLabExperiment
import PipeLabKernel

/// The process that makes a harness run's client calls, whatever the SIGPIPE disposition: forked
/// once and kept across runs, forked again only after a run ended it (SIGPIPE's default action
/// kills it in place of the worker, as it kills the C programs it stands for). Every run's client
/// is so a process of its own, never a thread of the peer's process: a sleep-0 race must not
/// depend on which (issue 18). Forking it for every run cost most of a zero-sleep run; handing it
/// a run costs one message each way.
///
/// The worker hands it a run over a socket pair (the scenario, the run's clock and a copy of the
/// client's descriptor) as the peer, just before its own first call: the order is the start
/// barrier (DESIGN.md, "Run validity"), one wake-up for the client. The peer then waits for the
/// client's data, so reading the order delays nothing the peer races. It makes the calls (their steps go to the shared step log as they return, announced first, so a send
/// that kills it is recorded), closes its copy and answers; the worker's copy stays open until the
/// worker's abortive close.
package final class ClientProcess {
    /// What a run handed to it came to.
    enum RunEnd {
        case done
        /// It ended during the run (SIGPIPE's default action, or a signal from outside); it is reaped.
        case ended(ProcessTermination)
    }

    /// Why it could not be started.
    struct StartFailure: Error {
        var stage: HarnessStage
        var errno: Int32
    }

    /// The payload mapping it inherited; a run that needs more needs a new process.
    let payload: UnsafeRawBufferPointer
    private let pid: pid_t
    private var control: Int32
    private(set) var termination: ProcessTermination?

    /// An order's slots: the run as a job record, then its clock's start and the test-only pause.
    private static let orderSlots = WireMessage.slots + 2

    /// Forks it. Call it with none of a run's descriptors open: it keeps what the worker had open
    /// at the fork for as long as it lives.
    init(payload: UnsafeRawBufferPointer, log: StepLog, tokens: RealTimeTokens?) throws(StartFailure) {
        var ends: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) == 0 else {
            throw StartFailure(stage: .fork, errno: errno)
        }
        let worker = getpid()
        let child = fork()
        if child == 0 {
            // Its end of the pair must be the only one it holds: the worker's end closing is what ends it.
            Glibc.close(ends[0])
            guard pipelab_die_with_parent(worker) == 0 else { _exit(0) }
            Self.serve(control: ends[1], log: log, payload: payload, tokens: tokens)
        }
        Glibc.close(ends[1])
        guard child > 0 else {
            let failure = errno
            Glibc.close(ends[0])
            throw StartFailure(stage: .fork, errno: failure)
        }
        (self.payload, pid, control) = (payload, child, ends[0])
    }

    deinit { stop() }

    /// Ends it between runs (waiting for an order, it sees its end of the pair close) and reaps
    /// it. Call it before forking another: that one would hold this one's end open.
    func stop() {
        guard control >= 0 else { return }
        Glibc.close(control)
        control = -1
        if termination == nil { _ = reap() }
    }

    /// Whether it has ended since its last run (a signal from outside): it is reaped then.
    var hasEnded: Bool {
        guard termination == nil else { return true }
        var status: Int32 = 0
        guard waitpid(pid, &status, WNOHANG) == pid else { return false }
        termination = ProcessTermination(waitStatus: status)
        return true
    }

    /// Hands it a run on `fd`, which it starts at once: the start barrier. The errno when it cannot
    /// take it (it has ended; `awaitRun` then tells how).
    func hand(token: Int64, _ scenario: Scenario, runStartNs: Int64, extraPauseNs: Int64, fd: Int32) -> Int32? {
        let order = WireMessage.job(token: token, scenario: scenario, lossSeed: 0).encode() + [runStartNs, extraPauseNs]
        let sent = order.withUnsafeBytes { pipelab_send_with_fd(control, $0.baseAddress, UInt($0.count), fd) }
        return sent == order.count * 8 ? nil : sent < 0 ? errno : EPIPE
    }

    /// Waits until it has made the run's calls, or has ended (then it is reaped).
    func awaitRun() -> RunEnd {
        var answer: Int64 = 0
        while true {
            let received = recv(control, &answer, 8, 0)
            if received == 8 { return .done }
            if received < 0 && errno == EINTR { continue }
            return .ended(reap())
        }
    }

    private func reap() -> ProcessTermination {
        if let termination { return termination }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let ended = ProcessTermination(waitStatus: status)
        termination = ended
        return ended
    }

    /// The client process's life: one run per order, until the worker closes its end.
    private static func serve(control: Int32, log: StepLog, payload: UnsafeRawBufferPointer,
                              tokens: RealTimeTokens?) -> Never {
        var script = ClientScript(realTimeTokens: tokens)
        var order = [Int64](repeating: 0, count: orderSlots)
        while true {
            var fd: Int32 = -1
            let received = order.withUnsafeMutableBytes { pipelab_receive_with_fd(control, $0.baseAddress, UInt($0.count), &fd) }
            // Anything but a whole order from the worker (its end closed) ends the process.
            guard received == orderSlots * 8, fd >= 0,
                  case .job(let token, let scenario, _, _)? = order.withUnsafeBufferPointer({
                      WireMessage.decode(UnsafeBufferPointer(rebasing: $0[0..<WireMessage.slots]))
                  }),
                  let size = Int(exactly: scenario.payloadBytes), size <= payload.count else { _exit(0) }
            let recorder = StepRecorder(log: log, area: .client, token: token, runStartNs: order[WireMessage.slots],
                                        isTCP: scenario.transport.isTCP)
            script.perform(scenario, UnsafeRawBufferPointer(rebasing: payload[0..<size]), fd: fd, recorder: recorder,
                           extraPauseNs: order[WireMessage.slots + 1])
            // Before the answer: the worker's close must be the socket's last, the abortive one.
            Glibc.close(fd)
            var answer = token
            guard Glibc.send(control, &answer, 8, Int32(MSG_NOSIGNAL)) == 8 else { _exit(0) }
        }
    }
}
