import Foundation
@testable import PipeLabExperiment
@testable import PipeLabReport
@testable import PipeLabStore
import Testing

/// What a report says of a sweep over an emulated link with and without loss: the answer names the
/// network it is read at, a sleep the round trip outlasts is not counted as a race (nothing from
/// the peer can come back before the sends), a racing lossy cell is put down to the drops, the
/// "no run disturbed" line allows for runs the link decided, the losses are counted under the
/// answer, and Reproduce keeps `--capture`.
@Suite struct LossyReportTextTests {
    @Test(.timeLimit(.minutes(2))) func aLinkSweepsAnswerNamesItsNetworkAndCountsNoRaceTheRoundTripDecides() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let db = directory.appendingPathComponent("link.sqlite").path
        // At 1ms every send is made before anything can come back over 20 ms; at 50ms the RST of
        // the abortive close is back before send #2.
        let sweep = try CLI.run(["sweep", "--db", db, "--transport", "tcp4", "--peer", "linger0", "--sigpipe", "ignore",
                                 "--sleep", "1ms,50ms", "--rtt", "20ms", "--loss", "0,10%", "--repeat", "3", "--capture", "--quiet"])
        #expect(sweep.status == 0, "\(sweep.stderr)")
        let lossless = try CLIShell.sqlite3(db, """
            SELECT sleep_ns, signature, COUNT(*) FROM runs WHERE loss_percent = 0 AND peer_late = 0 GROUP BY 1, 2;
            """).stdout
        try #require(lossless.contains("1000000|ok,ok,ok|") && lossless.contains("50000000|ok,ECONNRESET,EPIPE|"), "\(lossless)")
        let data = try Store(path: db, create: false).reportData(sweepIDs: [1])
        let table = AnswerTable(data.cells)
        #expect(table.network.lossBasisPoints == 0 && table.scope.contains("rtt 20ms, no loss"), "\(table.scope)")
        #expect(table.rows.allSatisfy { $0.race == nil }, "\(table.markdown)")
        let report = try CLI.run(["report", "--db", db]).stdout
        #expect(report.contains("--capture"), "the Reproduce command drops --capture")
        // The losses counted from the packets, and against the same cells without loss.
        let counts = try CLIShell.sqlite3(db, """
            SELECT COUNT(*), SUM(EXISTS (SELECT 1 FROM packets p WHERE p.run_id = r.id AND p.lost = 1))
            FROM runs r WHERE loss_percent > 0 AND peer_late = 0;
            """).stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "|")
        try #require(counts.count == 2)
        #expect(report.contains("The link's losses: at loss 10%, \(counts[1]) of \(counts[0]) runs lost a packet, and "), "\(report)")
        if report.contains("None: in every run") {
            #expect(report.contains("or the link had dropped a packet before then"), "\(report)")
        }
    }

    /// A racing cell over a lossy link whose told runs show drops: the race is put down to them,
    /// not to a round trip the sleep covers.
    @Test func aLossyCellsRaceIsPutDownToTheDrops() {
        let ms: Int64 = 1_000_000
        let cell = Scenario(transport: .tcp4, peer: .linger0, sigpipe: .ignore, sleepNs: 50 * ms, sends: 3, payloadBytes: 5,
                            rttNs: 20 * ms, lossBasisPoints: 1_000)
        // The peer closes at `closeNs`; sends at 0 and 50 ms; `dropped` marks send #1's data lost.
        func example(closeNs: Int64, dropped: Bool, signature: [Int64]) -> CellExample {
            var steps = [Step(actor: .client, op: .send, bytes: 5, result: 5, errno: 0, sigpipe: false, startNs: 0, durationNs: 10_000, tcpState: nil),
                         Step(actor: .peer, op: .setsockopt, bytes: 0, result: 0, errno: 0, sigpipe: false, startNs: closeNs, durationNs: 10_000, tcpState: nil),
                         Step(actor: .peer, op: .close, bytes: 0, result: 0, errno: 0, sigpipe: false, startNs: closeNs + 20_000, durationNs: 10_000, tcpState: nil)]
            for (index, result) in signature.enumerated() where index > 0 {
                steps.append(Step(actor: .client, op: .send, bytes: 5, result: result, errno: result < 0 ? ECONNRESET : 0, sigpipe: false,
                                  startNs: 50 * ms + Int64(index) * 10_000, durationNs: 10_000, tcpState: nil))
            }
            steps.sort { $0.startNs < $1.startNs }
            var run = RunResult(scenario: cell, repeatIndex: 0, outcome: signature.allSatisfy { $0 > 0 } ? .ok : .error, termSignal: nil,
                                steps: steps, harnessMessage: nil, startedAt: 0, durationNs: 300 * ms)
            run.packets = [Packet(tNs: 100_000, direction: .clientToPeer, flags: "P.", seq: 1, ack: 1, length: 5, stepSeq: 1, headers: [],
                                  wireLength: 45, lost: dropped)]
            return CellExample(id: 1, run: run, runs: 1)
        }
        let text = MarkdownReport.settledRaces([cell], examples: [
            example(closeNs: 10 * ms, dropped: false, signature: [5, -1, -1]),
            example(closeNs: 250 * ms, dropped: true, signature: [5, 5, 5]),
        ])
        #expect(text.contains("the peer's ending fell between other calls from run to run (the link dropped packets in some of their runs)"), "\(text)")
        #expect(!text.contains("does not cover"), "\(text)")
    }
}
