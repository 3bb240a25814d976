import Foundation
import PipeLabKernel

/// The order runs start in. `shuffle` spreads slow drift of the machine across the cells.
public enum RunOrder: String, ParameterValue {
    case grid, shuffle
    public static let parameterName = "order"
}

/// A whole sweep: a list of values per parameter, and how to run them. Flags, spec files and the
/// `sweeps.spec` column all use the same keys.
public struct SweepSpec: Equatable, Sendable {
    public var transport: [Transport]
    public var peer: [PeerAction]
    public var sigpipe: [SigpipeMode]
    public var sleep: [Int64]
    public var sends: [Int]
    public var payload: [Int64]
    public var probe: [Probe]
    /// The sleeps at which probes other than none run (those of `sleep` listed here); nil: every sleep.
    public var probeSleep: [Int64]?
    public var interval: [Int64]
    public var rtt: [Int64]
    /// Loss in basis points (hundredths of a percent).
    public var loss: [Int]
    /// The sleeps at which networks other than plain loopback with back-to-back sends run, with
    /// probe none only (a sub-grid, like probe-sleep); nil: every sleep and every probe.
    public var linkSleep: [Int64]?
    public var repeats: Int
    public var jobs: Int
    public var timeoutNs: Int64
    public var name: String?
    public var order: RunOrder
    public var seed: UInt64

    /// The built-in grid: every value of every enumerated dimension, sleeps from a race (0) through
    /// a settled connection (10ms) to the classic case (1s), three sends, a small and a large
    /// payload, three repeats; every probe, the probes other than none at the settled 10ms sleep only
    /// (a union of two grids); back-to-back sends on plain loopback. It finishes in well under a minute on two cores.
    public static let builtIn = SweepSpec(
        transport: Transport.allCases, peer: PeerAction.allCases, sigpipe: SigpipeMode.allCases,
        sleep: [0, 10_000_000, 1_000_000_000], sends: [3], payload: [5, 65_536],
        probe: Probe.allCases, probeSleep: [10_000_000],
        interval: [0, 5_000_000], rtt: [0, 20_000_000], loss: [0], linkSleep: [10_000_000], repeats: 3, jobs: defaultJobs(sleeps: [1_000_000_000]), timeoutNs: 5_000_000_000, name: nil, order: .grid, seed: 1)

    /// Runs in flight when `--jobs` is not given. Runs that sleep cost no CPU, so a grid with
    /// sleeps of a millisecond or more keeps many runs in flight (16 per CPU, at most 64); a grid
    /// of shorter sleeps is CPU-bound and runs best with two per CPU.
    public static func defaultJobs(sleeps: [Int64]) -> Int {
        let cpus = ProcessInfo.processInfo.activeProcessorCount
        return (sleeps.max() ?? 0) >= 1_000_000 ? min(64, max(8, 16 * cpus)) : max(2, 2 * cpus)
    }

    /// The sleeps of the cells with `probe` and `network`.
    public func sleeps(for probe: Probe, network: NetworkCell = .plain) -> [Int64] {
        var sleeps = sleep
        if probe != .none, let probeSleep { sleeps = sleeps.filter(probeSleep.contains) }
        if network != .plain, let linkSleep { sleeps = probe == .none ? sleeps.filter(linkSleep.contains) : [] }
        return sleeps
    }

    /// Every (interval, rtt, loss) of the spec, in grid order.
    public var networks: [NetworkCell] {
        interval.flatMap { i in rtt.flatMap { r in loss.map { NetworkCell(intervalNs: i, rttNs: r, lossBasisPoints: $0) } } }
    }

    /// The keys a spec file may hold.
    public static let keys = ["transport", "peer", "sigpipe", "sleep", "sends", "payload", "probe", "probe-sleep",
                              "interval", "rtt", "loss", "link-sleep", "repeat", "jobs", "timeout", "name", "order", "seed"]

