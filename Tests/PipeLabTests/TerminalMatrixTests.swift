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

    /// Marks for cells whose sweep has no grid to place them in: only recorded cells are drawn.
    static let noMarks = CellMarks(spec: nil, status: .completed, recorded: [])

    @Test func disturbedRunsAreLeftOutOfTheCellAndCountedInOneLine() {
        // 9 runs agree; the 1 other was disturbed, so the cell is `..P`, marked, and not mixed.
        let matrix = OutcomeMatrix([Self.cell("ok,ok,EPIPE", runs: 9, of: 10), Self.cell("ok,ok,ok", runs: 1, of: 10, disturbed: 1)])
        let lines = TerminalMatrix.lines(matrix, marks: Self.noMarks, width: 100)
        #expect(lines.last == "tcp4       close  ignore   ..P*")
        let legend = TerminalMatrix.legend(matrix, marks: Self.noMarks)
        #expect(legend.contains("  * = the machine disturbed 1 run in 1 cell (a late peer or pause), left out of the verdicts"))
        #expect(!legend.contains { $0.contains("disagree") })
    }

    @Test func sharesAreCountsAndPercentagesNeverClaimAllOrNothing() {
        #expect(Share.text(2, of: 3) == "2 of 3")
        #expect(Share.text(19, of: 20) == "19 of 20 (95 %)")
        #expect(Share.percent(1, of: 1000) == "<1 %")
        #expect(Share.percent(999, of: 1000) == ">99 %")
        #expect(Share.percent(0, of: 1000) == "0 %")
    }

    @Test func signaturesReadTheSameWhateverElseTheSweepHolds() {
        #expect(SignatureText.compact("ok,ok,EPIPE") == "ok,ok,EPIPE")
        let long = (["ok", "ok"] + Array(repeating: "EPIPE", count: 9998)).joined(separator: ",")
        #expect(SignatureText.compact(long) == "ok×2,EPIPE×9998")
        #expect(SignatureText.code("ok,ECONNRESET,killed:SIGPIPE") == ".RK")
        #expect(SignatureText.code("ok,ok,EPIPE+SIGPIPE") == "..P+")
        #expect(SignatureText.code("ok,short:12656,ETIMEDOUT") == ".s[ETIMEDOUT]")
        // A label depends on the signature alone, not on which others a sweep has.
        let alone = OutcomeMatrix([Self.cell("ok,ok,EPIPE", runs: 1, of: 1)])
        let crowded = OutcomeMatrix([Self.cell("ok,ok,EPIPE", runs: 1, of: 1)]
            + (1...5).map { Self.cell("ok,short:\($0),EPIPE", runs: 3, of: 3, sleepNs: Int64($0)) })
        #expect(TerminalMatrix.lines(alone, marks: Self.noMarks, width: 100).last?.hasSuffix("..P") == true)
        #expect(TerminalMatrix.lines(crowded, marks: Self.noMarks, width: 100).contains { $0.contains("..P") })
    }

    @Test func aCellWithMoreSignaturesThanALineHoldsBreaksBetweenThem() {
        let signatures = (1...30).map { "ok,E\($0)X" }
        let matrix = OutcomeMatrix(signatures.map { Self.cell($0, runs: 1, of: 30) })
        let lines = TerminalMatrix.lines(matrix, marks: Self.noMarks, width: 100)
        #expect(lines.count > 4)
        #expect(lines.allSatisfy { $0.count <= 100 && $0.last != " " })
        let shown = lines.dropFirst(2).joined(separator: " ")
        #expect(shown.components(separatedBy: "X] 1").count - 1 == 30)
    }

    @Test func signaturesThatDifferOnlyInAShortCountShareTheirCode() {
        let matrix = OutcomeMatrix([Self.cell("ok,short:12656,ECONNRESET", runs: 2, of: 3), Self.cell("ok,short:56096,ECONNRESET", runs: 1, of: 3)])
        #expect(TerminalMatrix.lines(matrix, marks: Self.noMarks, width: 100).last?.hasSuffix("ignore   .sR") == true)
    }

    /// An interrupted sweep of tcp4 and pipe with probes none and recv: recv on a pipe cannot exist
    /// (`·`), tcp4's recv cell was not reached (`-`); the probe's header names the columns apart.
    @Test func aCombinationThatCannotExistAndAMissingCellAreMarkedApart() throws {
        var overrides = SpecOverrides()
        try overrides.set("transport", "tcp4,pipe", label: "--transport")
        try overrides.set("probe", "none,recv", label: "--probe")
        let spec = overrides.applied(to: .builtIn)
        // At the run default sleep (1s), the sleep of a spec that gives none.
        var pipe = Self.cell("ok,EPIPE,EPIPE", runs: 1, of: 1, sleepNs: 1_000_000_000)
        pipe.scenario.transport = .pipe
        let recorded = [Self.cell("ok,ok,EPIPE", runs: 1, of: 1, sleepNs: 1_000_000_000), pipe]
        let marks = CellMarks(spec: spec, status: .interrupted, recorded: recorded.map(\.scenario))
        #expect(spec.place(of: recorded[0].scenario) == .cell)
        let matrix = OutcomeMatrix(recorded, laidOut: marks.unrecorded(impossible: false))
        let lines = TerminalMatrix.lines(matrix, marks: marks, width: 100)
        #expect(lines.first?.trimmingCharacters(in: .whitespaces).hasPrefix("probe  none  recv") == true, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("tcp4") && $0.contains("..P") && $0.hasSuffix(" \(CellMarks.missingSymbol)") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("pipe") && $0.contains(".PP") && $0.hasSuffix(" \(CellMarks.impossibleSymbol)") }, "\(lines)")
        let legend = TerminalMatrix.legend(matrix, marks: marks).joined(separator: "\n")
        #expect(legend.contains("\(CellMarks.impossibleSymbol) = \(CellMarks.impossibleMeaning)"))
        #expect(legend.contains("\(CellMarks.missingSymbol) = \(CellMarks.missingMeaning)"))
        // Completed, the same sweep has no missing cell: a cell without runs is not in its grid.
        let completed = CellMarks(spec: spec, status: .completed, recorded: recorded.map(\.scenario))
        #expect(completed.unrecorded(impossible: false).isEmpty)
        #expect(!TerminalMatrix.lines(matrix, marks: completed, width: 100).contains { $0.hasSuffix(" \(CellMarks.missingSymbol)") })
    }

    @Test func uuidPrefixesAreTheShortestThatTellThemApart() {
        let uuids = ["01a21608-80f0-71ed-a01c-e48353d48c7e", "01a21608-810d-78ea-9a54-d4ebf889c0fe", "01a21608-812d-7416-8d52-f32cdd7dd3b9",
                     "01a21700-0000-7000-8000-000000000000"]
        #expect(UUIDPrefix.shortestUnique(uuids) == ["01a21608-80", "01a21608-810", "01a21608-812", "01a21700"])
        #expect(UUIDPrefix.shortestUnique(["01a2160a-80f0", "01a2160a-90f0"]) == ["01a2160a-8", "01a2160a-9"])
        #expect(UUIDPrefix.shortestUnique(["01a21608-80f0"]) == ["01a21608"])
    }
}
