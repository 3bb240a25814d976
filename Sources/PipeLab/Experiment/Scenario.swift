/// One cell of the grid: the seven parameters of DESIGN.md.
public struct Scenario: Hashable, Sendable, Codable {
    public var transport: Transport
    public var peer: PeerAction
    public var sigpipe: SigpipeMode
    public var sleepNs: Int64
    public var sends: Int
    public var payloadBytes: Int64
    public var probe: Probe

    /// The classic case: DESIGN.md's `run` defaults.
    public static let classic = Scenario(
        transport: .tcp4, peer: .close, sigpipe: .ignore, sleepNs: 1_000_000_000, sends: 3, payloadBytes: 5)

    public init(transport: Transport, peer: PeerAction, sigpipe: SigpipeMode, sleepNs: Int64, sends: Int, payloadBytes: Int64,
                probe: Probe = .none) {
        self.transport = transport
        self.peer = peer
        self.sigpipe = sigpipe
        self.sleepNs = sleepNs
        self.sends = sends
        self.payloadBytes = payloadBytes
        self.probe = probe
    }

    /// Why this combination cannot exist, or nil when it can be run.
    public var inapplicableReason: String? {
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

    /// The seven parameters as strings, in DESIGN.md's order and spelling.
    public var parameterStrings: [(name: String, value: String)] {
        [
            ("transport", transport.rawValue),
            ("peer", peer.rawValue),
            ("sigpipe", sigpipe.rawValue),
            ("sleep", DurationText.format(sleepNs)),
            ("sends", String(sends)),
            ("payload", SizeText.format(payloadBytes)),
            ("probe", probe.rawValue),
        ]
    }

    /// `tcp4/close/ignore/1s/3/5`, and `/recv` etc. when there is a probe: a compact cell label.
    public var label: String {
        parameterStrings.filter { $0.name != "probe" || probe != .none }.map(\.value).joined(separator: "/")
    }
}

/// One run to perform: a cell of the grid and which repeat of it.
public struct RunRequest: Sendable, Hashable {
    public var scenario: Scenario
    public var repeatIndex: Int
    public init(scenario: Scenario, repeatIndex: Int) {
        self.scenario = scenario
        self.repeatIndex = repeatIndex
    }
}