    /// Canonical JSON, as stored with the sweep and accepted back by `--spec`.
    public func json() -> String {
        var members: [(String, JSONValue)] = [
            ("transport", .array(transport.map { .string($0.rawValue) })),
            ("peer", .array(peer.map { .string($0.rawValue) })),
            ("sigpipe", .array(sigpipe.map { .string($0.rawValue) })),
            ("sleep", .array(sleep.map { .string(DurationText.format($0)) })),
            ("sends", .array(sends.map { .int(Int64($0)) })),
            ("payload", .array(payload.map { .string(SizeText.format($0)) })),
            ("probe", .array(probe.map { .string($0.rawValue) })),
            ("interval", .array(interval.map { .string(DurationText.format($0)) })),
            ("rtt", .array(rtt.map { .string(DurationText.format($0)) })),
            ("loss", .array(loss.map { .string(LossText.format($0)) })),
            ("repeat", .int(Int64(repeats))),
            ("jobs", .int(Int64(jobs))),
            ("timeout", .string(DurationText.format(timeoutNs))),
            ("order", .string(order.rawValue)),
            // A string: JSON readers (and SQLite's json functions) hold numbers as doubles or Int64,
            // which cannot carry every UInt64 exactly.
            ("seed", .string(String(seed))),
        ]
        if let name { members.append(("name", .string(name))) }
        if let probeSleep { members.append(("probe-sleep", .array(probeSleep.map { .string(DurationText.format($0)) }))) }
        if let linkSleep { members.append(("link-sleep", .array(linkSleep.map { .string(DurationText.format($0)) }))) }
        return JSONValue.object(members).text
    }
}

/// Values given on the command line or in a spec file; nil means "not given here".
public struct SpecOverrides: Sendable {
    public var transport: [Transport]?
    public var peer: [PeerAction]?
    public var sigpipe: [SigpipeMode]?
    public var sleep: [Int64]?
    public var sends: [Int]?
    public var payload: [Int64]?
    public var probe: [Probe]?
    public var probeSleep: [Int64]?
    public var interval: [Int64]?
    public var rtt: [Int64]?
    public var loss: [Int]?
    public var linkSleep: [Int64]?
    public var repeats: Int?
    public var jobs: Int?
    public var timeoutNs: Int64?
    public var name: String?
    public var order: RunOrder?
    public var seed: UInt64?

    public init() {}

    /// `base` with every value given here put over it.
    public func applied(to base: SweepSpec) -> SweepSpec {
        var spec = base
        if let transport { spec.transport = transport }
        if let peer { spec.peer = peer }
        if let sigpipe { spec.sigpipe = sigpipe }
        if let sleep { spec.sleep = sleep }
        if let sends { spec.sends = sends }
        if let payload { spec.payload = payload }
        // The built-in's probes belong to the built-in grid: a grid of one's own has probe none
        // unless probes are asked for, and probes at every sleep unless probe-sleep says otherwise.
        let ownGrid = transport != nil || peer != nil || sigpipe != nil || sleep != nil || sends != nil || payload != nil
        if ownGrid || probe != nil {
            spec.probe = probe ?? [.none]
            spec.probeSleep = nil
        }
        if let probeSleep { spec.probeSleep = probeSleep }
        // The same for the built-in's links: a grid of one's own has plain loopback and back-to-back
        // sends unless asked otherwise.
        if ownGrid || probe != nil || interval != nil || rtt != nil || loss != nil {
            spec.interval = interval ?? [0]
            spec.rtt = rtt ?? [0]
            spec.loss = loss ?? [0]
            spec.linkSleep = nil
        }
        if let linkSleep { spec.linkSleep = linkSleep }
        if let repeats { spec.repeats = repeats }
        spec.jobs = jobs ?? SweepSpec.defaultJobs(sleeps: spec.sleep)
        if let timeoutNs { spec.timeoutNs = timeoutNs }
        if let name { spec.name = name }
        if let order { spec.order = order }
        if let seed { spec.seed = seed }
        return spec
    }

