import Foundation
import PipeLabKernel

/// The order runs start in. `shuffle` spreads slow drift of the machine across the cells.
public enum RunOrder: String, ParameterValue {
    case grid, shuffle
    public static let parameterName = "order"
}

/// A whole sweep: a list of values per dimension, and how to run them. Flags, spec files and the
/// `sweeps.spec` column all use the same keys: the dimensions' names (Dimensions.all) and the rest.
public struct SweepSpec: Equatable, Sendable {
    /// Each dimension's values by its name, every dimension present, in the order given.
    public private(set) var values: [String: [DimensionValue]]
    /// The sleeps at which probes other than none run (those of `sleep` listed here); nil: every sleep.
    public var probeSleep: [Int64]?
    /// The sleeps at which networks other than plain loopback with back-to-back sends run, with
    /// probe none only (a sub-grid, like probe-sleep); nil: every sleep and every probe.
    public var linkSleep: [Int64]?
    public var repeats: Int
    public var jobs: Int
    public var timeoutNs: Int64
    public var name: String?
    public var order: RunOrder
    public var seed: UInt64
    /// The user's own program for the cells of client `command` (`--client-cmd`).
    public var clientCommand: String?

    /// A spec whose dimensions take `values` where given and their `pipelab run` default elsewhere.
    public init(values: [String: [DimensionValue]], probeSleep: [Int64]? = nil, linkSleep: [Int64]? = nil, repeats: Int, jobs: Int,
                timeoutNs: Int64, name: String? = nil, order: RunOrder = .grid, seed: UInt64 = 1, clientCommand: String? = nil) {
        self.values = Dictionary(uniqueKeysWithValues: Dimensions.all.map { ($0.name, values[$0.name] ?? [$0.runDefault]) })
        (self.probeSleep, self.linkSleep, self.repeats, self.jobs) = (probeSleep, linkSleep, repeats, jobs)
        (self.timeoutNs, self.name, self.order, self.seed, self.clientCommand) = (timeoutNs, name, order, seed, clientCommand)
    }

    /// The values of one dimension.
    public subscript(dimension: ScenarioDimension) -> [DimensionValue] {
        get { values[dimension.name] ?? [dimension.runDefault] }
        set { values[dimension.name] = newValue }
    }

    /// The built-in grid: every dimension's built-in values (Dimensions.all), three repeats; the
    /// probes other than none at the settled 10ms sleep only, and the intervals and links at 10ms
    /// with probe none only (a union of grids). It finishes in well under a minute on two cores.
    public static let builtIn = SweepSpec(
        values: Dictionary(uniqueKeysWithValues: Dimensions.all.map { ($0.name, $0.builtIn) }),
        probeSleep: [10_000_000], linkSleep: [10_000_000], repeats: 3, jobs: defaultJobs(sleeps: [1_000_000_000]),
        timeoutNs: 5_000_000_000)

    /// Runs in flight when `--jobs` is not given. Runs that sleep cost no CPU, so a grid with
    /// sleeps of a millisecond or more keeps many runs in flight (16 per CPU, at most 64); a grid
    /// of shorter sleeps is CPU-bound and runs best with two per CPU.
    public static func defaultJobs(sleeps: [Int64]) -> Int {
        let cpus = UsableCPUs.count
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

    /// The keys a spec file may hold: the dimensions', then how the grid is cut and run.
    public static let keys = Dimensions.all.map(\.specKey) + settingKeys
    package static let settingKeys = ["probe-sleep", "link-sleep", "repeat", "jobs", "timeout", "name", "order", "seed", "client-cmd"]

    /// Canonical JSON, as stored with the sweep and accepted back by `--spec`.
    public func json() -> String {
        var members: [(String, JSONValue)] = Dimensions.all.map { dimension in
            (dimension.specKey, .array(self[dimension].map(dimension.json)))
        }
        members += [
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
        if let clientCommand { members.append(("client-cmd", .string(clientCommand))) }
        return JSONValue.object(members).text
    }
}

/// Values given on the command line or in a spec file; nil means "not given here".
public struct SpecOverrides: Sendable {
    /// The dimensions given, by name.
    public var values: [String: [DimensionValue]] = [:]
    public var probeSleep: [Int64]?
    public var linkSleep: [Int64]?
    public var repeats: Int?
    public var jobs: Int?
    public var timeoutNs: Int64?
    public var name: String?
    public var order: RunOrder?
    public var seed: UInt64?
    public var clientCommand: String?

    public init() {}

    /// The spec these values give. With no dimension given at all: `base` (the built-in grid) with
    /// the settings given here over it. With any dimension given: each dimension left out takes its
    /// single `pipelab run` default, and probe-sleep and link-sleep apply only when given.
    /// A client command with no client given asks for client `command` alone.
    public func applied(to base: SweepSpec) -> SweepSpec {
        var values = values
        if clientCommand != nil && values[Dimensions.client.name] == nil { values[Dimensions.client.name] = [.name(ClientProgram.command.rawValue)] }
        var spec = values.isEmpty ? base : SweepSpec(values: values, repeats: base.repeats, jobs: base.jobs, timeoutNs: base.timeoutNs)
        spec.clientCommand = clientCommand
        if let probeSleep { spec.probeSleep = probeSleep }
        if let linkSleep { spec.linkSleep = linkSleep }
        if let repeats { spec.repeats = repeats }
        spec.jobs = jobs ?? SweepSpec.defaultJobs(sleeps: spec.sleep)
        if let timeoutNs { spec.timeoutNs = timeoutNs }
        if let name { spec.name = name }
        if let order { spec.order = order }
        if let seed { spec.seed = seed }
        return spec
    }

    /// Sets one key from its text form: a comma-separated list for the dimensions, probe-sleep and
    /// link-sleep. `label` names the source in messages (`--sleep`, or `spec.json: key 'sleep'`).
    public mutating func set(_ key: String, _ text: String, label: String) throws(InputError) {
        if let dimension = Dimensions.named(key) {
            values[dimension.name] = try dimension.parseList(text, label: label)
            return
        }
        switch key {
        case "probe-sleep": probeSleep = try Self.list(text, label) { (t: String) throws(InputError) in try DurationText.parse(t, name: label) }
        case "link-sleep": linkSleep = try Self.list(text, label) { (t: String) throws(InputError) in try DurationText.parse(t, name: label) }
        case "repeat": repeats = try CountText.parse(text, name: label, maximum: Limits.repeats)
        case "jobs": jobs = try CountText.parse(text, name: label, maximum: Limits.jobs)
        case "timeout": timeoutNs = try DurationText.parseTimeout(text, name: label)
        case "name": name = try Self.name(text, label)
        case "order": order = try RunOrder.parse(text, name: label)
        case "seed": seed = try Self.seed(text, label)
        case "client-cmd":
            guard !text.isEmpty else { throw InputError("\(label): an empty command; accepted: a shell command line") }
            clientCommand = text
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
