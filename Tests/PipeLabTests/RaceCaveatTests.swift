@testable import PipeLabExperiment
@testable import PipeLabReport
import Testing

/// "Where it races" warns that short-sleep shares are not comparable across dispositions where a
/// `default` cell of pipelab's own client races beside short-sleep cells of another disposition
/// (docs/internals.md, "What decides the sleep-0 race"), and only there.
@Suite struct RaceCaveatTests {
    static func cell(_ sigpipe: SigpipeMode, sleepNs: Int64 = 0, client: ClientProgram = .harness) -> Scenario {
        var scenario = Scenario.classic
        (scenario.sigpipe, scenario.sleepNs, scenario.client) = (sigpipe, sleepNs, client)
        return scenario
    }

    @Test func aRacingDefaultCellBesideAnotherDispositionIsWarnedOf() {
        let all = [Self.cell(.default), Self.cell(.ignore), Self.cell(.default, sleepNs: 10_000_000), Self.cell(.ignore, sleepNs: 10_000_000)]
        #expect(MarkdownReport.dispositionsRaceUnalike([Self.cell(.default)], among: all))
        // Only another disposition racing: nothing of `default`'s placement is in its shares.
        #expect(!MarkdownReport.dispositionsRaceUnalike([Self.cell(.ignore)], among: all))
        // Nothing to compare with at a short sleep.
        #expect(!MarkdownReport.dispositionsRaceUnalike([Self.cell(.default)],
                                                        among: [Self.cell(.default), Self.cell(.ignore, sleepNs: 10_000_000)]))
        // A real program is its own process in every disposition.
        let real = [Self.cell(.default, client: .python), Self.cell(.ignore, client: .python)]
        #expect(!MarkdownReport.dispositionsRaceUnalike([Self.cell(.default, client: .python)], among: real))
    }
}
