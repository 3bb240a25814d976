import Foundation
@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabReport
@testable import PipeLabStore
import Testing

/// Issue 18: over a lossy link, runs of one cell and signature can differ in what became of the
/// peer's FIN and RST. A report tells each such fate by a run of its own (`runs.link_fate`,
/// migration 17), counted apart, so that no run is told by a representative whose packets say
/// something else.
@Suite struct LinkFateTests {
    @Test(.timeLimit(.minutes(5))) func eachFateOfASignatureIsToldByARunOfItsOwn() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let db = directory.appendingPathComponent("lossy.sqlite").path
        // A shutdown(SHUT_WR) ends with a FIN that the link drops in about one run in five, while
        // every send still succeeds (the peer's socket stays open): one signature, several FIN fates.
        // A close adds RST fates (back after the last send, dropped, never provoked).
        let sweep = try CLI.run(["sweep", "--db", db, "--transport", "tcp4", "--peer", "shutdown-wr,close", "--sigpipe", "ignore",
                                 "--sleep", "100ms", "--sends", "6", "--payload", "5", "--rtt", "20ms", "--interval", "5ms",
                                 "--loss", "20%", "--repeat", "50", "--capture", "--quiet"])
        #expect(sweep.status == 0, "\(sweep.stderr)")
        let report = try CLI.run(["report", "--db", db])
        #expect(report.status == 0, "\(report.stderr)")
        let text = report.stdout.replacingOccurrences(of: "\\", with: "")

