import Glibc
import PipeLabExperiment
import PipeLabKernel
import PipeLabNetwork
import PipeLabStore
import PipeLabWorker

/// What the recorder knows of a run while a worker performs it.
package struct InFlight {
    package let request: RunRequest
    package let token: Int64
    /// The run's own seed, or a new one: recorded with the run, so `run --seed` replays its losses.
    package let lossSeed: UInt32
    /// The step log's half the run writes into (StepLog.half(ofJob:)).
    package var half: Int
    /// When it began: when it was handed over, or when the run before it on the same worker ended,
    /// until the worker's own stamp in the step log says (`absorb`).
    package private(set) var startNs = MonotonicClock.nowNs()
    package private(set) var startedAt = WallClock.now()
    package var steps: [Step] = []
    /// A call announced but not yet returned: the one a killed or hung worker was in.
    package var pendingCall: Step?
    /// The signal that killed the run's forked client.
    package var clientSignal: Int32?
    package var captured: [CapturedPacket] = []
    /// A real client program's end and what it printed, as they arrive.
    package var clientEnd: (exitCode: Int32?, disposition: SigpipeDisposition)?
    package var clientOutput: [UInt8] = []

    package init(request: RunRequest, token: Int64, half: Int) {
        self.request = request
        self.token = token
        self.half = half
        // Drawn only where it is used: a random number is a system call (getrandom).
        lossSeed = request.lossSeed ?? (request.scenario.lossBasisPoints > 0 ? UInt32.random(in: 0...UInt32.max) : 0)
    }

    /// Applies one message; returns the finished run when the message ends it.
    package mutating func handle(_ message: WireMessage) -> RunResult? {
        switch message {
        case let .callBegins(token, actor, op, bytes, startNs) where token == self.token:
            pendingCall = Step(actor: actor, op: op, bytes: bytes, result: nil, errno: 0, sigpipe: false,
                               startNs: startNs, durationNs: nil, tcpState: nil)
        case let .step(token, step) where token == self.token:
            if step.actor == pendingCall?.actor && step.op == pendingCall?.op { pendingCall = nil }
            steps.append(step)
        case let .packet(token, packet) where token == self.token:
            captured.append(packet)
        case let .clientKilled(token, signal) where token == self.token:
            clientSignal = signal
        case let .clientEnded(token, exitCode, disposition) where token == self.token:
            clientEnd = (exitCode, disposition)
        case let .clientOutput(token, bytes) where token == self.token:
            clientOutput += bytes
        case let .runDone(token) where token == self.token:
            if let clientSignal { return ended(by: .signaled(clientSignal)) }
            let failed = steps.contains { $0.actor == .client && $0.op.isClientWrite && ($0.result ?? -1) < 0 }
            return result(failed ? .error : .ok)
        case let .harnessError(token, stage, code) where token == self.token:
            var run = result(.harnessError)
            run.harnessMessage = "\(stage.rawValue): \(String(cString: strerror(code))) (\(ErrnoName.of(code)))"
            return run
        default:
            break
        }
        return nil
    }

    /// Next in line on its worker: it begins now, as far as the recorder can tell.
    package mutating func beginsNow() {
        (startNs, startedAt) = (MonotonicClock.nowNs(), WallClock.now())
    }

    /// Takes in the steps the worker wrote to its step log, and the moment it began the run.
    package mutating func absorb(_ log: StepLog) {
        if let began = log.startNs(of: token, half: half) {
            let now = MonotonicClock.nowNs()
            startedAt = WallClock.now() - Double(now - began) / 1e9
            startNs = began
        }
        for message in log.read(half: half) { _ = handle(message) }
    }

    /// The run's sending process (the forked client, or the worker itself) was killed or exited.
    /// Only SIGPIPE is the experiment's: any other signal came from outside, and the run is a
    /// `harness-error` that the sweep runs again; but a real program's death by any signal is its own.
    package func ended(by termination: ProcessTermination) -> RunResult {
        switch termination {
        case .signaled(let signal) where signal == SIGPIPE || (request.scenario.client.isReal && clientSignal == signal):
            var run = result(.killed, pendingSigpipe: true)
            run.termSignal = signal
            return run
        case .signaled(let signal):
            var run = result(.harnessError)
            run.harnessMessage = "the run's process was killed by \(SignalName.of(signal)) from outside the experiment"
            return run
        case .exited(let code):
            var run = result(.harnessError)
            run.harnessMessage = "the worker exited with status \(code) during the run"
            return run
        }
    }

    package func timedOut() -> RunResult { result(.timeout) }

    private func result(_ outcome: Outcome, pendingSigpipe: Bool = false) -> RunResult {
        var all = steps
        if var call = pendingCall {
            call.sigpipe = pendingSigpipe
            all.append(call)
        }
        // The client's and the peer's reports interleave; the run's clock orders them.
        all.sort { $0.startNs < $1.startNs }
        var run = RunResult(scenario: request.scenario, repeatIndex: request.repeatIndex, outcome: outcome,
                            termSignal: nil, steps: all, harnessMessage: nil, startedAt: startedAt,
                            durationNs: MonotonicClock.nowNs() - startNs)
        run.lossSeed = request.scenario.lossBasisPoints > 0 ? lossSeed : nil
        run.packets = PacketFields.read(captured, steps: all)
        run.client = clientEnd.map {
            ClientReport(exitCode: $0.exitCode, disposition: $0.disposition, output: String(decoding: clientOutput, as: UTF8.self))
        }
        return run
    }
}
