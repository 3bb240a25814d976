import PipeLabKernel

/// The table of the experiment's dimensions, in DESIGN.md's order. Flags, spec keys, columns, the
/// worker's wire record, JSON, reproduce commands, completions and report and terminal axes are all
/// derived from it. A new dimension is: an entry here (and its value type, if enumerated), a field
/// of `Scenario`, its two option properties in Sources/pipelab/DimensionOptions.swift (argument-parser
/// needs a declared property per option), a migration adding its column to `runs` and `skipped` and
/// to the cell's unique index, its column in the views (Migrations/views.sql), and what the worker
/// and the explainer do with it: 7 files for a trial TCP_NODELAY dimension (issue 16).
public enum Dimensions {
    public static let transport = ScenarioDimension.enumerated(
        Transport.self, column: "transport", meaning: "The connection between client and peer", axisLabel: "transport",
        runDefault: .tcp4, builtIn: Transport.allCases, get: { $0.transport }, set: { $0.transport = $1 })
    public static let peer = ScenarioDimension.enumerated(
        PeerAction.self, column: "peer", meaning: "How the peer ends", axisLabel: "peer ends by",
        runDefault: .close, builtIn: PeerAction.allCases, get: { $0.peer }, set: { $0.peer = $1 })
    public static let sigpipe = ScenarioDimension.enumerated(
        SigpipeMode.self, column: "sigpipe", meaning: "The client's SIGPIPE disposition", axisLabel: "SIGPIPE",
        runDefault: .ignore, builtIn: SigpipeMode.allCases, get: { $0.sigpipe }, set: { $0.sigpipe = $1 })
    public static let sleep = ScenarioDimension.quantity(
        "sleep", column: "sleep_ns", unit: "ns", meaning: "The client's pause after the first send",
        accepted: "0, or a number with ns, us, ms, s (e.g. 250us, 1s), up to 1 day", axisLabel: "sleep after send #1",
        range: 0...Limits.durationNs, runDefault: 1_000_000_000, builtIn: [0, 10_000_000, 1_000_000_000], gridLevel: .cell,
        parse: { (text, label) throws(InputError) in try DurationText.parse(text, name: label) }, format: DurationText.format,
        get: { $0.sleepNs }, set: { $0.sleepNs = $1 })
    public static let sends = ScenarioDimension.quantity(
        "sends", column: "sends", unit: "sends", meaning: "The client's number of sends",
        accepted: "a whole number from 1 to \(Limits.sends)", axisLabel: "sends",
        range: 1...Int64(Limits.sends), runDefault: 3, builtIn: [3], gridLevel: .cell, isPlainCount: true,
        parse: { (text, label) throws(InputError) in Int64(try CountText.parse(text, name: label, maximum: Limits.sends)) },
        format: { String($0) }, get: { Int64($0.sends) }, set: { $0.sends = Int($1) })
    public static let payload = ScenarioDimension.quantity(
        "payload", column: "payload_bytes", unit: "bytes", meaning: "Bytes per send",
        accepted: "a number, optionally with B, KiB, MiB, GiB (e.g. 5, 64KiB), up to 1GiB", axisLabel: "bytes per send",
        range: 1...Limits.payloadBytes, runDefault: 5, builtIn: [5, 65_536], gridLevel: .cell,
        parse: { (text, label) throws(InputError) in try SizeText.parse(text, name: label) }, format: SizeText.format,
        get: { $0.payloadBytes }, set: { $0.payloadBytes = $1 })
    public static let probe = ScenarioDimension.enumerated(
        Probe.self, column: "probe", meaning: "One extra call by the client after the sleep, before send #2",
        axisLabel: "probe after the sleep", runDefault: Probe.none, builtIn: Probe.allCases, labelForm: .valueUnlessDefault,
        get: { $0.probe }, set: { $0.probe = $1 })
    public static let interval = ScenarioDimension.quantity(
        "interval", column: "interval_ns", unit: "ns", meaning: "The client's pause between its later sends (#2, #3, …)",
        accepted: "0, or a duration (e.g. 5ms)", axisLabel: "pause between later sends",
        range: 0...Limits.durationNs, runDefault: 0, builtIn: [0, 5_000_000], gridLevel: .combination, labelForm: .namedUnlessDefault,
        parse: { (text, label) throws(InputError) in try DurationText.parse(text, name: label) }, format: DurationText.format,
        get: { $0.intervalNs }, set: { $0.intervalNs = $1 })
    public static let rtt = ScenarioDimension.quantity(
        "rtt", column: "rtt_ns", unit: "ns", meaning: "The round-trip time of an emulated link between client and peer (tcp4 only)",
        accepted: "0 (plain loopback), or a duration up to 10s (e.g. 20ms)", axisLabel: "round-trip time",
        range: 0...RttText.maximumNs, runDefault: 0, builtIn: [0, 20_000_000], gridLevel: .combination, labelForm: .namedUnlessDefault,
        parse: { (text, label) throws(InputError) in try RttText.parse(text, name: label) }, format: DurationText.format,
        get: { $0.rttNs }, set: { $0.rttNs = $1 })
    public static let loss = ScenarioDimension.quantity(
        "loss", column: "loss_percent", columnType: .real, unit: "basis points",
        meaning: "Per-packet loss on that link, each direction (tcp4 only)",
        accepted: "a percent from 0 to 100 in steps of 0.01 (e.g. 1%, 0.5%)", axisLabel: "packet loss",
        range: 0...10_000, runDefault: 0, builtIn: [0], gridLevel: .combination, labelForm: .namedUnlessDefault,
        parse: { (text, label) throws(InputError) in Int64(try LossText.parse(text, name: label)) },
        format: { LossText.format(Int($0)) }, get: { Int64($0.lossBasisPoints) }, set: { $0.lossBasisPoints = Int($1) },
        // A REAL percent, so SQL reads it as people do; basis points are whole, so the REAL is exact to the hundredth.
        stored: { .real(Double($0) / 100) },
        load: { stored in
            switch stored {
            case .real(let percent):
                let points = (percent * 100).rounded()
                return abs(percent * 100 - points) < 1e-6 && abs(points) < 1e9 ? Int64(points) : nil
            case .integer(let percent): return percent.magnitude < 1_000_000 ? percent * 100 : nil
            case .text: return nil
            }
        })
    public static let client = ScenarioDimension.enumerated(
        ClientProgram.self, column: "client",
        meaning: "Who makes the client's calls: pipelab's own (harness), a shipped program per runtime, or your own (command, with --client-cmd); real programs run under strace (Clients/README.md)",
        axisLabel: "client", runDefault: .harness, builtIn: [.harness], labelForm: .valueUnlessDefault,
        get: { $0.client }, set: { $0.client = $1 })

