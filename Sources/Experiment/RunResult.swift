/// How a run ended. Stored as TEXT; the raw values are the contract.
public enum Outcome: String, Sendable, Codable, CaseIterable {
    /// Every send completed (written whole or short) without an error.
    case ok
    /// At least one send failed with an errno.
    case error
    /// The worker was killed by a signal (SIGPIPE's default action) during the run, or a real
    /// client program by any signal.
    case killed
    /// The run did not finish within its timeout and its worker was killed.
    case timeout
    /// pipelab itself could not carry out the run (e.g. no IPv6 on the machine).
    case harnessError = "harness-error"
}

/// Everything one run produced.
public struct RunResult: Sendable {
    public var scenario: Scenario
    public var repeatIndex: Int
    public var outcome: Outcome
    /// The signal that ended the worker (never folded into an exit code).
    public var termSignal: Int32?
    /// Steps in start-time order.
    public var steps: [Step]
    /// What went wrong in the harness, for `harness-error`.
    public var harnessMessage: String?
    /// Wall-clock start, seconds since 1970.
    public var startedAt: Double
    /// Monotonic duration of the whole run.
    public var durationNs: Int64
    /// The seed the link drew its losses from; nil without loss.
    public var lossSeed: UInt32?
    /// The run's TCP packets in time order, when it was captured.
    public var packets: [Packet] = []
    /// What a real client program said and how it ended; nil for pipelab's own client.
    public var client: ClientReport?

    public init(scenario: Scenario, repeatIndex: Int, outcome: Outcome, termSignal: Int32?, steps: [Step],
                harnessMessage: String?, startedAt: Double, durationNs: Int64) {
        self.scenario = scenario
        self.repeatIndex = repeatIndex
        self.outcome = outcome
        self.termSignal = termSignal
        self.steps = steps
        self.harnessMessage = harnessMessage
        self.startedAt = startedAt
        self.durationNs = durationNs
    }

    /// The client's send/write calls, in order.
    public var clientWrites: [Step] { steps.filter { $0.actor == .client && $0.op.isClientWrite } }

    public var signature: String { Signature.of(self) }

    /// The client's probe call, when the scenario has one and the client got to it.
    public var probeStep: Step? { scenario.probe == .none ? nil : ProbeResult.step(in: steps) }

    /// `runs.probe_result`: nil without a probe, or when the process died before it returned.
    public var probeResult: String? { probeStep.flatMap(ProbeResult.text) }

    /// The first send that did not write all its bytes (failed, short, or fatal): its 1-based
    /// number and its errno (0 when it was short or fatal).
    public var firstFailure: (send: Int, errno: Int32)? {
        let writes = clientWrites
        return writes.firstIndex { $0.result != $0.bytes }.map { ($0 + 1, writes[$0].errno) }
    }

    public var firstFailingSend: Int? { firstFailure?.send }
}
