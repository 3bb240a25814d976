@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabReport
@testable import PipeLabWorker
import Testing

/// The tests compare relies on, against values computed elsewhere: R's / SciPy's fisher.test and
/// chi2 for 2×2 tables and chi-square tails, and exact fractions from enumerating every table with
/// Python's `fractions` for the Freeman-Halton cases (SciPy's r×c test is a permutation estimate).
@Suite struct StatisticsTests {
    static func close(_ value: Double, _ expected: Double, relative: Double = 1e-9) -> Bool {
        abs(value - expected) <= relative * abs(expected)
    }

    @Test func teaTastingTable() {
        // Fisher's lady tasting tea: 3 of 4 cups right each way, two-sided p = 34/70.
        let result = FisherExact.test([(a: 3, b: 1), (a: 1, b: 3)])
        #expect(Self.close(result.p, 17.0 / 35))
        #expect(Self.close(result.smallestPossibleP, 2.0 / 70))
    }

    static let exactCases: [([(Int, Int)], Double)] = [
        ([(10, 2), (3, 15)], 0.0005367241191434357),  // scipy.stats.fisher_exact
        ([(7, 12), (3, 0)], 0.07792207792207792),
        ([(20, 0), (0, 20)], 1.4508889103849688e-11),  // 2 / C(40, 20)
        ([(3, 0), (0, 3)], 0.1),
        ([(1, 0), (19, 20)], 1.0),
        ([(5, 0), (2, 3), (0, 4)], 1.0 / 66),  // Freeman-Halton, exact
        ([(8, 2), (1, 5), (0, 3), (4, 4)], 15959.0 / 668610),
    ]

    @Test(arguments: exactCases)
    func exactPValues(table: [(Int, Int)], expected: Double) {
        #expect(Self.close(FisherExact.test(table.map { (a: $0.0, b: $0.1) }).p, expected))
    }

    @Test func smallestPossiblePValueOfAnRByTwoTable() {
        #expect(Self.close(FisherExact.test([(a: 5, b: 0), (a: 2, b: 3), (a: 0, b: 4)]).smallestPossibleP, 0.0034965034965034965))
        #expect(Self.close(FisherExact.test([(a: 8, b: 2), (a: 1, b: 5), (a: 0, b: 3), (a: 4, b: 4)]).smallestPossibleP,
                           4.985467362637911e-08, relative: 1e-7))
        // One signature: one possible table, nothing to tell.
        #expect(FisherExact.test([(a: 4, b: 6)]) == FisherExact.Result(p: 1, smallestPossibleP: 1))
    }

    @Test func tableCountsMatchEnumeration() {
        #expect(FisherExact.tableCount([(a: 3, b: 1), (a: 1, b: 3)], limit: 100) == 5)
        #expect(FisherExact.tableCount([(a: 5, b: 0), (a: 2, b: 3), (a: 0, b: 4)], limit: 100) == 24)
        #expect(FisherExact.tableCount([(a: 5, b: 0), (a: 2, b: 3), (a: 0, b: 4)], limit: 10) == 10)
    }

    static let chiSquareCases: [(Double, Int, Double)] = [
        (3.841458820694124, 1, 0.05),  // the textbook critical values
        (9.21034037197618, 2, 0.01),
        (11.344866730144373, 3, 0.01),
        (0.5, 4, 0.9735009788392561),  // scipy.stats.chi2.sf
        (40.0, 10, 1.694474393006737e-05),
        (0.001, 1, 0.9747728793699604),
    ]

    @Test(arguments: chiSquareCases)
    func chiSquareUpperTail(x: Double, degreesOfFreedom: Int, expected: Double) {
        #expect(Self.close(ChiSquare.upperTail(x, degreesOfFreedom: degreesOfFreedom), expected, relative: 1e-8))
    }

    @Test func largeTablesUsePearsonsChiSquare() {
        // scipy.stats.chi2_contingency(correction=False): statistic 25.8156…, p 2.4785821290659434e-06.
        let test = ContingencyTest([(a: 2000, b: 2100), (a: 1500, b: 1300), (a: 500, b: 600)])
        #expect(test.method == .chiSquare)
        #expect(Self.close(test.p, 2.4785821290659434e-06, relative: 1e-8))
        #expect(ContingencyTest([(a: 20, b: 0), (a: 0, b: 20)]).method == .fisherExact)
    }

    @Test func repeatsNeededForACompleteSplit() {
        // 2 / C(2n, n): n = 4 gives 0.029, n = 5 gives 0.0079; n = 6 gives 0.0022, n = 7 gives 0.00058.
        #expect(FisherExact.repeatsForCompleteSplit(threshold: 0.01) == 5)
        #expect(FisherExact.repeatsForCompleteSplit(threshold: 0.001) == 7)
        #expect(FisherExact.repeatsForCompleteSplit(threshold: 1e-12, limit: 10) == nil)
    }

    @Test func taroneCountsOnlyCellsThatCouldReachTheThreshold() {
        #expect(TaroneBonferroni.testableCount(alpha: 0.01, smallestPossible: []) == 1)
        // k = 1: two cells could reach 0.01; k = 2: the same two could reach 0.005.
        #expect(TaroneBonferroni.testableCount(alpha: 0.01, smallestPossible: [0.1, 0.1, 1e-5, 0.004]) == 2)
        #expect(TaroneBonferroni.testableCount(alpha: 0.01, smallestPossible: [0, 0, 0]) == 3)
        #expect(TaroneBonferroni.testableCount(alpha: 0.01, smallestPossible: [1, 1, 1]) == 1)
    }
}