        let store = try Store(path: db, create: false)
        let runs = try Self.runs(store)
        // The fate recorded is what the run's own packets say.
        for run in runs { #expect(run.fate == RunEvidence(run.result).linkFate, "\(run.id): \(run.fate ?? "nil")") }

        // Two undisturbed shutdown-wr runs of one signature: the FIN arrived untouched in one, the link dropped it in the other.
        // (`E@1`: the peer ended it after send #1, in the sleep, as the link let it.)
        let told = runs.filter { !$0.disturbed && $0.result.scenario.peer == .shutdownWrite && $0.fate?.hasPrefix("E@1 ") == true }
        let arrived = try #require(told.first { $0.fate?.contains("F@") == true && $0.fate?.contains("F!") == false },
                                   "no run whose FIN arrived untouched")
        let dropped = try #require(told.first { $0.fate?.contains("F!") == true && $0.result.signature == arrived.result.signature },
                                   "no run of \(arrived.result.signature) whose FIN the link dropped")

        let data = try store.reportData(sweepIDs: [1])
        // Every undisturbed run is counted by exactly one example: the one of its cell, signature,
        // unread evidence and fate, and it is told as that example is.
        var counted = [Int](repeating: 0, count: data.examples.count)
        for run in runs where !run.disturbed {
            let index = try #require(data.examples.firstIndex { example in
                let e = RunEvidence(example.run)
                return example.run.scenario == run.result.scenario && example.run.signature == run.result.signature
                    && e.peerLeftUnread == RunEvidence(run.result).peerLeftUnread && e.linkFate == run.fate
            }, "run \(run.id) (\(run.fate ?? "nil")) has no example of its own")
            counted[index] += 1
            #expect(Explainer.explain(run.result, detail: .mechanism) == Explainer.explain(data.examples[index].run, detail: .mechanism),
                    "run \(run.id) is told by a run whose packets went otherwise")
        }
        #expect(counted == data.examples.map(\.runs))
        // A run the link kept from ending before send #2 is told as the link's, never as a race.
        for example in data.examples where RunEvidence(example.run).disturbances.contains(where: { $0.reason == .segmentLost }) {
            let told = Explainer.explain(example.run, detail: .mechanism).joined(separator: " ")
            #expect(!told.contains("race") && told.contains("dropped"), "\(told)")
        }

        try Self.expectEveryWayTold(text, data, runs: runs)

        // Runs without a fate beside runs with one in a group (rows an older pipelab merged in): each
        // part has its own example, and the counts still cover every undisturbed run once.
        _ = try CLIShell.sqlite3(db, "UPDATE runs SET link_fate = NULL WHERE id % 2 = 0;")
        let mixed = try Store(path: db, create: false).reportData(sweepIDs: [1])
        #expect(mixed.examples.reduce(0) { $0 + $1.runs } == runs.filter { !$0.disturbed }.count)
        #expect(mixed.examples.count > data.examples.count / 2, "\(mixed.examples.count) examples")

        // The report tells both FIN fates of that signature, each by its own run.
        let arrivedText = Explainer.explain(arrived.result, detail: .mechanism)[0]
        let droppedText = Explainer.explain(dropped.result, detail: .mechanism)[0]
        #expect(arrivedText.contains("which reached our socket and moved it to CLOSE_WAIT"), "\(arrivedText)")
        #expect(!arrivedText.contains("dropped"), "\(arrivedText)")
        #expect(droppedText.contains("the link dropped it") || droppedText.contains("the link had dropped it"), "\(droppedText)")
        // Its first sentence, which holds the FIN's fate (a later section points to an earlier one for the rest).
        for paragraph in [arrivedText, droppedText] {
            let sentence = WhySections.Said.sentences(paragraph)[0]
            #expect(text.contains(sentence), "not in the report: \(sentence)")
        }
    }

    /// Every way the runs of a Why section went is told, however few took it (a fate in fewer than
    /// a fifth of a section's runs was counted and not told): the most frequent in full, each other
    /// in a line with its runs, what sets it apart, and a run of it whose recorded steps and packets
    /// say that sentence, with the command that replays its losses by its recorded seed.
    static func expectEveryWayTold(_ text: String, _ data: ReportData, runs: [StoredRun]) throws {
        let sections = WhySections.sections(data.examples.filter { $0.run.scenario.probe == .none }) { Explainer.explain($0, detail: .mechanism) }
        let others = sections.flatMap { $0.variants.dropFirst() }
        #expect(!others.isEmpty, "over a link that drops a fifth of the packets, every section's runs went one way")
        let lines = text.split(separator: "\n").filter { $0.hasPrefix("- Also, in ") }
        #expect(lines.count == others.count, "\(lines.joined(separator: "\n"))")
        for variant in others {
            let id = variant.example.id
            let line = try #require(lines.first { $0.contains("Like run \(id),") }, "run \(id)'s way is not told")
            #expect(line.hasPrefix("- Also, in \(Plural.count(variant.runs, "run")) ("), "\(line)")
            // The sentence told, as run `id`'s own steps and packets say it.
            let run = try #require(runs.first { $0.id == id })
            #expect(!run.disturbed && WhySections.collapsed(Array(Explainer.explain(run.result, detail: .mechanism).dropFirst())) == variant.sentences)
            let told = try #require(line.firstRange(of: "): ").map { String(line[$0.upperBound...]) })
            let sentence = String(told[..<(told.range(of: " Like run ")?.lowerBound ?? told.endIndex)]).replacingOccurrences(of: "\\", with: "")
            #expect(variant.sentences.contains(sentence), "\(sentence)")
            let seed = try #require(run.lossSeed, "run \(id) over a lossy link recorded no loss seed")
            #expect(line.contains("--loss 20% --seed \(seed)` replays."), "\(line)")
        }
    }

    /// Only the captured runs are read to split the groups by fate: the query reads the partial
    /// index that holds them alone, and nothing else of the runs.
    @Test func fatesAreReadFromTheCapturedRunsAlone() throws {
        let store = try Store(path: try temporaryDirectory().appendingPathComponent("plan.sqlite").path, create: true)
        let plan = try ReportScaleTests.plan(store, Store.fateGroupQuery, [.text("[1,2]")])
        #expect(plan.contains { $0.contains("COVERING INDEX runs_by_link_fate") }, "\(plan)")
        #expect(!plan.contains { $0.contains("SCAN runs") }, "\(plan)")
    }

    /// A fate longer than the column keeps is stored as `#` and its 64-bit FNV-1a digest, which
    /// must not change: runs recorded before and after are grouped on it.
    @Test func aLongFateIsStoredAsItsDigest() {
        #expect(FNV1a.hex("".utf8) == "cbf29ce484222325")
        #expect(FNV1a.hex("foobar".utf8) == "85944171f73967e8")
        #expect(RunEvidence.bounded("E@1 F@1") == "E@1 F@1")
        #expect(RunEvidence.bounded(String(repeating: "a", count: 513)) == "#9eafab1467cb0a8c")
    }

    struct StoredRun {
        var id: Int64
        var result: RunResult
        var fate: String?
        var disturbed: Bool
        var lossSeed: Int64?
    }

    /// Every run of sweep 1 with its steps and packets, as recorded.
    static func runs(_ store: Store) throws -> [StoredRun] {
        var runs: [Int64: StoredRun] = [:]
        try store.db.prepare("""
            SELECT id, \(Dimensions.columnList()), repeat_index, outcome, term_signal, link_fate, peer_late, loss_seed FROM runs WHERE sweep_id = 1
            """).forEachRow { (row: Row) throws(StoreError) in
            let result = RunResult(scenario: try row.scenario(), repeatIndex: Int(row.int("repeat_index")), outcome: try row.decoded("outcome"),
                                   termSignal: row.optionalText("term_signal").flatMap(SignalName.number), steps: [],
                                   harnessMessage: nil, startedAt: 0, durationNs: 0)
            runs[row.int("id")] = StoredRun(id: row.int("id"), result: result, fate: row.optionalText("link_fate"),
                                            disturbed: row.int("peer_late") != 0, lossSeed: row.optionalInt("loss_seed"))
        }
        try store.db.prepare("""
            SELECT run_id, actor, op, bytes, result, errno, sigpipe, start_ns, duration_ns, tcp_state, value FROM steps ORDER BY run_id, seq
            """).forEachRow { row in
            if let step = Store.step(row, from: 1) { runs[row.int(0)]?.result.steps.append(step) }
        }
        try store.db.prepare("SELECT run_id, \(Store.packetColumns) FROM packets ORDER BY run_id, number").forEachRow { row in
            if let packet = Store.packet(row, from: 1) { runs[row.int(0)]?.result.packets.append(packet) }
        }
        return runs.values.sorted { $0.id < $1.id }
    }
}
