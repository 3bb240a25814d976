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

    /// Runs whose peer the link held back by different drops (send #1's data; an ACK and the data)
    /// are one mechanism told in one section, each drop a way it went, not a section each.
    @Test func runsHeldBackByDifferentDropsShareASection() throws {
        let ms: Int64 = 1_000_000
        let cell = Scenario(transport: .tcp4, peer: .close, sigpipe: .ignore, sleepNs: 50 * ms, sends: 3, payloadBytes: 5,
                            rttNs: 20 * ms, lossBasisPoints: 1_000)
        func example(id: Int64, ackLost: Bool) -> CellExample {
            func step(_ actor: Actor, _ op: PipeLabExperiment.Operation, at ns: Int64, result: Int64, bytes: Int64) -> Step {
                Step(actor: actor, op: op, bytes: bytes, result: result, errno: 0, sigpipe: false, startNs: ns, durationNs: 10_000, tcpState: nil)
            }
            // The peer reads the retransmitted data at 300 ms, after every send.
            var steps: [Step] = [step(.client, .send, at: 0, result: 5, bytes: 5)]
            steps.append(step(.peer, .recv, at: 100_000, result: 15, bytes: 1024))
            steps.append(step(.client, .send, at: 50 * ms, result: 5, bytes: 5))
            steps.append(step(.client, .send, at: 50 * ms + 20_000, result: 5, bytes: 5))
            steps.append(step(.peer, .ioctl, at: 300 * ms, result: 0, bytes: 0))
            steps.append(step(.peer, .close, at: 300 * ms + 20_000, result: 0, bytes: 0))
            func packet(_ ns: Int64, _ flags: String, seq: Int64, length: Int64, lost: Bool) -> Packet {
                Packet(tNs: ns, direction: .clientToPeer, flags: flags, seq: seq, ack: 1, length: length, stepSeq: nil, headers: [],
                       wireLength: 40 + Int(length), lost: lost)
            }
            var packets = [packet(-20 * ms, "S", seq: 1_000, length: 0, lost: false)]
            if ackLost { packets.append(packet(-100_000, ".", seq: 1_001, length: 0, lost: true)) }
            packets.append(packet(10_000, "P.", seq: 1_001, length: 5, lost: true))
            var run = RunResult(scenario: cell, repeatIndex: 0, outcome: .ok, termSignal: nil, steps: steps, harnessMessage: nil,
                                startedAt: 0, durationNs: 400 * ms)
            run.packets = packets
            return CellExample(id: id, run: run, runs: 1)
        }
        let examples = [example(id: 1, ackLost: false), example(id: 2, ackLost: true)]
        try #require(examples.allSatisfy { RunEvidence($0.run).disturbances.contains { $0.reason == .segmentLost } })
        let sections = WhySections.sections(examples) { Explainer.explain($0, detail: .mechanism) }
        #expect(sections.count == 1, "\(sections.map(\.mechanism))")
        #expect(sections.first?.mechanism.contains("a packet the link dropped before send #2 started held the peer back") == true)
        let ways = sections.first?.variants.map(\.sentences) ?? []
        #expect(ways.count == 2, "\(ways)")
        #expect(ways.allSatisfy { $0.first?.hasPrefix("The link dropped ") == true && $0.first?.contains("data before send #2 started") == true }, "\(ways)")
    }

    /// Why racing cells differ: a lossy cell whose told runs show drops is put down to the link,
    /// whatever its sleep (a 1ms cell over a lossy 20 ms link was put down to the kernel's timing);
    /// a sleep under 1 ms overlaps the peer's ending; the rest are told as longer sleeps.
    @Test func racingCellsArePutDownToTheirCause() {
        let ms: Int64 = 1_000_000
        func cell(sleep: Int64, rtt: Int64, loss: Int) -> Scenario {
            Scenario(transport: .tcp4, peer: .linger0, sigpipe: .ignore, sleepNs: sleep, sends: 3, payloadBytes: 5, rttNs: rtt, lossBasisPoints: loss)
        }
        func example(_ scenario: Scenario, dropped: Bool) -> CellExample {
            var run = RunResult(scenario: scenario, repeatIndex: 0, outcome: .ok, termSignal: nil, steps: [], harnessMessage: nil,
                                startedAt: 0, durationNs: 100 * ms)
            run.packets = [Packet(tNs: 0, direction: .clientToPeer, flags: "P.", seq: 1, ack: 1, length: 5, stepSeq: nil, headers: [],
                                  wireLength: 45, lost: dropped)]
            return CellExample(id: 1, run: run, runs: 1)
        }
        let lossy = cell(sleep: 50 * ms, rtt: 20 * ms, loss: 1_000), undropped = cell(sleep: 60 * ms, rtt: 20 * ms, loss: 1_000)
        let lossyShort = cell(sleep: 1 * ms, rtt: 20 * ms, loss: 1_000), loopback = cell(sleep: 100_000, rtt: 0, loss: 0)
        let settled = cell(sleep: 50 * ms, rtt: 20 * ms, loss: 0)
        let causes = RaceCauses([lossy, undropped, lossyShort, loopback, settled],
                                examples: [example(lossy, dropped: true), example(undropped, dropped: false), example(lossyShort, dropped: true),
                                           example(settled, dropped: false)])
        #expect(causes.lossy == [lossy, lossyShort])
        #expect(causes.short == [loopback])
        #expect(causes.settled == [undropped, settled])
    }

    /// Two mechanisms told in the very same cells do not share a heading.
    @Test func mechanismsInTheSameCellsHaveHeadingsOfTheirOwn() {
        let cell = Scenario(transport: .tcp4, peer: .close, sigpipe: .ignore, sleepNs: 50_000_000, sends: 3, payloadBytes: 5,
                            rttNs: 20_000_000, lossBasisPoints: 2_000)
        let sections = ["The peer ended first; no RST came back.", "The peer ended first; the link dropped its RST."].map {
            WhySections.Section(mechanism: $0, signatures: [("ok,ok,ok", 1)], cells: [cell], variants: [])
        }
        let headings = WhySections.markdown(sections, in: [cell, Scenario.classic], spec: nil).split(separator: "\n").filter { $0.hasPrefix("### ") }
        #expect(headings.count == 2 && Set(headings.map { $0.dropFirst(7) }).count == 2, "\(headings)")
    }
}
