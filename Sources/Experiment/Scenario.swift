import PipeLabKernel

/// One cell of the grid: the eleven parameters of DESIGN.md.
public struct Scenario: Hashable, Sendable, Codable {
    public var transport: Transport
    public var peer: PeerAction
    public var sigpipe: SigpipeMode
    public var sleepNs: Int64
    public var sends: Int
    public var payloadBytes: Int64
    public var probe: Probe
    /// The pause between the client's later sends (#2, #3, …).
    public var intervalNs: Int64
    /// The emulated link's round-trip time; 0 with no loss: plain loopback.
    public var rttNs: Int64
    /// Per-packet loss on the link in each direction, in hundredths of a percent.
    public var lossBasisPoints: Int
    /// Who makes the client's calls: pipelab's own client, or a real program.
    public var client: ClientProgram

    /// The classic case: every dimension at its `pipelab run` default (Dimensions.all).
    public static let classic: Scenario = Dimensions.all.reduce(
        into: Scenario(transport: .tcp4, peer: .close, sigpipe: .ignore, sleepNs: 0, sends: 1, payloadBytes: 1)
    ) { scenario, dimension in dimension.set(dimension.runDefault, in: &scenario) }

    public init(transport: Transport, peer: PeerAction, sigpipe: SigpipeMode, sleepNs: Int64, sends: Int, payloadBytes: Int64,
                probe: Probe = .none, intervalNs: Int64 = 0, rttNs: Int64 = 0, lossBasisPoints: Int = 0,
                client: ClientProgram = .harness) {
        self.transport = transport
        self.peer = peer
        self.sigpipe = sigpipe
        self.sleepNs = sleepNs
        self.sends = sends
        self.payloadBytes = payloadBytes
        self.probe = probe
        self.intervalNs = intervalNs
        self.rttNs = rttNs
        self.lossBasisPoints = lossBasisPoints
        self.client = client
    }

    /// The cell's interval, rtt and loss.
    public var network: NetworkCell { NetworkCell(intervalNs: intervalNs, rttNs: rttNs, lossBasisPoints: lossBasisPoints) }

    /// Whether the run needs the emulated link between client and peer.
    public var hasLink: Bool { rttNs > 0 || lossBasisPoints > 0 }

    /// Why this combination cannot exist (the first rule of `Dimensions.impossible` that applies),
    /// or nil when it can be run.
    public var inapplicableReason: String? { impossibility?.reason }

    /// The rule that makes this combination impossible, with its reason.
    public var impossibility: (rule: Impossibility, reason: String)? {
        for rule in Dimensions.impossible {
            if let reason = rule.reason(self) { return (rule, reason) }
        }
        return nil
    }

    /// The parameters as strings, in the table's order and spelling.
    public var parameterStrings: [(name: String, value: String)] {
        Dimensions.all.map { ($0.name, $0.format($0.value(of: self))) }
    }

    /// `tcp4/close/ignore/1s/3/5`, and `/recv`, `/interval 5ms`, `/rtt 20ms`, `/loss 1%` where they
    /// are not at their defaults: a compact cell label.
    public var label: String {
        Dimensions.all.compactMap { dimension in
            let value = dimension.value(of: self), text = dimension.format(value)
            switch dimension.labelForm {
            case .always: return text
            case .valueUnlessDefault: return value == dimension.runDefault ? nil : text
            case .namedUnlessDefault: return value == dimension.runDefault ? nil : "\(dimension.name) \(text)"
            }
        }.joined(separator: "/")
    }
}

/// One run to perform: a cell of the grid and which repeat of it. Its identity is the cell and
/// the repeat: a loss seed says how the run is made, not which run it is.
public struct RunRequest: Sendable, Hashable {
    public var scenario: Scenario
    public var repeatIndex: Int
    /// The seed for the link's losses (`run --seed`); nil: a new one is drawn when the run starts.
    public var lossSeed: UInt32?
    public init(scenario: Scenario, repeatIndex: Int, lossSeed: UInt32? = nil) {
        self.scenario = scenario
        self.repeatIndex = repeatIndex
        self.lossSeed = lossSeed
    }

    public static func == (a: RunRequest, b: RunRequest) -> Bool { a.scenario == b.scenario && a.repeatIndex == b.repeatIndex }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(scenario)
        hasher.combine(repeatIndex)
    }
}

/// A cell's network: the client's pause between later sends, and the emulated link's round trip
/// and loss. `plain` is the classic case: back-to-back sends on plain loopback.
public struct NetworkCell: Hashable, Sendable {
    public var intervalNs: Int64
    public var rttNs: Int64
    public var lossBasisPoints: Int
    public static let plain = NetworkCell(intervalNs: 0, rttNs: 0, lossBasisPoints: 0)

    public init(intervalNs: Int64, rttNs: Int64, lossBasisPoints: Int) {
        (self.intervalNs, self.rttNs, self.lossBasisPoints) = (intervalNs, rttNs, lossBasisPoints)
    }

    /// `rtt 20ms loss 1% every 5ms`; `loopback` for the plain network.
    public var label: String {
        let parts = [rttNs > 0 ? "rtt " + DurationText.format(rttNs) : nil,
                     lossBasisPoints > 0 ? "loss " + LossText.format(lossBasisPoints) : nil,
                     intervalNs > 0 ? "every " + DurationText.format(intervalNs) : nil]
        return parts.isEmpty || parts.allSatisfy({ $0 == nil }) ? "loopback" : parts.compactMap { $0 }.joined(separator: " ")
    }
}
