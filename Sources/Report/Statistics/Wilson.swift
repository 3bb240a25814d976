/// The Wilson score interval for a proportion: unlike the normal approximation it stays inside
/// [0, 1] and does not collapse to a point when none or all of the runs show the outcome.
public enum Wilson {
    /// The 97.5th percentile of the standard normal distribution: a 95 % two-sided interval.
    public static let z95 = 1.959963984540054

    /// The interval for `successes` out of `trials`; nil when there are no trials.
    public static func interval(successes: Int, trials: Int, z: Double = z95) -> (low: Double, high: Double)? {
        guard trials > 0, successes >= 0, successes <= trials else { return nil }
        let n = Double(trials), p = Double(successes) / n, z2 = z * z
        let center = (p + z2 / (2 * n)) / (1 + z2 / n)
        let half = z / (1 + z2 / n) * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot()
        // At the ends the bound is exactly 0 or 1; rounding would leave it a hair inside.
        return (successes == 0 ? 0 : center - half, successes == trials ? 1 : center + half)
    }
}
