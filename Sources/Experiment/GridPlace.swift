import Foundation

/// Where a cell stands in a sweep's grid: what a report or terminal draws for it when no run of it
/// is recorded. Charts and matrices take it from here, so that every view marks cells alike.
public enum GridPlace: Equatable, Sendable {
    /// In the grid: the sweep was to run it.
    case cell
    /// The grid asked for it, but the combination cannot exist (a rule of `Dimensions.impossible`): why.
    case impossible(String)
    /// The grid never had it (a value the spec does not list, or a sleep a probe or link does not take).
    case outside
}

extension SweepSpec {
    /// The place of `scenario` in this spec's grid, decided from the table alone: each dimension's
    /// value is among the spec's, the sleep is one its probe and network take, and no rule forbids it.
    public func place(of scenario: Scenario) -> GridPlace {
        guard Dimensions.all.allSatisfy({ self[$0].contains($0.value(of: scenario)) }),
              sleeps(for: scenario.probe, network: scenario.network).contains(scenario.sleepNs) else { return .outside }
        if let reason = scenario.impossibility?.reason { return .impossible(reason) }
        return .cell
    }

    /// The stored spec of a sweep (`sweeps.spec`); nil for one that does not parse.
    public static func stored(_ json: String) -> SweepSpec? {
        (try? SpecFile.parse(Data(json.utf8), source: "stored spec"))?.applied(to: .builtIn)
    }
}
