import PipeLabStore
import PipeLabExperiment

/// Two sweeps cell by cell, each cell present in both judged by a test on its signature counts
/// (README, "pipelab compare"): the model that the Markdown and JSON renderings share.
public struct SweepComparison: Sendable {
    /// Family-wise significance level over all cells of one comparison.
    public static let alpha = 0.01

    public enum Verdict: String, Sendable {
        /// One signature in every run of both sweeps (or A and B are one sweep).
        case same
        /// p at or below the threshold.
        case differs
        /// Runs disagree, but too few repeats for any split of them to reach the threshold.
        case notEnoughRepeats = "not-enough-repeats"
        /// Runs disagree, the test could have reached the threshold, and did not.
        case noSignificantDifference = "no-significant-difference"
        case onlyInA = "only-in-a"
        case onlyInB = "only-in-b"
        /// In both sweeps, but the machine disturbed every run of it in one: nothing to compare.
        case allDisturbed = "all-disturbed"
    }

    public struct SignatureCount: Sendable, Equatable {
        public var signature: String
        public var a: Int
        public var b: Int
    }

    public struct Cell: Sendable {
        public var scenario: Scenario
        /// Every signature of the cell with its runs in A and in B: most frequent first, then A's first.
        public var counts: [SignatureCount]
        public var test: ContingencyTest?
        public var verdict: Verdict

        public var runsA: Int { counts.reduce(0) { $0 + $1.a } }
        public var runsB: Int { counts.reduce(0) { $0 + $1.b } }
    }

    public var a: SweepRecord
    public var b: SweepRecord
    public var cells: [Cell]
    /// Tarone's k: the cells whose counts could reach alpha / k.
    public var testableCells: Int
    /// The p-value at or below which a cell differs: alpha / testableCells.
    public var threshold: Double
    /// The smallest n for which n runs per sweep, completely split between two signatures, reach
    /// alpha / (cells tested): the strictest threshold those cells could face, so with n runs each
    /// every one of them could be called different, however many become testable.
    public var repeatsForCompleteSplit: Int?
    /// Runs the machine disturbed in each sweep, left out of every cell's counts.
    public var disturbedA: Int
    public var disturbedB: Int

    public var sameSweep: Bool { a.uuid == b.uuid }
    public var differs: Bool { cells.contains { $0.verdict == .differs } }
    /// Cells in both sweeps that could be judged: all but those with too few repeats to tell.
    public var compared: Int { cells.count { [.same, .differs, .noSignificantDifference].contains($0.verdict) } }

    /// What `pipelab compare` exits with (documented in its help and the README).
    public enum ExitCode: Int32, Sendable {
        /// At least one cell compared, none differs significantly.
        case noDifference = 0
        /// At least one cell differs significantly.
        case differs = 1
        /// No cell could be compared: none is in both sweeps, or all have too few repeats.
        case nothingCompared = 2
    }

    public var exitCode: ExitCode { differs ? .differs : compared == 0 ? .nothingCompared : .noDifference }

    public func cells(_ verdict: Verdict) -> [Cell] { cells.filter { $0.verdict == verdict } }

    public init(a: SweepRecord, cellsA: [CellSignature], b: SweepRecord, cellsB: [CellSignature]) {
        self.a = a
        self.b = b
        let countsA = Self.counts(cellsA), countsB = Self.counts(cellsB)
        disturbedA = cellsA.reduce(0) { $0 + $1.disturbedRuns }
        disturbedB = cellsB.reduce(0) { $0 + $1.disturbedRuns }
        // A cell is in a sweep that recorded runs of it, disturbed or not.
        let inSweepA = Set(cellsA.map(\.scenario)), inSweepB = Set(cellsB.map(\.scenario))
        let order = uniqued(cellsA.map(\.scenario) + cellsB.map(\.scenario))
        let identical = a.uuid == b.uuid
        var cells = order.map { scenario in
            let inA = countsA[scenario] ?? [:], inB = countsB[scenario] ?? [:]
            let counts = Set(inA.keys).union(inB.keys).map { SignatureCount(signature: $0, a: inA[$0] ?? 0, b: inB[$0] ?? 0) }
                .sorted { ($0.a + $0.b, $0.a, $1.signature) > ($1.a + $1.b, $1.a, $0.signature) }
            let verdict: Verdict = !inSweepB.contains(scenario) ? .onlyInA : !inSweepA.contains(scenario) ? .onlyInB
                : inA.isEmpty || inB.isEmpty ? .allDisturbed : (identical || counts.count == 1) ? .same : .differs
            let test = verdict == .differs ? ContingencyTest(counts.map { (a: $0.a, b: $0.b) }) : nil
            return Cell(scenario: scenario, counts: counts, test: test, verdict: verdict)
        }
        testableCells = TaroneBonferroni.testableCount(alpha: Self.alpha, smallestPossible: cells.compactMap(\.test?.smallestPossibleP))
        threshold = Self.alpha / Double(testableCells)
        let tested = cells.count { $0.test != nil }
        repeatsForCompleteSplit = FisherExact.repeatsForCompleteSplit(threshold: Self.alpha / Double(max(1, tested)))
        for index in cells.indices {
            guard let test = cells[index].test else { continue }
            let fewest = min(cells[index].runsA, cells[index].runsB)
            if test.p <= threshold {
                cells[index].verdict = .differs
            } else if test.smallestPossibleP > threshold && fewest < (repeatsForCompleteSplit ?? Int.max) {
                cells[index].verdict = .notEnoughRepeats
            } else {
                cells[index].verdict = .noSignificantDifference
            }
        }
        self.cells = cells
    }

    /// Runs per signature per cell (a signature can appear in several rows, one per outcome),
    /// without the runs the machine disturbed: like a cell's verdict, a comparison leaves them out.
    package static func counts(_ rows: [CellSignature]) -> [Scenario: [String: Int]] {
        rows.reduce(into: [:]) { counts, row in
            let undisturbed = row.runs - row.disturbedRuns
            guard undisturbed > 0 else { return }
            counts[row.scenario, default: [:]][row.signature, default: 0] += undisturbed
        }
    }
}
