import Foundation
@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabNetwork
@testable import PipeLabReport
@testable import PipeLabStore
@testable import PipeLabSweep
@testable import PipeLabWorker
import Testing

/// `pipelab compare`, run as a user runs it, on databases recorded by real sweeps or built here
/// with exactly the signature counts a case needs (a real kernel will not change its answer on cue).
@Suite struct CompareTests {
    static func cell(_ transport: Transport, sleep: Int64) -> Scenario {
        Scenario(transport: transport, peer: .close, sigpipe: .ignore, sleepNs: sleep, sends: 3, payloadBytes: 5)
    }

    static let tcpSettled = cell(.tcp4, sleep: 10_000_000), unixSettled = cell(.unix, sleep: 10_000_000)
    static let tcpRace = cell(.tcp4, sleep: 0), unixRace = cell(.unix, sleep: 0)

    /// A database of sweeps whose runs are built from signatures like `ok,ECONNRESET,EPIPE`.
    struct Fixture {
        let path: String
        let store: Store

        init() throws {
            path = try temporaryDirectory().appendingPathComponent("compare.sqlite").path
            store = try Store(path: path, create: true)
        }

        /// Records sweep `name` (with a fixed UUID and start, for golden output): each cell with
        /// one run per signature listed.
        func record(_ name: String, uuidSuffix: Int, _ cells: [(Scenario, [String])]) throws {
            var spec = SweepSpec.builtIn
            spec.transport = uniqued(cells.map(\.0.transport))
            spec.peer = [.close]
            spec.sigpipe = [.ignore]
            spec.sleep = uniqued(cells.map(\.0.sleepNs))
            spec.sends = [3]
            spec.payload = [5]
            spec.repeats = cells.map(\.1.count).max() ?? 1
            spec.name = name
            let sweep = try store.createSweep(name: name, spec: spec.json(), commandLine: "pipelab sweep --name \(name)",
                                              plannedRuns: cells.reduce(0) { $0 + $1.1.count }, skipped: [], host: ReportTests.host, isolation: "netns")
            let runs = cells.flatMap { scenario, signatures in
                signatures.enumerated().map { Self.run(scenario, repeatIndex: $0.offset, signature: $0.element) }
            }
            try store.runWriter(sweepID: sweep.id).write(runs)
            try store.setStatus(of: sweep.id, to: .completed)
            try store.db.execute("""
                UPDATE sweeps SET uuid = '00000000-0000-4000-8000-00000000000\(uuidSuffix)',
                                  started_at = '2027-01-15T08:0\(uuidSuffix):00.000Z' WHERE id = \(sweep.id)
                """)
        }

        static let errnos = ["EPIPE": EPIPE, "ECONNRESET": ECONNRESET]

        /// A run whose client sends return the tokens of `signature` (ok or an errno name).
        static func run(_ scenario: Scenario, repeatIndex: Int, signature: String) -> RunResult {
            let tokens = signature.split(separator: ",").map(String.init)
            var steps = ReportTests.peerClose(at: 50_000)
            for (index, token) in tokens.enumerated() {
                let start = Int64(index) * 100_000 + 10_000
                steps.append(ReportTests.send(token == "ok" ? 5 : -1, errno: errnos[token] ?? 0, at: start, state: nil))
            }
            steps.sort { $0.startNs < $1.startNs }
            return RunResult(scenario: scenario, repeatIndex: repeatIndex, outcome: tokens.allSatisfy { $0 == "ok" } ? .ok : .error,
                             termSignal: nil, steps: steps, harnessMessage: nil, startedAt: 1_800_000_000, durationNs: 400_000)
        }

        func compare(_ arguments: String...) throws -> CLI.Output {
            try CLI.run(["compare"] + arguments + ["--db", path])
        }
    }

    static func repeated(_ signature: String, _ count: Int) -> [String] { Array(repeating: signature, count: count) }

