import Glibc
import PipeLabExperiment
import PipeLabKernel

/// Times one system call, reads errno and the socket's TCP state, and writes the step to the
/// shared step log at once. A call that may block or kill the worker is announced first, so a
/// worker that dies or hangs inside it has already recorded everything before it.
package struct StepRecorder {
    package let log: StepLog
    package let area: StepLog.Area
    /// The step log's half of the run (StepLog.begin).
    package let half: Int
    package let token: Int64
    package let runStartNs: Int64
    package let isTCP: Bool

    /// Records `body` as one step. `fd` is the socket whose TCP state to read after the call (nil
    /// when the call closed it); `stateOfResult` reads it from the fd the call returned (accept).
    /// `sigpipe` tells whether the call raised SIGPIPE; `value` reads what the call delivered
    /// besides its return (poll's revents, SO_ERROR's error).
    @discardableResult
    package func record(_ actor: Actor, _ op: Operation, bytes: Int64, fd: Int32?, stateOfResult: Bool = false,
                announce: Bool = false, sigpipe: (() -> Bool)? = nil, value: (() -> Int64)? = nil,
                _ body: () -> Int) -> CallResult {
        let start = MonotonicClock.nowNs()
        if announce {
            log.append(.callBegins(token: token, actor: actor, op: op, bytes: bytes, startNs: start - runStartNs), to: area, half: half)
        }
        let result = call(body)
        let end = MonotonicClock.nowNs()
        let raised = sigpipe?() ?? false
        let stateFD = stateOfResult && !result.failed ? Int32(result.value) : fd
        let state = isTCP ? stateFD.flatMap(Sockets.tcpState) : nil
        log.append(.step(token: token, Step(
            actor: actor, op: op, bytes: bytes, result: Int64(result.value), errno: result.errno, sigpipe: raised,
            startNs: start - runStartNs, durationNs: end - start, tcpState: state,
            value: result.failed ? nil : value?())), to: area, half: half)
        return result
    }

    /// The same run's recorder for the peer's area.
    package var forPeer: StepRecorder {
        StepRecorder(log: log, area: .peer, half: half, token: token, runStartNs: runStartNs, isTCP: isTCP)
    }
}
