import PipeLabKernel

/// One cell of the grid: the ten parameters of DESIGN.md.
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

    /// The classic case: DESIGN.md's `run` defaults.
    public static let classic = Scenario(
        transport: .tcp4, peer: .close, sigpipe: .ignore, sleepNs: 1_000_000_000, sends: 3, payloadBytes: 5)

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

    /// Why this combination cannot exist, or nil when it can be run.
    public var inapplicableReason: String? {
        if let reason = client.inapplicableReason(transport: transport, sigpipe: sigpipe, probe: probe) { return reason }
        if hasLink && !transport.isTCP {
            return "rtt and loss are properties of the link TCP crosses: a \(transport == .pipe ? "pipe" : "Unix socket") has none"
        }
        if hasLink && transport == .tcp6 {
            return "the emulated link carries IPv4 only in this build: rtt and loss above 0 need tcp4"
        }
        guard transport == .pipe else { return nil }
        switch peer {
        case .shutdownWrite, .shutdownReadWrite:
            return "a pipe has no shutdown(2): peer \(peer.rawValue) needs a socket"
        case .linger0:
            return "SO_LINGER is a socket option: a pipe cannot close abortively"
        case .close, .closeUnread:
            break
        }
        if sigpipe == .nosignal {
            return "MSG_NOSIGNAL is a send(2) flag and pipes are written with write(2)"
        }
        switch probe {
        case .none, .poll: return nil
        case .recv: return "recv(2) is a socket call, and the client's end of a pipe is its write end: there is nothing to read"
        case .soError: return "SO_ERROR is a socket option: a pipe stores no error"
        case .shutdownWrite: return "a pipe has no shutdown(2): probe shutdown-wr needs a socket"
        }
    }

    /// The ten parameters as strings, in DESIGN.md's order and spelling.
    public var parameterStrings: [(name: String, value: String)] {
        [
            ("transport", transport.rawValue),
            ("peer", peer.rawValue),
            ("sigpipe", sigpipe.rawValue),
            ("sleep", DurationText.format(sleepNs)),
            ("sends", String(sends)),
            ("payload", SizeText.format(payloadBytes)),
            ("probe", probe.rawValue),
            ("interval", DurationText.format(intervalNs)),
            ("rtt", DurationText.format(rttNs)),
            ("loss", LossText.format(lossBasisPoints)),
        ]
    }

    /// `tcp4/close/ignore/1s/3/5`, and `/recv`, `/interval 5ms`, `/rtt 20ms`, `/loss 1%` where they
    /// are not the classic case's: a compact cell label.
    public var label: String {
        parameterStrings.compactMap { name, value in
            switch name {
            case "probe": probe == .none ? nil : value
            case "interval", "rtt", "loss": value == "0" ? nil : "\(name) \(value)"
            default: value
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
