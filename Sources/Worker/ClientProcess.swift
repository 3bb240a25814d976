import CPipeLabSupport
import Glibc
import PipeLabExperiment
import PipeLabKernel

/// The process that makes a harness run's client calls, whatever the SIGPIPE disposition: forked
/// once and kept across runs. A run whose SIGPIPE takes its default action it makes in a run
/// process of its own that shares its memory (RunProcess), which SIGPIPE kills in its place, as it
/// kills the C programs it stands for; the others it makes itself. (Should a run process not be
/// made, it makes the run itself, and the worker forks a new client process after a run that
/// killed it.) Every run's client is so a process of its own, never a thread of the peer's
/// process: a sleep-0 race must not depend on which (issue 18). Forking a process for every run
/// cost most of a zero-sleep run; handing it a run costs one message each way.
///
/// The worker hands it a run over a socket pair (the scenario, the run's clock and a copy of the
/// client's descriptor) as the peer, just before its own first call: the order, which the client
/// (it, or its run process) is already waiting for, is the start barrier (DESIGN.md, "Run
/// validity"), one wake-up for the client. The peer then waits for the client's data, so reading
/// the order delays nothing the peer races. It makes the calls (their steps go to the shared step log as they return, announced first, so a send
/// that kills it is recorded), closes its copy and answers; the worker's copy stays open until the
/// worker's abortive close.
package final class ClientProcess {
    /// What a run handed to it came to.
    enum RunEnd {
        case done
        /// The process that made the run's calls was killed by this signal (SIGPIPE's default
        /// action, or a signal from outside): its run process, or the client process itself (reaped).
        case killed(Int32)
        /// It exited during the run: its order never came whole, and the run was not made.
        case vanished
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
    /// Runs killed in a run process of its own (RunProcess): each left a little memory behind.
    private(set) var killedRuns = 0

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

    /// Whether it waits for its next order in a run process of its own (RunProcess), as it was
    /// last told; until told, it waits itself.
    private(set) var waitsInRunProcess = false

    /// Tells it where to wait for its next orders: in a run process of its own, for runs whose
    /// SIGPIPE takes its default action (it lives on when one is killed), or itself, for the others
    /// (making a run process costs about what starting a thread does). The run's client is so a
    /// process already waiting for its order, whichever: the start barrier is met alike. Send it
    /// before the run's descriptors exist, so the run process is made while the worker connects.
    /// False when it has ended (its next `hand` fails).
    func waitInRunProcess(_ wanted: Bool) -> Bool {
        guard wanted != waitsInRunProcess else { return true }
        var switchTo: Int64 = wanted ? 1 : 0
        guard Glibc.send(control, &switchTo, 8, Int32(MSG_NOSIGNAL)) == 8 else { return false }
        waitsInRunProcess = wanted
        return true
    }

    /// Hands it a run on `fd`, which it starts at once: the start barrier. The errno when it cannot
    /// take it (it has ended; `awaitRun` then tells how).
    func hand(token: Int64, _ scenario: Scenario, half: Int, runStartNs: Int64, extraPauseNs: Int64, fd: Int32) -> Int32? {
        let order = WireMessage.job(token: token, scenario: scenario, lossSeed: 0).encode() + [runStartNs, extraPauseNs, Int64(half)]
        let sent = order.withUnsafeBytes { pipelab_send_with_fd(control, $0.baseAddress, UInt($0.count), fd) }
        return sent == order.count * 8 ? nil : sent < 0 ? errno : EPIPE
    }

    /// Waits until it has made the run's calls, or has ended (then it is reaped).
    func awaitRun() -> RunEnd {
        // The answer: the signal that killed the run's process, 0 when none did.
        var answer: Int64 = 0
        while true {
            let received = recv(control, &answer, 8, 0)
            if received == 8, let signal = Int32(exactly: answer), signal > 0 {
                killedRuns += 1
                return .killed(signal)
            }
            if received == 8 { return .done }
            if received < 0 && errno == EINTR { continue }
            switch reap() {
            case .signaled(let signal): return .killed(signal)
            case .exited: return .vanished
            }
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

    /// The client process's life: one run per order, waiting for it in a run process of its own
    /// or itself, as the worker last asked, until the worker closes its end.
    private static func serve(control: Int32, log: StepLog, payload: UnsafeRawBufferPointer,
                              tokens: RealTimeTokens?) -> Never {
        let orders = RunOrders(control: control, log: log, payload: payload, script: ClientScript(realTimeTokens: tokens))
        let runProcess = RunProcess { orders.takeOne().exitStatus }
        var inRunProcess = false
        while true {
            // The answer: the signal that killed the run's process, 0 when none did.
            var answer: Int64 = 0
            orders.taken = nil
            var taken: RunOrders.Taken
            if inRunProcess, let runProcess, case .success(let ended) = runProcess.run() {
                switch ended {
                case .exited(let status):
                    taken = RunOrders.Taken(exitStatus: status)
                case .signaled(let signal):
                    // Killed from outside while it waited for its order: no run to answer for.
                    guard orders.taken != nil else { continue }
                    taken = .run
                    answer = Int64(signal)
                }
                // The next run process inherits this one's SIGPIPE state: in the last run's mode,
                // a run of the same mode has nothing to set.
                if let mode = orders.taken, mode != SigpipeControl.recordedMode { _ = SigpipeControl(mode: mode) }
            } else {
                taken = orders.takeOne()
            }
            switch taken {
            case .run: guard Glibc.send(control, &answer, 8, Int32(MSG_NOSIGNAL)) == 8 else { _exit(0) }
            case .switchTo(let runProcess): inRunProcess = runProcess
            case .nothing: _exit(0)
            }
        }
    }
}

/// Takes what the worker sends the client process next and, for an order, makes its run, in
/// whichever process calls it.
private final class RunOrders {
    /// What came.
    enum Taken {
        case run
        /// Where to wait for the next orders (ClientProcess.waitInRunProcess).
        case switchTo(runProcess: Bool)
        /// Nothing whole: the worker's end closed.
        case nothing

        /// As a run process's exit status, and back.
        var exitStatus: Int32 {
            switch self {
            case .run: 0
            case .nothing: 1
            case .switchTo(let runProcess): runProcess ? 2 : 3
            }
        }

        init(exitStatus: Int32) {
            switch exitStatus {
            case 0: self = .run
            case 2: self = .switchTo(runProcess: true)
            case 3: self = .switchTo(runProcess: false)
            default: self = .nothing
            }
        }
    }

    private let control: Int32
    private let log: StepLog
    private let payload: UnsafeRawBufferPointer
    private let script: ClientScript
    /// An order's slots: the run as a job record, then its clock's start, the test-only pause and
    /// the step log's half of the run.
    private static let orderSlots = WireMessage.slots + 3
    /// Allocated once, and not a Swift array: a run process killed while reading into it must not
    /// leave an access open in the exclusivity records it shares with the client process.
    private let order = UnsafeMutableBufferPointer<Int64>.allocate(capacity: orderSlots)
    /// The SIGPIPE mode of the order last read whole; nil until one is. Written by the run process
    /// in the memory it shares with the client process.
    var taken: SigpipeMode?

    init(control: Int32, log: StepLog, payload: UnsafeRawBufferPointer, script: ClientScript) {
        (self.control, self.log, self.payload, self.script) = (control, log, payload, script)
    }

    /// Reads what comes next; makes the run of an order.
    func takeOne() -> Taken {
        var fd: Int32 = -1
        let received = pipelab_receive_with_fd(control, order.baseAddress, UInt(order.count * 8), &fd)
        if received == 8 && fd < 0 && (order[0] == 0 || order[0] == 1) { return .switchTo(runProcess: order[0] == 1) }
        guard received == order.count * 8, fd >= 0,
              case .job(let token, let scenario, _, _)? = WireMessage.decode(UnsafeBufferPointer(rebasing: order[0..<WireMessage.slots])),
              let size = Int(exactly: scenario.payloadBytes), size <= payload.count else { return .nothing }
        taken = scenario.sigpipe
        let recorder = StepRecorder(log: log, area: .client, half: Int(order[WireMessage.slots + 2] & 1), token: token,
                                    runStartNs: order[WireMessage.slots],
                                    isTCP: scenario.transport.isTCP)
        var script = script
        script.perform(scenario, UnsafeRawBufferPointer(rebasing: payload[0..<size]), fd: fd, recorder: recorder,
                       extraPauseNs: order[WireMessage.slots + 1])
        // Before the answer: the worker's close must be the socket's last, the abortive one.
        Glibc.close(fd)
        return .run
    }
}