    /// The visible width of each table row: Markdown escapes, code ticks and entities removed.
    static func tableRowWidths(_ markdown: String) -> [(String, Int)] {
        markdown.split(separator: "\n").filter { $0.hasPrefix("|") }.map { line in
            var visible = String(line).replacingOccurrences(of: "`", with: "")
            for (entity, character) in [("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&")] {
                visible = visible.replacingOccurrences(of: entity, with: character)
            }
            visible = visible.replacingOccurrences(of: #"\\(.)"#, with: "$1", options: .regularExpression)
            return (String(line), visible.count)
        }
    }

    @Test func twoSweepsOfASettledGridAreEqual() throws {
        let directory = try temporaryDirectory()
        for name in ["first", "second"] {
            let sweep = try CLI.run(["sweep", "--name", name, "--transport", "tcp4", "--peer", "close", "--sigpipe", "ignore",
                                     "--sleep", "100ms", "--payload", "5,64KiB", "--repeat", "5", "--quiet"], in: directory)
            #expect(sweep.status == 0, "\(sweep.stderr)")
        }
        let compare = try CLI.run(["compare", "first", "second"], in: directory)
        #expect(compare.status == 0, "\(compare.stdout)\(compare.stderr)")
        #expect(compare.stdout.contains("**2 cells compared, 0 differ significantly**; 0 with too few repeats to tell; 0 in one sweep only (A: 0, B: 0)."))
        #expect(!compare.stdout.contains("Equal"))
        for (row, width) in Self.tableRowWidths(compare.stdout) { #expect(width <= 110, "\(row)") }
    }

    @Test func aCellChangedInAllTwentyRepeatsDiffers() throws {
        let fixture = try Fixture()
        try fixture.record("before", uuidSuffix: 1, [(Self.tcpSettled, Self.repeated("ok,ok,EPIPE", 20)),
                                                     (Self.unixSettled, Self.repeated("ok,EPIPE,EPIPE", 20))])
        try fixture.record("after", uuidSuffix: 2, [(Self.tcpSettled, Self.repeated("ok,ECONNRESET,EPIPE", 20)),
                                                    (Self.unixSettled, Self.repeated("ok,EPIPE,EPIPE", 20))])
        let output = try fixture.compare("before", "after")
        #expect(output.status == 1, "\(output.stderr)")
        #expect(output.stderr.isEmpty)
        #expect(output.stdout.contains("**2 cells compared, 1 differ significantly**"))
        // The changed cell, its counts as a table of signatures × {A, B}, and p = 2 / C(40, 20).
        #expect(output.stdout.contains("## Cells that differ"))
        // Signatures are written as themselves, as in the report and the terminal, never as keys numbered per comparison.
        #expect(output.stdout.contains("| tcp4/close/ignore/10ms/3/5 | `ok,ok,EPIPE` | 20/20 | 0/20 | 1.45e-11 |\n|  | `ok,ECONNRESET,EPIPE` | 0/20 | 20/20 |  |"))
    }

    @Test func threeAgainstThreeIsNotEnoughRepeatsToTellAndComparesNothing() throws {
        let fixture = try Fixture()
        try fixture.record("a", uuidSuffix: 1, [(Self.tcpRace, Self.repeated("ok,ok,ok", 3))])
        try fixture.record("b", uuidSuffix: 2, [(Self.tcpRace, Self.repeated("ok,ok,EPIPE", 3))])
        let output = try fixture.compare("a", "b")
        #expect(output.status == 2, "\(output.stderr)")
        #expect(output.stdout.contains("**0 cells compared, 0 differ significantly**; 1 with too few repeats to tell; 0 in one sweep only (A: 0, B: 0). No cell could be compared: these cells have 3 runs each in A and 3 in B (undisturbed)."))
        #expect(output.stdout.contains("## Not enough repeats to tell"))
        // A complete 3/3 split has p = 2 / C(6, 3) = 0.1; 5 runs per side bring it to 2 / 252 ≤ 0.01.
        #expect(output.stdout.contains("| tcp4/close/ignore/0/3/5 | `ok,ok,ok` | 3/3 | 0/3 | 0.1 |"))
        #expect(output.stdout.contains("With 5 runs in each, a complete split (every run one signature in A, another in B) would reach p ≤ 0.01/1"))
        #expect(output.stdout.contains("rerun both with `--repeat 5` or more"))
    }

    @Test func thirtyAgainstThreeAdvisesRepeatsForTheSideWithFewer() throws {
        let fixture = try Fixture()
        try fixture.record("many", uuidSuffix: 1, [(Self.tcpRace, Self.repeated("ok,ok,ok", 20) + Self.repeated("ok,ok,EPIPE", 10)),
                                                   (Self.tcpSettled, Self.repeated("ok,ok,EPIPE", 30))])
        try fixture.record("few", uuidSuffix: 2, [(Self.tcpRace, Self.repeated("ok,ok,ok", 2) + ["ok,ok,EPIPE"]),
                                                  (Self.tcpSettled, Self.repeated("ok,ok,EPIPE", 3))])
        let output = try fixture.compare("many", "few")
        #expect(output.status == 0, "one cell compared, none differs: \(output.stdout)")
        #expect(output.stdout.contains("**1 cell compared, 0 differ significantly**; 1 with too few repeats to tell"))
        #expect(output.stdout.contains("these cells have 30 runs each in A and 3 in B (undisturbed)."))
        // 20 and 10 in A against n runs all `ok,ok,EPIPE` in B: the fewest n that reaches p ≤ 0.01.
        let advice = try #require(output.stdout.firstMatch(of: /rerun B with `--repeat (\d+)`/)).1
        let needed = try #require(Int(advice))
        #expect(ContingencyTest([(a: 20, b: 0), (a: 10, b: needed)]).p <= 0.01)
        #expect(ContingencyTest([(a: 20, b: 0), (a: 10, b: needed - 1)]).p > 0.01)
        #expect(!output.stdout.contains("rerun both"))
    }

    @Test func disjointSweepsCompareNothingAndExitTwo() throws {
        let fixture = try Fixture()
        try fixture.record("tcp", uuidSuffix: 1, [(Self.tcpSettled, Self.repeated("ok,ok,EPIPE", 5))])
        try fixture.record("unix", uuidSuffix: 2, [(Self.unixSettled, Self.repeated("ok,EPIPE,EPIPE", 5))])
        let output = try fixture.compare("tcp", "unix")
        #expect(output.status == 2, "\(output.stderr)")
        #expect(output.stdout.contains("**0 cells compared, 0 differ significantly**; 0 with too few repeats to tell; 2 in one sweep only (A: 1, B: 1). No cell could be compared."))
        let json = try fixture.compare("tcp", "unix", "--format", "json")
        #expect(json.status == 2)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["verdict"] as? String == "nothing-compared")
    }

    @Test func aSweepComparedWithItselfSaysSo() throws {
        let fixture = try Fixture()
        try fixture.record("only", uuidSuffix: 1, [(Self.tcpRace, ["ok,ok,ok", "ok,ok,EPIPE"])])
        let output = try fixture.compare("only", "1")
        #expect(output.status == 0)
        #expect(output.stdout.contains("**Same sweep**: A and B are both sweep 1 (`00000000-0000-4000-8000-000000000001`)"))
        let json = try fixture.compare("only", "only", "--format", "json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["same_sweep"] as? Bool == true)
        #expect(object["verdict"] as? String == "no-difference")
    }

    /// A comparison with every kind of cell: one that differs, a race with too few repeats, a race
    /// with enough and no significant difference, and cells in one sweep only.
    static func everyKindOfCell() throws -> Fixture {
        let fixture = try Fixture()
        try fixture.record("monday", uuidSuffix: 1, [
            (tcpSettled, repeated("ok,ok,EPIPE", 12)),
            (tcpRace, repeated("ok,ok,ok", 7) + repeated("ok,ok,EPIPE", 5)),
            (unixRace, repeated("ok,EPIPE,EPIPE", 2)),
            (unixSettled, repeated("ok,EPIPE,EPIPE", 12)),
        ])
        try fixture.record("tuesday", uuidSuffix: 2, [
            (tcpSettled, repeated("ok,ECONNRESET,EPIPE", 12)),
            (tcpRace, repeated("ok,ok,ok", 6) + repeated("ok,ok,EPIPE", 6)),
            (unixRace, repeated("ok,ok,EPIPE", 2)),
        ])
        return fixture
    }

    @Test func markdownMatchesGoldenFileAndFitsGitHubsColumn() throws {
        let output = try Self.everyKindOfCell().compare("monday", "tuesday")
        #expect(output.status == 1)
        try ReportTests().expectGolden(output.stdout, "compare.md")
        for section in ["## Cells that differ", "## Not enough repeats to tell", "## Disagreeing runs without a significant difference",
                        "## Cells only in A", "## Legend"] {
            #expect(output.stdout.contains(section))
        }
        let widths = Self.tableRowWidths(output.stdout)
        #expect(widths.count > 20)
        for (row, width) in widths { #expect(width <= 110, "\(row)") }
    }

    @Test func jsonParsesAndCarriesTheVerdicts() throws {
        let output = try Self.everyKindOfCell().compare("monday", "tuesday", "--format", "json")
        #expect(output.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        #expect(object["verdict"] as? String == "different")
        #expect(object["same_sweep"] as? Bool == false)
        let test = try #require(object["test"] as? [String: Any])
        #expect(test["alpha"] as? Double == 0.01)
        let cells = try #require(object["cells"] as? [[String: Any]])
        let verdicts = Dictionary(uniqueKeysWithValues: cells.compactMap { cell in
            (cell["cell"] as? String).map { ($0, cell["verdict"] as? String ?? "") }
        })
        #expect(verdicts == ["tcp4/close/ignore/10ms/3/5": "differs", "tcp4/close/ignore/0/3/5": "no-significant-difference",
                             "unix/close/ignore/0/3/5": "not-enough-repeats", "unix/close/ignore/10ms/3/5": "only-in-a"])
        let changed = try #require(cells.first { $0["verdict"] as? String == "differs" })
        let p = try #require(changed["p_value"] as? Double)
        #expect(abs(p - 2.0 / 2_704_156) < 1e-15)  // 2 / C(24, 12)
        #expect(changed["method"] as? String == "fisher-exact")
        let signatures = try #require(changed["signatures"] as? [[String: Any]])
        #expect(signatures.count == 2 && signatures.allSatisfy { ($0["a"] as? Int ?? 0) + ($0["b"] as? Int ?? 0) == 12 })
        #expect(cells.first { $0["verdict"] as? String == "only-in-a" }?["p_value"] is NSNull)
    }

    @Test(arguments: [["monday", "nosuch"], ["monday", "tuesday", "--format", "xml"]])
    func badInputExits64WithOneLine(arguments: [String]) throws {
        let fixture = try Self.everyKindOfCell()
        let output = try CLI.run(["compare"] + arguments + ["--db", fixture.path])
        #expect(output.status == 64)
        #expect(output.stdout.isEmpty)
        #expect(output.stderr.split(separator: "\n").count == 1, "\(output.stderr)")
    }
}

/// A comparison counts what a cell's verdict counts: runs the machine disturbed are left out.
@Suite struct CompareCountTests {
    @Test func disturbedRunsAreLeftOut() {
        let cell = Scenario.classic
        let rows = [
            CellSignature(scenario: cell, signature: "ok,ok,EPIPE", outcome: .error, runs: 5, cellRuns: 7, disturbedRuns: 0),
            CellSignature(scenario: cell, signature: "ok,ok,ok", outcome: .ok, runs: 2, cellRuns: 7, disturbedRuns: 2),
        ]
        #expect(SweepComparison.counts(rows) == [cell: ["ok,ok,EPIPE": 5]])
    }
}
