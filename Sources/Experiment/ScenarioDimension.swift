import PipeLabKernel

/// A value of one dimension as the table handles it without knowing its type: an enumerated value
/// by its name, a quantity by its whole number in the dimension's unit (ns, bytes, basis points).
public enum DimensionValue: Hashable, Sendable {
    case name(String)
    case number(Int64)
}

/// How a dimension's value sits in its database column.
public enum StoredValue: Equatable, Sendable, CustomStringConvertible {
    case text(String)
    case integer(Int64)
    case real(Double)

    public var description: String {
        switch self {
        case .text(let text): "'\(text)'"
        case .integer(let number): String(number)
        case .real(let number): String(number)
        }
    }
}

/// One parameter of the experiment and everything pipelab does with it: how users write it
/// (flag, spec key), how it is stored (column), shown (formatter, axis label) and sent to a
/// worker, its `pipelab run` default and the built-in grid's values. `Dimensions.all` is the table.
/// A class: the sweep's hot path walks the table several times a run, and copying a struct of
/// fourteen closures and its strings retained each of them (measured: 4 % of a zero-sleep sweep's CPU).
public final class ScenarioDimension: Sendable, Identifiable {
    public enum ColumnType: String, Sendable { case text = "TEXT", integer = "INTEGER", real = "REAL" }
    /// Whether the grid expands the dimension per combination (the outer loops), or per cell
    /// within one (sleep, sends, payload: the sleeps a combination takes may be a subset).
    public enum GridLevel: Sendable { case combination, cell }
    /// How a compact cell label (`tcp4/close/ignore/1s/3/5/recv/rtt 20ms`) shows the dimension.
    public enum LabelForm: Sendable { case always, valueUnlessDefault, namedUnlessDefault }

    /// The flag (`--name`), the spec file's key and the key in JSON output.
    public let name: String
    /// The `runs` column (and of every view that lists the cell).
    public let column: String
    public let columnType: ColumnType
    /// The unit of a quantity's number ("ns", "bytes", "basis points"); nil for an enumerated one.
    public let unit: String?
    /// What the dimension is, for help texts.
    public let meaning: String
    /// What a value looks like, for help texts.
    public let accepted: String
    /// The label of a report's or terminal's axis over this dimension.
    public let axisLabel: String
    /// The enumerated values, in declared order (the order of tables and charts); nil for a quantity.
    public let choices: [String]?
    /// The single value of `pipelab run`, and of a sweep that leaves the dimension out.
    public let runDefault: DimensionValue
    /// The values of the built-in grid (`pipelab sweep` with no dimension flag).
    public let builtIn: [DimensionValue]
    public let gridLevel: GridLevel
    public let labelForm: LabelForm
    /// Whether JSON writes the value as a number (a plain count) rather than as its text.
    public let isPlainCount: Bool
    /// A quantity's values, in its unit; nil for an enumerated dimension.
    public let range: ClosedRange<Int64>?

    private let parser: @Sendable (String, String) throws(InputError) -> DimensionValue
    private let formatter: @Sendable (DimensionValue) -> String
    private let getter: @Sendable (Scenario) -> DimensionValue
    private let setter: @Sendable (inout Scenario, DimensionValue) -> Void
    private let storer: @Sendable (DimensionValue) -> StoredValue
    private let loader: @Sendable (StoredValue) -> DimensionValue?
    private let wireEncoder: @Sendable (Scenario) -> Int64
    private let wireDecoder: @Sendable (Int64, inout Scenario) -> Bool

