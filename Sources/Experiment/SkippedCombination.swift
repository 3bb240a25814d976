/// A combination of a sweep's grid that cannot exist: the values of the dimensions each grid
/// combination fixes (`Grid.combinationDimensions`; sleep, sends and payload stay the classic
/// case's), how many cells of the grid it removed, and why.
public struct SkippedCombination: Sendable, Equatable {
    public var combination: Scenario
    public var cells: Int
    public var reason: String

    public init(_ combination: Scenario, cells: Int, reason: String) {
        (self.combination, self.cells, self.reason) = (combination, cells, reason)
    }

    /// Whether no machine could run it (`Dimensions.impossible`), rather than this one: a real
    /// client whose runtime is not installed, or a link the machine could not make (`Grid`).
    public var cannotExist: Bool { combination.impossibility != nil }

    /// `pipe close nosignal`, then the other combination dimensions that are not at their default
    /// (`probe recv`, `rtt 20ms`): as a cell label names them.
    public var label: String {
        Grid.combinationDimensions.compactMap { dimension in
            let value = dimension.value(of: combination), text = dimension.format(value)
            switch dimension.labelForm {
            case .always: return text
            case .valueUnlessDefault, .namedUnlessDefault: return value == dimension.runDefault ? nil : "\(dimension.name) \(text)"
            }
        }.joined(separator: " ")
    }
}
