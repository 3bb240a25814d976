/// Bonferroni's correction for many cells, refined for discrete tests by Tarone (1990, "A modified
/// Bonferroni method for discrete data", Biometrics 46:515–522): a cell whose margins cannot
/// produce a p-value at or below the per-cell threshold can never be called different, so it is
/// not counted. The count k is the smallest k with at most k cells able to reach alpha / k; each
/// cell is then held to alpha / k, which keeps the family-wise error rate at most alpha.
public enum TaroneBonferroni {
    /// k for cells whose smallest possible p-values are `smallestPossible`; at least 1.
    public static func testableCount(alpha: Double, smallestPossible: [Double]) -> Int {
        var k = 1
        while smallestPossible.count(where: { $0 <= alpha / Double(k) }) > k { k += 1 }
        return k
    }
}