    private init(
        name: String, column: String, columnType: ColumnType, unit: String?, meaning: String, accepted: String, axisLabel: String,
        choices: [String]?, runDefault: DimensionValue, builtIn: [DimensionValue], gridLevel: GridLevel, labelForm: LabelForm,
        isPlainCount: Bool, range: ClosedRange<Int64>?,
        parser: @escaping @Sendable (String, String) throws(InputError) -> DimensionValue,
        formatter: @escaping @Sendable (DimensionValue) -> String, getter: @escaping @Sendable (Scenario) -> DimensionValue,
        setter: @escaping @Sendable (inout Scenario, DimensionValue) -> Void, storer: @escaping @Sendable (DimensionValue) -> StoredValue,
        loader: @escaping @Sendable (StoredValue) -> DimensionValue?, wireEncoder: @escaping @Sendable (Scenario) -> Int64,
        wireDecoder: @escaping @Sendable (Int64, inout Scenario) -> Bool
    ) {
        (self.name, self.column, self.columnType, self.unit, self.meaning, self.accepted) = (name, column, columnType, unit, meaning, accepted)
        (self.axisLabel, self.choices, self.runDefault, self.builtIn) = (axisLabel, choices, runDefault, builtIn)
        (self.gridLevel, self.labelForm, self.isPlainCount, self.range) = (gridLevel, labelForm, isPlainCount, range)
        (self.parser, self.formatter, self.getter, self.setter, self.storer, self.loader) = (parser, formatter, getter, setter, storer, loader)
        (self.wireEncoder, self.wireDecoder) = (wireEncoder, wireDecoder)
    }

    public var id: String { name }
    public var flag: String { "--" + name }
    public var specKey: String { name }

    /// Parses one value as a user writes it; `label` names its source in the message.
    public func parse(_ text: String, label: String) throws(InputError) -> DimensionValue { try parser(text, label) }
    /// A comma-separated list, duplicates dropped, in the order given.
    public func parseList(_ text: String, label: String) throws(InputError) -> [DimensionValue] {
        try SpecOverrides.list(text, label) { (item: String) throws(InputError) in try parser(item, label) }
    }
    /// The canonical text, as flags, spec files, JSON and reports write it: `1s`, `64KiB`, `1%`.
    public func format(_ value: DimensionValue) -> String { formatter(value) }
    public func format(_ values: [DimensionValue]) -> String { values.map(formatter).joined(separator: ",") }
    /// The value in JSON output and stored specs.
    public func json(_ value: DimensionValue) -> JSONValue {
        if isPlainCount, case .number(let count) = value { return .int(count) }
        return .string(format(value))
    }
    public func value(of scenario: Scenario) -> DimensionValue { getter(scenario) }
    public func set(_ value: DimensionValue, in scenario: inout Scenario) { setter(&scenario, value) }
    public func stored(_ value: DimensionValue) -> StoredValue { storer(value) }
    /// The value a column holds, or nil when it is not one this dimension can take.
    public func load(_ stored: StoredValue) -> DimensionValue? { loader(stored) }
    /// The scenario's value in a worker's wire record: an enumerated value's place in declared
    /// order, a quantity's number; no string is made or compared (a sweep's hot path).
    package func wire(_ scenario: Scenario) -> Int64 { wireEncoder(scenario) }
    /// Sets the value a wire slot carries; false for a number no command line could have produced.
    package func setFromWire(_ slot: Int64, in scenario: inout Scenario) -> Bool { wireDecoder(slot, &scenario) }
    /// The value's place in the declared order (enumerated), or the number itself: for sorting axes.
    public func order(_ value: DimensionValue) -> Int64 {
        switch value {
        case .name(let name): Int64(choices?.firstIndex(of: name) ?? Int.max)
        case .number(let number): number
        }
    }

    /// `pipelab run --help`: what it is, what a value looks like, the default.
    public var runHelp: String { "\(meaning): \(accepted)." }
    /// `pipelab sweep --help`: the rule for a dimension left out, and the built-in grid's values.
    public var sweepHelp: String {
        "\(meaning), a comma-separated list (left out: \(format(runDefault)), as in `pipelab run`; with no dimension flag at all: the built-in grid's \(format(builtIn)))."
    }

