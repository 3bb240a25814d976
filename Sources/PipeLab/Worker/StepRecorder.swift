import Glibc

/// Times one system call, reads errno and the socket's TCP state, and reports the step to the
/// recorder at once, so that a worker that dies later has already told everything before.
struct StepRecorder {
    let channel: Channel
    let token: Int64
    let runStartNs: Int64
    let isTCP: Bool

    /// Records `body` as one step. `fd` is the socket whose TCP state to read after the call (nil
    /// when the call closed it). `sigpipe` tells whether the call raised SIGPIPE.
    @discardableResult
    mutating func record(_ actor: Actor, _ op: Operation, bytes: Int64, fd: Int32?,
                         announce: Bool = false, sigpipe: (() -> Bool)? = nil,
                         _ body: () -> Int) -> CallResult {
        let start = MonotonicClock.nowNs()
        if announce {
            channel.send(.callBegins(token: token, actor: actor, op: op, bytes: bytes, startNs: start - runStartNs))
        }
        let result = call(body)
        let end = MonotonicClock.nowNs()
        let raised = sigpipe?() ?? false
        let state = isTCP ? fd.flatMap(Sockets.tcpState) : nil
        channel.send(.step(token: token, Step(
            actor: actor, op: op, bytes: bytes, result: Int64(result.value), errno: result.errno, sigpipe: raised,
            startNs: start - runStartNs, durationNs: end - start, tcpState: state)))
        return result
    }
}