    /// The table, in DESIGN.md's order: the order of flags, columns, JSON keys and wire slots.
    public static let all: [ScenarioDimension] = [transport, peer, sigpipe, sleep, sends, payload, probe, interval, rtt, loss, client]

    public static func named(_ name: String) -> ScenarioDimension? { all.first { $0.name == name } }

    /// The columns of a cell, comma-separated, each prefixed with `alias.` when given.
    package static func columnList(_ alias: String? = nil) -> String {
        all.map { (alias.map { $0 + "." } ?? "") + $0.column }.joined(separator: ", ")
    }

    /// The range of each INTEGER column of a cell, as a database check needs it.
    package static var integerColumnRanges: [String: ClosedRange<Int64>] {
        Dictionary(uniqueKeysWithValues: all.compactMap { dimension in
            dimension.columnType == .integer ? dimension.range.map { (dimension.column, $0) } : nil
        })
    }

    /// The combinations that cannot exist, each with why; the first that applies is the reason.
    public static let impossible: [Impossibility] = [
        Impossibility(dimensions: [transport, rtt, loss]) { s in
            s.hasLink && !s.transport.crossesLink
                ? "rtt and loss are properties of the emulated link, which carries IPv4 TCP only in this build: they need tcp4" : nil
        },
        Impossibility(dimensions: [client, transport]) { s in
            s.client.isReal && !s.transport.isTCP ? "a real client connects to the peer's address: it needs tcp4 or tcp6" : nil
        },
        Impossibility(dimensions: [client, sigpipe]) { s in s.client.inapplicableReason(sigpipe: s.sigpipe) },
        Impossibility(dimensions: [client, probe]) { s in
            s.client.isReal && s.probe != .none ? "the probe is a call of pipelab's own client: a real program makes only its own calls" : nil
        },
        Impossibility(dimensions: [transport, peer]) { s in
            guard s.transport == .pipe else { return nil }
            switch s.peer {
            case .shutdownWrite, .shutdownReadWrite: return "a pipe has no shutdown(2): peer \(s.peer.rawValue) needs a socket"
            case .linger0: return "SO_LINGER is a socket option: a pipe cannot close abortively"
            case .close, .closeUnread: return nil
            }
        },
        Impossibility(dimensions: [transport, sigpipe]) { s in
            s.transport == .pipe && s.sigpipe == .nosignal ? "MSG_NOSIGNAL is a send(2) flag and pipes are written with write(2)" : nil
        },
        Impossibility(dimensions: [transport, probe]) { s in
            guard s.transport == .pipe else { return nil }
            switch s.probe {
            case .none, .poll: return nil
            case .recv: return "recv(2) is a socket call, and the client's end of a pipe is its write end: there is nothing to read"
            case .soError: return "SO_ERROR is a socket option: a pipe stores no error"
            case .shutdownWrite: return "a pipe has no shutdown(2): probe shutdown-wr needs a socket"
            }
        },
    ]
}

/// A rule that makes a combination of values impossible, and why.
public struct Impossibility: Sendable {
    /// The dimensions whose values decide it.
    public let dimensions: [ScenarioDimension]
    public let reason: @Sendable (Scenario) -> String?

    init(dimensions: [ScenarioDimension], reason: @escaping @Sendable (Scenario) -> String?) {
        (self.dimensions, self.reason) = (dimensions, reason)
    }
}