    /// An enumerated dimension: stored, given and shown by its values' names.
    static func enumerated<T: ParameterValue>(
        _ type: T.Type, column: String, meaning: String, axisLabel: String, runDefault: T, builtIn: [T], labelForm: LabelForm = .always,
        get: @escaping @Sendable (Scenario) -> T, set: @escaping @Sendable (inout Scenario, T) -> Void
    ) -> ScenarioDimension {
        let cases = Array(T.allCases)
        @Sendable func typed(_ value: DimensionValue) -> T? {
            if case .name(let name) = value { return T(rawValue: name) }
            return nil
        }
        return ScenarioDimension(
            name: T.parameterName, column: column, columnType: .text, unit: nil, meaning: meaning,
            accepted: cases.map(\.rawValue).joined(separator: ", "), axisLabel: axisLabel, choices: cases.map(\.rawValue),
            runDefault: .name(runDefault.rawValue), builtIn: builtIn.map { .name($0.rawValue) }, gridLevel: .combination,
            labelForm: labelForm, isPlainCount: false, range: nil,
            parser: { (text, label) throws(InputError) in .name(try T.parse(text, name: label).rawValue) },
            formatter: { value in typed(value)?.rawValue ?? "?" },
            getter: { .name(get($0).rawValue) },
            setter: { scenario, value in if let typed = typed(value) { set(&scenario, typed) } },
            storer: { value in .text(typed(value)?.rawValue ?? "") },
            loader: { stored in
                guard case .text(let text) = stored, let value = T(rawValue: text) else { return nil }
                return .name(value.rawValue)
            },
            wireEncoder: { scenario in Int64(cases.firstIndex(of: get(scenario)) ?? -1) },
            wireDecoder: { slot, scenario in
                guard slot >= 0, slot < cases.count else { return false }
                set(&scenario, cases[Int(slot)])
                return true
            })
    }

    /// A quantity: a whole number in `unit` within `range`, stored as an INTEGER (or, for loss, a
    /// REAL percent: `stored` and `load` convert).
    static func quantity(
        _ name: String, column: String, columnType: ColumnType = .integer, unit: String, meaning: String, accepted: String,
        axisLabel: String, range: ClosedRange<Int64>, runDefault: Int64, builtIn: [Int64], gridLevel: GridLevel,
        labelForm: LabelForm = .always, isPlainCount: Bool = false,
        parse: @escaping @Sendable (String, String) throws(InputError) -> Int64, format: @escaping @Sendable (Int64) -> String,
        get: @escaping @Sendable (Scenario) -> Int64, set: @escaping @Sendable (inout Scenario, Int64) -> Void,
        stored: @escaping @Sendable (Int64) -> StoredValue = { .integer($0) },
        load: @escaping @Sendable (StoredValue) -> Int64? = { if case .integer(let n) = $0 { n } else { nil } }
    ) -> ScenarioDimension {
        @Sendable func typed(_ value: DimensionValue) -> Int64? {
            if case .number(let number) = value { return number }
            return nil
        }
        return ScenarioDimension(
            name: name, column: column, columnType: columnType, unit: unit, meaning: meaning, accepted: accepted,
            axisLabel: axisLabel, choices: nil, runDefault: .number(runDefault), builtIn: builtIn.map { .number($0) },
            gridLevel: gridLevel, labelForm: labelForm, isPlainCount: isPlainCount, range: range,
            parser: { (text, label) throws(InputError) in .number(try parse(text, label)) },
            formatter: { value in typed(value).map(format) ?? "?" },
            getter: { .number(get($0)) },
            setter: { scenario, value in if let number = typed(value) { set(&scenario, number) } },
            storer: { value in stored(typed(value) ?? 0) },
            loader: { value in load(value).flatMap { range.contains($0) ? .number($0) : nil } },
            wireEncoder: { scenario in get(scenario) },
            wireDecoder: { slot, scenario in
                guard range.contains(slot) else { return false }
                set(&scenario, slot)
                return true
            })
    }
}
