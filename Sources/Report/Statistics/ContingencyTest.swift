import PipeLabExperiment

/// The test compare runs on one cell: signature counts in A and B. Exact (Fisher, Freeman-Halton)
/// whenever the tables with the observed margins can be enumerated quickly; Pearson's chi-square
/// beyond that, where the counts are large (hundreds of repeats and three or more signatures).
public struct ContingencyTest: Sendable, Equatable {
    public enum Method: String, Sendable {
        case fisherExact = "fisher-exact"
        case chiSquare = "chi-square"
    }

    public var method: Method
    /// Two-sided p-value.
    public var p: Double
    /// The smallest p-value these margins allow; 0 for chi-square, whose large counts allow
    /// practically any p-value (so such a cell always counts as testable, the cautious choice).
    public var smallestPossibleP: Double

    /// Beyond this many tables, chi-square (the Markdown report's method paragraph names it).
    public static let exactTableLimit = 100_000

    public init(_ rows: [(a: Int, b: Int)]) {
        if FisherExact.tableCount(rows, limit: Self.exactTableLimit + 1) <= Self.exactTableLimit {
            let exact = FisherExact.test(rows)
            self.init(method: .fisherExact, p: exact.p, smallestPossibleP: exact.smallestPossibleP)
        } else {
            self.init(method: .chiSquare, p: ChiSquare.test(rows), smallestPossibleP: 0)
        }
    }

    package init(method: Method, p: Double, smallestPossibleP: Double) {
        self.method = method
        self.p = p
        self.smallestPossibleP = smallestPossibleP
    }
}
