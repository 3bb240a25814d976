@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabNetwork
@testable import PipeLabReport
@testable import PipeLabStore
@testable import PipeLabSweep
@testable import PipeLabWorker
import Testing

/// The pieces of the end-of-sweep summary that real sweeps rarely reach: disturbed runs, a cell
/// with more signatures than a line holds, prefixes of UUIDs made in the same minute.
@Suite struct TerminalMatrixTests {
    static func cell(_ signature: String, runs: Int, of cellRuns: Int, disturbed: Int = 0, sleepNs: Int64 = 0) -> CellSignature {
        CellSignature(scenario: Scenario(transport: .tcp4, peer: .close, sigpipe: .ignore, sleepNs: sleepNs, sends: 3, payloadBytes: 5),
                      signature: signature, outcome: .error, runs: runs, cellRuns: cellRuns, disturbedRuns: disturbed)
    }

    @Test func disturbedRunsAreLeftOutOfTheCellAndCountedInOneLine() {
        // 9 runs agree; the 1 other was disturbed, so the cell is `A`, marked, and not mixed.
        let matrix = OutcomeMatrix([Self.cell("ok,ok,EPIPE", runs: 9, of: 10), Self.cell("ok,ok,ok", runs: 1, of: 10, disturbed: 1)])
        let lines = TerminalMatrix.lines(matrix, letters: SignatureLetters(matrix), width: 100)
        #expect(lines.last == "tcp4       close  ignore   A*")
        let legend = SweepSummary.legend(matrix)
        #expect(legend.contains("  * = the machine disturbed 1 run in 1 cell (a late peer or pause), left out of the verdicts"))
        #expect(!legend.contains { $0.contains("disagree") })
    }

    @Test func sharesRoundWithoutClaimingAllOrNothing() {
        #expect(TerminalMatrix.percent(1, of: 1000) == "<1%")
        #expect(TerminalMatrix.percent(999, of: 1000) == ">99%")
        #expect(TerminalMatrix.percent(19, of: 20) == "95%")
    }

    @Test func aCellWithMoreSignaturesThanALineHoldsBreaksBetweenThem() {
        let signatures = (1...30).map { "short:\($0),EPIPE" }
        let matrix = OutcomeMatrix(signatures.map { Self.cell($0, runs: 1, of: 30) })
        let lines = TerminalMatrix.lines(matrix, letters: SignatureLetters(matrix), width: 100)
        #expect(lines.count > 5)
        #expect(lines.allSatisfy { $0.count <= 100 && $0.last != " " })
        let shown = lines.dropFirst(4).joined(separator: " ")
        #expect(shown.contains("A 3% ·") && shown.contains("Z4 3%"))
        #expect(shown.components(separatedBy: "3%").count - 1 == 30)
    }

    @Test func aLongSignatureBreaksAfterACommaInTheLegend() {
        let signature = Array(repeating: "ok", count: 60).joined(separator: ",") + ",EPIPE"
        let legend = SweepSummary.legend(OutcomeMatrix([Self.cell(signature, runs: 1, of: 1)]))
        #expect(legend.count > 1)
        #expect(legend.allSatisfy { $0.count <= 100 })
        #expect(legend.dropLast().allSatisfy { $0.hasSuffix(",") })
        #expect(legend.map { $0.trimmingCharacters(in: .whitespaces) }.joined().hasPrefix("A = " + signature + "   (1 run in 1 cell)"))
    }

    @Test func uuidPrefixesAreTheShortestThatTellThemApart() {
        let uuids = ["01a21608-80f0-71ed-a01c-e48353d48c7e", "01a21608-810d-78ea-9a54-d4ebf889c0fe", "01a21608-812d-7416-8d52-f32cdd7dd3b9",
                     "01a21700-0000-7000-8000-000000000000"]
        #expect(UUIDPrefix.shortestUnique(uuids) == ["01a21608-80", "01a21608-810", "01a21608-812", "01a21700"])
        #expect(UUIDPrefix.shortestUnique(["01a2160a-80f0", "01a2160a-90f0"]) == ["01a2160a-8", "01a2160a-9"])
        #expect(UUIDPrefix.shortestUnique(["01a21608-80f0"]) == ["01a21608"])
    }
}
