/// The nearest-rank percentile's position in `count` sorted values (0-based): what the report's
/// percentiles of values in memory and of values in an index both use.
public enum NearestRank {
    public static func index(_ p: Double, count: Int) -> Int {
        let rank = Int((p / 100 * Double(count)).rounded(.up))
        return max(0, min(count - 1, rank - 1))
    }
}
