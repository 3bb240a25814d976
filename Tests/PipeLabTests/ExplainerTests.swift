import Glibc
@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabNetwork
@testable import PipeLabReport
@testable import PipeLabStore
@testable import PipeLabSweep
@testable import PipeLabWorker
import Testing

/// Every token of the signature grammar gets an explanation in every scenario it can occur in;
/// the runs here are built from steps, so only the wording is under test (ExplanationTruthTests
/// checks it against the real kernel).
@Suite struct ExplainerTests {
    static func run(_ scenario: Scenario, writes: [(result: Int64?, errno: Int32, sigpipe: Bool)], outcome: Outcome,
                    signal: Int32? = nil) -> RunResult {
        var steps = [
            Step(actor: .peer, op: .recv, bytes: 1024, result: 5, errno: 0, sigpipe: false, startNs: 2_000, durationNs: 500, tcpState: nil),
            Step(actor: .peer, op: .close, bytes: 0, result: 0, errno: 0, sigpipe: false, startNs: 3_000, durationNs: 500, tcpState: nil),
        ]
        for (index, write) in writes.enumerated() {
            steps.append(Step(actor: .client, op: scenario.transport.isSocket ? .send : .write, bytes: scenario.payloadBytes,
                              result: write.result, errno: write.errno, sigpipe: write.sigpipe,
                              startNs: index == 0 ? 1_000 : 10_000_000 + Int64(index) * 1_000,
                              durationNs: write.result == nil ? nil : 500, tcpState: nil))
        }
        steps.sort { $0.startNs < $1.startNs }
        return RunResult(scenario: scenario, repeatIndex: 0, outcome: outcome, termSignal: signal, steps: steps,
                         harnessMessage: nil, startedAt: 0, durationNs: 20_000_000)
    }

    static let shapes: [(writes: [(result: Int64?, errno: Int32, sigpipe: Bool)], outcome: Outcome, signal: Int32?)] = [
        ([(5, 0, false), (5, 0, false), (-1, EPIPE, false)], .error, nil),
        ([(5, 0, false), (-1, ECONNRESET, false), (-1, EPIPE, true)], .error, nil),
        ([(3, 0, true), (-1, EPIPE, true)], .error, nil),
        ([(5, 0, false), (nil, 0, true)], .killed, SIGPIPE),
        ([(5, 0, false), (nil, 0, false)], .timeout, nil),
        ([(5, 0, false), (-1, EAGAIN, false)], .error, nil),
        ([(5, 0, false), (nil, 0, false)], .killed, SIGKILL),
    ]

    @Test func everyShapeIsExplainedInEveryScenario() {
        for transport in Transport.allCases {
            for peer in PeerAction.allCases {
                for sigpipe in SigpipeMode.allCases {
                    let scenario = Scenario(transport: transport, peer: peer, sigpipe: sigpipe, sleepNs: 10_000_000, sends: 3, payloadBytes: 5)
                    guard scenario.inapplicableReason == nil else { continue }
                    for shape in Self.shapes {
                        let paragraphs = Explainer.explain(Self.run(scenario, writes: shape.writes, outcome: shape.outcome, signal: shape.signal))
                        // The peer, then one sentence per send (a call that never returned: the ending).
                        #expect(paragraphs.count == shape.writes.count + 1)
                        #expect(paragraphs.allSatisfy { $0.count >= 15 })
                    }
                }
            }
        }
    }

    /// A close whose unread data FIONREAD could not measure (no measurement here), with no packets:
    /// only a failing send could show FIN or RST, and none failed.
    @Test func aCloseNoSendShowsIsNotToldAsShownByErrors() {
        let run = Self.run(.classic, writes: [(5, 0, false), (5, 0, false), (5, 0, false)], outcome: .ok)
        let peer = Explainer.explain(run).first ?? ""
        #expect(peer.contains("No send failed, so the run does not show which."), "\(peer)")
        #expect(!peer.contains("The errors below show which"))
    }

    @Test func aKillBySomethingElseIsNotCalledSIGPIPE() {
        let run = Self.run(.classic, writes: [(5, 0, false), (nil, 0, false)], outcome: .killed, signal: SIGKILL)
        let text = Explainer.explain(run).joined(separator: " ")
        #expect(text.contains("SIGKILL"))
        #expect(!text.contains("raised SIGPIPE"))
    }

    @Test func aHarnessErrorSaysNothingWasMeasured() {
        let run = RunResult(scenario: .classic, repeatIndex: 0, outcome: .harnessError, termSignal: nil, steps: [],
                            harnessMessage: "x", startedAt: 0, durationNs: 0)
        #expect(Explainer.explain(run).first?.contains("nothing was measured") == true)
    }
}
