import Testing
@testable import PipeLab

/// Every case of the signature grammar gets an explanation, for every scenario it can occur in.
@Suite struct ExplainerTests {
    static let signatures = [
        "ok", "ok,ok,ok", "ok,ok,EPIPE", "ok,ok,EPIPE+SIGPIPE", "ok,ECONNRESET,EPIPE", "ok,ECONNRESET,EPIPE+SIGPIPE",
        "ok,EPIPE,EPIPE", "ok,killed:SIGPIPE", "ok,ok,killed:SIGPIPE", "ok,ECONNRESET,killed:SIGPIPE",
        "ok,short:36544,EPIPE", "short:100+SIGPIPE", "ok+SIGPIPE", "ok,ok,ECONNRESET", "ok,EAGAIN", "ok,EINTR",
        "ok,ECONNREFUSED", "ok,ENOBUFS", "ok,E999", "ok,timeout", "timeout", "ok,killed:SIGKILL", "harness-error",
    ]

    @Test(arguments: signatures)
    func everyGrammarCaseIsExplainedInEveryScenario(_ signature: String) {
        for transport in Transport.allCases {
            for peer in PeerAction.allCases {
                for sigpipe in SigpipeMode.allCases {
                    let scenario = Scenario(transport: transport, peer: peer, sigpipe: sigpipe, sleepNs: 0, sends: 3, payloadBytes: 65_536)
                    guard scenario.inapplicableReason == nil else { continue }
                    let paragraphs = Explainer.explain(signature: signature, scenario: scenario)
                    #expect(!paragraphs.isEmpty)
                    #expect(paragraphs.allSatisfy { $0.count >= 15 })
                    let tokens = Signature.parse(signature) ?? []
                    // One paragraph on the peer, then one per token (harness-error has its own).
                    #expect(tokens == [.harnessError] || paragraphs.count == tokens.count + 1)
                }
            }
        }
    }

    @Test func theClassicCaseNamesTheMechanism() {
        let text = Explainer.explain(signature: "ok,ok,EPIPE", scenario: .classic).joined(separator: " ")
        #expect(text.contains("FIN"))
        #expect(text.contains("CLOSE_WAIT"))
        #expect(text.contains("RST"))
        #expect(text.contains("stored EPIPE"))
        #expect(text.contains("SIG_IGN"))
    }

    @Test func aRaceIsExplainedAsARace() {
        let text = Explainer.explain(signature: "ok,ok,ok", scenario: .classic).joined(separator: " ")
        #expect(text.contains("race"))
        let halfClose = Explainer.explain(signature: "ok,ok,ok", scenario: Scenario(transport: .tcp4, peer: .shutdownWrite, sigpipe: .ignore, sleepNs: 0, sends: 3, payloadBytes: 5))
        #expect(!halfClose.joined().contains("race"))
    }

    @Test func anUnknownSignatureIsSaidToBeUnknown() {
        #expect(Explainer.explain(signature: "weird", scenario: .classic).first?.contains("not a signature") == true)
    }
}