    /// Sets one key from its text form: a comma-separated list for the seven parameters and probe-sleep.
    /// `label` names the source in messages (`--sleep`, or `spec.json: key 'sleep'`).
    public mutating func set(_ key: String, _ text: String, label: String) throws(InputError) {
        switch key {
        case "transport": transport = try Self.list(text, label) { (t: String) throws(InputError) in try Transport.parse(t, name: label) }
        case "peer": peer = try Self.list(text, label) { (t: String) throws(InputError) in try PeerAction.parse(t, name: label) }
        case "sigpipe": sigpipe = try Self.list(text, label) { (t: String) throws(InputError) in try SigpipeMode.parse(t, name: label) }
        case "sleep": sleep = try Self.list(text, label) { (t: String) throws(InputError) in try DurationText.parse(t, name: label) }
        case "sends": sends = try Self.list(text, label) { (t: String) throws(InputError) in try CountText.parse(t, name: label, maximum: Limits.sends) }
        case "payload": payload = try Self.list(text, label) { (t: String) throws(InputError) in try SizeText.parse(t, name: label) }
        case "probe": probe = try Self.list(text, label) { (t: String) throws(InputError) in try Probe.parse(t, name: label) }
        case "probe-sleep": probeSleep = try Self.list(text, label) { (t: String) throws(InputError) in try DurationText.parse(t, name: label) }
        case "interval": interval = try Self.list(text, label) { (t: String) throws(InputError) in try DurationText.parse(t, name: label) }
        case "rtt": rtt = try Self.list(text, label) { (t: String) throws(InputError) in try RttText.parse(t, name: label) }
        case "loss": loss = try Self.list(text, label) { (t: String) throws(InputError) in try LossText.parse(t, name: label) }
        case "link-sleep": linkSleep = try Self.list(text, label) { (t: String) throws(InputError) in try DurationText.parse(t, name: label) }
        case "repeat": repeats = try CountText.parse(text, name: label, maximum: Limits.repeats)
        case "jobs": jobs = try CountText.parse(text, name: label, maximum: Limits.jobs)
        case "timeout": timeoutNs = try DurationText.parseTimeout(text, name: label)
        case "name": name = try Self.name(text, label)
        case "order": order = try RunOrder.parse(text, name: label)
        case "seed": seed = try Self.seed(text, label)
        default:
            throw InputError("\(label): unknown key; accepted: \(SweepSpec.keys.joined(separator: ", "))")
        }
    }

    package static func list<T: Hashable>(_ text: String, _ label: String, _ parse: (String) throws(InputError) -> T) throws(InputError) -> [T] {
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingSpaces() }
        guard !items.contains(where: \.isEmpty) else {
            throw InputError("\(label): empty value in '\(text)'; accepted: a comma-separated list of values")
        }
        var values: [T] = []
        var seen: Set<T> = []
        for item in items {
            let value = try parse(item)
            if seen.insert(value).inserted { values.append(value) }
        }
        return values
    }

    /// A name goes into one-line summaries, Markdown titles and shell commands: printable text only.
    package static func name(_ text: String, _ label: String) throws(InputError) -> String {
        let accepted = "accepted: 1 to \(Limits.nameCharacters) characters without control characters"
        guard !text.isEmpty, text.count <= Limits.nameCharacters else {
            throw InputError("\(label): a name of \(text.count) characters; \(accepted)")
        }
        guard !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw InputError("\(label): the name holds a control character (such as a newline or tab); \(accepted)")
        }
        return text
    }

    package static func seed(_ text: String, _ label: String) throws(InputError) -> UInt64 {
        let accepted = "accepted: a whole number from 0 to \(UInt64.max)"
        let trimmed = text.trimmingSpaces()
        if trimmed.hasPrefix("-") { throw InputError("\(label): '\(text)' is negative; \(accepted)") }
        guard !trimmed.isEmpty, trimmed.allSatisfy(\.isASCIIDigit) else {
            throw InputError("\(label): '\(text)' is not a whole number; \(accepted)")
        }
        guard let value = UInt64(trimmed) else { throw InputError("\(label): '\(text)' is out of range; \(accepted)") }
        return value
    }
}
