import Foundation
import PipeLabExperiment
import PipeLabKernel

/// Fisher's exact test for a table of counts with two columns (signatures × {A, B}); with more than
/// two rows it is the Freeman-Halton extension. Conditioned on the margins, every table with the
/// same row and column totals has a multivariate hypergeometric probability; the two-sided p-value
/// is the total probability of the tables no more likely than the observed one (R's fisher.test).
public enum FisherExact {
    /// What enumerating every table with the observed margins gives.
    public struct Result: Sendable, Equatable {
        /// The two-sided p-value of the observed table.
        public var p: Double
        /// The smallest p-value any table with these margins could have: when it is above the
        /// threshold, no outcome of these runs could have shown a difference.
        public var smallestPossibleP: Double
    }

    /// Relative tolerance for "no more likely than": tables whose probabilities differ only by
    /// rounding count as ties (R uses the same 1e-7).
    package static let tieTolerance = 1e-7

    /// How many tables share the margins of `rows` (each row: counts in A and in B), up to `limit`,
    /// so the caller can choose another method before enumerating too many.
    public static func tableCount(_ rows: [(a: Int, b: Int)], limit: Int) -> Int {
        let columnA = rows.reduce(0) { $0 + $1.a }
        // ways[s]: tables of the rows seen so far whose A column sums to s; in floating point,
        // which cannot overflow for any table pipelab records and needs only to be compared.
        var ways = [Double](repeating: 0, count: columnA + 1)
        ways[0] = 1
        for row in rows {
            let total = row.a + row.b
            var window = 0.0
            ways = (0...columnA).map { s in
                window += ways[s]
                if s - total - 1 >= 0 { window -= ways[s - total - 1] }
                return window
            }
        }
        return ways[columnA] >= Double(limit) ? limit : Int(ways[columnA].rounded())
    }

    /// The test on `rows`; rows whose counts are both 0 are ignored.
    public static func test(_ rows: [(a: Int, b: Int)]) -> Result {
        let totals = rows.map { $0.a + $0.b }.filter { $0 > 0 }
        let observed = rows.filter { $0.a + $0.b > 0 }.map(\.a)
        let columnA = observed.reduce(0, +)
        let logFactorial = LogFactorial(upTo: totals.reduce(0, +))
        func logWeight(_ column: [Int]) -> Double {
            zip(totals, column).reduce(0) { $0 + logFactorial.choose($1.0, $1.1) }
        }
        // Every column A with 0 ≤ a_i ≤ total_i and Σ a_i = columnA, as log weights; the common
        // factor 1 / C(N, columnA) cancels in the ratios below.
        var weights: [Double] = []
        var capacityAfter = [Int](repeating: 0, count: totals.count + 1)
        for index in totals.indices.reversed() { capacityAfter[index] = capacityAfter[index + 1] + totals[index] }
        func fill(_ index: Int, remaining: Int, logSoFar: Double) {
            if index == totals.count {
                weights.append(logSoFar)
                return
            }
            let low = max(0, remaining - capacityAfter[index + 1]), high = min(totals[index], remaining)
            guard low <= high else { return }
            for a in low...high {
                fill(index + 1, remaining: remaining - a, logSoFar: logSoFar + logFactorial.choose(totals[index], a))
            }
        }
        fill(0, remaining: columnA, logSoFar: 0)
        let observedLog = logWeight(observed)
        // Scale by the largest weight so exp() cannot underflow for the likely tables.
        let largest = weights.max() ?? 0, smallest = weights.min() ?? 0
        var total = 0.0, asExtreme = 0.0, tiedAtMinimum = 0.0
        for w in weights {
            let value = exp(w - largest)
            total += value
            if w <= observedLog + tieTolerance { asExtreme += value }
            if w <= smallest + tieTolerance { tiedAtMinimum += value }
        }
        guard total > 0 else { return Result(p: 1, smallestPossibleP: 1) }
        return Result(p: min(1, asExtreme / total), smallestPossibleP: min(1, tiedAtMinimum / total))
    }

    /// The smallest n for which a complete split — n runs of one signature in A, n of another in
    /// B — has p ≤ `threshold`; nil when no n up to `limit` reaches it.
    public static func repeatsForCompleteSplit(threshold: Double, limit: Int = 1_000) -> Int? {
        (1...limit).first { n in test([(a: n, b: 0), (a: 0, b: n)]).p <= threshold }
    }
}

/// log(n!) for 0 ≤ n ≤ upTo, summed once; log C(n, k) from three of them.
package struct LogFactorial {
    private var values: [Double]

    package init(upTo n: Int) {
        values = [0]
        values.reserveCapacity(n + 1)
        var sum = 0.0
        for k in stride(from: 1, through: n, by: 1) {
            sum += log(Double(k))
            values.append(sum)
        }
    }

    package func choose(_ n: Int, _ k: Int) -> Double {
        values[n] - values[k] - values[n - k]
    }
}
