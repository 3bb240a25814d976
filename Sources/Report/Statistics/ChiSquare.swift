import Foundation
import PipeLabExperiment

/// Pearson's chi-square test of independence, for tables too large to enumerate exactly.
public enum ChiSquare {
    /// The p-value of Pearson's statistic for `rows` (counts in A and in B), with
    /// (rows − 1) degrees of freedom; rows whose counts are both 0 are ignored.
    public static func test(_ rows: [(a: Int, b: Int)]) -> Double {
        let used = rows.filter { $0.a + $0.b > 0 }
        let columnA = Double(used.reduce(0) { $0 + $1.a }), columnB = Double(used.reduce(0) { $0 + $1.b })
        let total = columnA + columnB
        guard used.count > 1, columnA > 0, columnB > 0 else { return 1 }
        var statistic = 0.0
        for row in used {
            let rowTotal = Double(row.a + row.b)
            for (observed, column) in [(Double(row.a), columnA), (Double(row.b), columnB)] {
                let expected = rowTotal * column / total
                statistic += (observed - expected) * (observed - expected) / expected
            }
        }
        return upperTail(statistic, degreesOfFreedom: used.count - 1)
    }

    /// P(X ≥ x) for X ~ χ²(k): the regularized upper incomplete gamma function Q(k/2, x/2).
    public static func upperTail(_ x: Double, degreesOfFreedom k: Int) -> Double {
        RegularizedGamma.upper(Double(k) / 2, x / 2)
    }
}

/// The regularized incomplete gamma functions P(a, x) and Q(a, x) = 1 − P(a, x): the series for
/// x < a + 1, Lentz's continued fraction otherwise (Numerical Recipes §6.2), each where it
/// converges fast and without cancellation.
package enum RegularizedGamma {
    package static let epsilon = 1e-15
    package static let iterations = 10_000

    package static func upper(_ a: Double, _ x: Double) -> Double {
        guard x > 0 else { return 1 }
        return x < a + 1 ? max(0, 1 - lowerSeries(a, x)) : upperContinuedFraction(a, x)
    }

    /// P(a, x) = e^(−x) x^a / Γ(a) · Σ x^n / (a (a+1) … (a+n)).
    package static func lowerSeries(_ a: Double, _ x: Double) -> Double {
        var term = 1 / a, sum = term, denominator = a
        for _ in 0..<iterations {
            denominator += 1
            term *= x / denominator
            sum += term
            if abs(term) < abs(sum) * epsilon { break }
        }
        return sum * exp(-x + a * log(x) - lgamma(a))
    }

    /// Q(a, x) = e^(−x) x^a / Γ(a) · 1 / (x + 1 − a − 1·(1−a) / (x + 3 − a − …)).
    package static func upperContinuedFraction(_ a: Double, _ x: Double) -> Double {
        let tiny = 1e-300
        var b = x + 1 - a, c = 1 / tiny, d = 1 / b, fraction = d
        for i in 1...iterations {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            fraction *= delta
            if abs(delta - 1) < epsilon { break }
        }
        return fraction * exp(-x + a * log(x) - lgamma(a))
    }
}
