@testable import PipeLabExperiment
@testable import PipeLabReport
import Testing

/// What Why says of a captured run over a lossy link in which every send succeeded although the
/// peer ended the connection first: a dropped RST is named only where it decided the run, that is
/// where it would have reached our socket (half a round trip after the link took it) before the
/// last send began. The runs are built from steps and packets, so only the wording is under test;
/// LinkTruthTests checks lossy runs against the kernel.
@Suite struct DroppedRSTWordingTests {
    static let ms: Int64 = 1_000_000
    static let scenario = Scenario(transport: .tcp4, peer: .linger0, sigpipe: .ignore, sleepNs: 40 * ms, sends: 3, payloadBytes: 5,
                                   rttNs: 20 * ms, lossBasisPoints: 1_000)

    /// A linger0 run: send #1 at 0, the peer's abortive close at 10 ms, sends #2 and #3 at 40 ms, all whole;
    /// the peer's RST left at `rstLeftNs` and was dropped, and the RST answering send #2 arrived at 60 ms.
    static func run(rstLeftNs: Int64, laterRST: Bool = true) -> RunResult {
        func step(_ actor: Actor, _ op: Operation, at ns: Int64, result: Int64 = 0, bytes: Int64 = 0) -> Step {
            Step(actor: actor, op: op, bytes: bytes, result: result, errno: 0, sigpipe: false, startNs: ns, durationNs: 10_000, tcpState: nil)
        }
        let steps = [
            step(.client, .send, at: 0, result: 5, bytes: 5),
            step(.peer, .recv, at: 100_000, result: 5, bytes: 1024),
            step(.peer, .ioctl, at: 10 * ms),
            step(.peer, .setsockopt, at: 10 * ms + 20_000),
            step(.peer, .close, at: 10 * ms + 40_000),
            step(.client, .send, at: 40 * ms, result: 5, bytes: 5),
            step(.client, .send, at: 40 * ms + 20_000, result: 5, bytes: 5),
        ]
        func packet(_ ns: Int64, _ direction: Packet.Direction, _ flags: String, lost: Bool = false) -> Packet {
            Packet(tNs: ns, direction: direction, flags: flags, seq: 1, ack: 1, length: 0, stepSeq: nil, headers: [], wireLength: 40, lost: lost)
        }
        let packets = [
            packet(0, .clientToPeer, "S"), packet(20 * ms, .peerToClient, "S."), packet(20 * ms, .clientToPeer, "."),
            packet(rstLeftNs, .peerToClient, "R.", lost: true),
        ] + (laterRST ? [packet(60 * ms, .peerToClient, "R")] : [])
        var run = RunResult(scenario: scenario, repeatIndex: 0, outcome: .ok, termSignal: nil, steps: steps,
                            harnessMessage: nil, startedAt: 0, durationNs: 70 * ms)
        run.packets = packets
        return run
    }

    @Test func aDroppedRSTThatWouldHaveComeInTimeIsNamed() {
        // Left at 10 ms, it would have reached our socket at 20 ms, before sends #2 and #3 at 40 ms.
        let text = Explainer.explain(Self.run(rstLeftNs: 10 * Self.ms + 50_000), detail: .mechanism).joined(separator: " ")
        #expect(text.contains("the link dropped its RST, and the next RST, answering data we sent later, reached our socket only after the last send had begun"), "\(text)")
        let told = Explainer.explain(Self.run(rstLeftNs: 10 * Self.ms + 50_000)).joined(separator: " ")
        #expect(told.contains("send #2 succeeded although the peer had already ended the connection: the link dropped its RST"), "\(told)")
    }

    @Test func aDroppedRSTThatWouldHaveComeTooLateIsNotTheCause() {
        // Left at 35 ms, it would have come at 45 ms, after the last send began at 40 ms: the drop changed nothing.
        let text = Explainer.explain(Self.run(rstLeftNs: 35 * Self.ms), detail: .mechanism).joined(separator: " ")
        #expect(!text.contains("the link dropped"), "\(text)")
        // And in the per-send lines `pipelab run` prints.
        let told = Explainer.explain(Self.run(rstLeftNs: 35 * Self.ms)).joined(separator: " ")
        #expect(!told.contains("the link dropped"), "\(told)")
        #expect(text.contains("its RST reached our socket only after the last send had begun (over the link's round trip)"), "\(text)")
        // With no RST after it, the run reads as one in which none came in time.
        let none = Explainer.explain(Self.run(rstLeftNs: 35 * Self.ms, laterRST: false), detail: .mechanism).joined(separator: " ")
        #expect(!none.contains("the link dropped") && none.contains("its RST had not reached our socket when the run ended"), "\(none)")
    }
}
