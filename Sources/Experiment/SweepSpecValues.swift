/// Typed views of a spec's dimension lists, for code that works with one dimension's values
/// (the grid's sub-grids, charts). A new dimension needs none of these.
extension SweepSpec {
    public var transport: [Transport] { get { names(Dimensions.transport) } set { setNames(Dimensions.transport, newValue) } }
    public var peer: [PeerAction] { get { names(Dimensions.peer) } set { setNames(Dimensions.peer, newValue) } }
    public var sigpipe: [SigpipeMode] { get { names(Dimensions.sigpipe) } set { setNames(Dimensions.sigpipe, newValue) } }
    public var probe: [Probe] { get { names(Dimensions.probe) } set { setNames(Dimensions.probe, newValue) } }
    public var client: [ClientProgram] { get { names(Dimensions.client) } set { setNames(Dimensions.client, newValue) } }
    public var sleep: [Int64] { get { numbers(Dimensions.sleep) } set { self[Dimensions.sleep] = newValue.map { .number($0) } } }
    public var sends: [Int] { get { numbers(Dimensions.sends).map { Int($0) } } set { self[Dimensions.sends] = newValue.map { .number(Int64($0)) } } }
    public var payload: [Int64] { get { numbers(Dimensions.payload) } set { self[Dimensions.payload] = newValue.map { .number($0) } } }
    public var interval: [Int64] { get { numbers(Dimensions.interval) } set { self[Dimensions.interval] = newValue.map { .number($0) } } }
    public var rtt: [Int64] { get { numbers(Dimensions.rtt) } set { self[Dimensions.rtt] = newValue.map { .number($0) } } }
    /// In basis points (hundredths of a percent).
    public var loss: [Int] { get { numbers(Dimensions.loss).map { Int($0) } } set { self[Dimensions.loss] = newValue.map { .number(Int64($0)) } } }

    private func names<T: ParameterValue>(_ dimension: ScenarioDimension) -> [T] {
        self[dimension].compactMap { if case .name(let name) = $0 { T(rawValue: name) } else { nil } }
    }

    private mutating func setNames<T: ParameterValue>(_ dimension: ScenarioDimension, _ values: [T]) {
        self[dimension] = values.map { .name($0.rawValue) }
    }

    private func numbers(_ dimension: ScenarioDimension) -> [Int64] {
        self[dimension].compactMap { if case .number(let number) = $0 { number } else { nil } }
    }
}
