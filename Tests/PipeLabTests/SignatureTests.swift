@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabReport
@testable import PipeLabStore
@testable import PipeLabSweep
@testable import PipeLabWorker
import Testing

@Suite struct SignatureTests {
    func send(_ result: Int64?, bytes: Int64 = 5, errno: Int32 = 0, sigpipe: Bool = false) -> Step {
        Step(actor: .client, op: .send, bytes: bytes, result: result, errno: errno, sigpipe: sigpipe,
             startNs: 0, durationNs: result == nil ? nil : 1, tcpState: nil)
    }

    func run(_ outcome: Outcome, _ steps: [Step], signal: Int32? = nil) -> RunResult {
        RunResult(scenario: .classic, repeatIndex: 0, outcome: outcome, termSignal: signal, steps: steps,
                  harnessMessage: nil, startedAt: 0, durationNs: 0)
    }

    @Test func tokensFollowTheGrammar() {
        #expect(run(.error, [send(5), send(5), send(-1, errno: 32)]).signature == "ok,ok,EPIPE")
        #expect(run(.error, [send(5), send(-1, errno: 104), send(-1, errno: 32, sigpipe: true)]).signature == "ok,ECONNRESET,EPIPE+SIGPIPE")
        #expect(run(.ok, [send(65536, bytes: 65536), send(4096, bytes: 65536)]).signature == "ok,short:4096")
        #expect(run(.killed, [send(5), send(5), send(nil, sigpipe: true)], signal: 13).signature == "ok,ok,killed:SIGPIPE")
        #expect(run(.timeout, [send(5), send(nil)]).signature == "ok,timeout")
        #expect(run(.harnessError, []).signature == "harness-error")
    }

    @Test func firstFailingSendCountsShortAndFatalCalls() {
        #expect(run(.ok, [send(5), send(3)]).firstFailingSend == 2)
        #expect(run(.killed, [send(5), send(nil)], signal: 13).firstFailingSend == 2)
        #expect(run(.ok, [send(5)]).firstFailingSend == nil)
    }

    @Test func parseReadsBackEveryToken() {
        #expect(Signature.parse("ok,short:12+SIGPIPE,ECONNRESET,EPIPE+SIGPIPE,killed:SIGPIPE") == [
            .ok(sigpipe: false), .short(bytes: 12, sigpipe: true), .errno(name: "ECONNRESET", sigpipe: false),
            .errno(name: "EPIPE", sigpipe: true), .killed(signal: "SIGPIPE"),
        ])
        #expect(Signature.parse("ok,timeout") == [.ok(sigpipe: false), .timeout])
        #expect(Signature.parse("killed:SIGPIPE,ok") == nil)
        #expect(Signature.parse("") == nil)
        #expect(Signature.parse("fine") == nil)
    }
}
