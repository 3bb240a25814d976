import Foundation
import FoundationXML
@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabNetwork
@testable import PipeLabReport
@testable import PipeLabStore
@testable import PipeLabSweep
@testable import PipeLabWorker
import Testing

/// The link chart: the first failing send per transport and network, drawn from a real sweep
/// whose sends are back to back or 5 ms apart (an interval needs no emulated link, so this runs
/// wherever the tests do).
@Suite struct LinkChartTests {
    @Test func theFirstFailingSendIsDrawnPerNetwork() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let sweep = try CLI.run(["sweep", "--transport", "tcp4,unix", "--peer", "close", "--sigpipe", "ignore", "--sleep", "100ms",
                                 "--sends", "4", "--payload", "5", "--interval", "0,5ms", "--repeat", "8", "--quiet"], in: directory)
        #expect(sweep.status == 0, "\(sweep.stderr)")
        let store = try Store(path: directory.appendingPathComponent("pipelab.sqlite").path, create: false)
        let data = try store.chartData(sweepIDs: [try store.findSweep("latest").id])
        let svg = try #require(LinkChart.svg(data))
        _ = try XMLDocument(data: Data(svg.utf8))
        #expect(try ChartTests.rasterize(svg, in: directory, name: "link").count > 2_000)
        // tcp4: send #3 fails (#2 provokes the RST); unix: send #2 fails; one column per network.
        // Every undisturbed run agrees (a run whose pause the busy machine held back is left out: on
        // a busy machine all of 4 repeats at 5 ms were, once in 15 sweeps, so there are 8).
        let allOf = { (label: String) in (1...8).contains { svg.contains("\(label): \($0) of \($0) runs") } }
        #expect(allOf("tcp4 every 5ms"))
        #expect(allOf("tcp4 loopback"))
        #expect(allOf("unix every 5ms"))
        // One network only: no chart.
        var single = data
        single.linkGroups = data.linkGroups.filter { $0.scenario.network == .plain }
        #expect(LinkChart.svg(single) == nil)
    }

    /// The peer drawn is close where the network changes where a twentieth of its runs fail, else
    /// the one whose runs it changes most, close on a tie (a lossy sweep's close runs all succeed
    /// on both networks, its linger0 runs do not).
    @Test func thePeerDrawnIsOneWhoseRunsTheNetworkChanges() {
        func groups(_ peer: PeerAction, lossless: [Int?: Int], lossy: [Int?: Int]) -> [LinkGroup] {
            [(0, lossless), (1_000, lossy)].flatMap { loss, counts in
                counts.map { send, runs in
                    LinkGroup(scenario: Scenario(transport: .tcp4, peer: peer, sigpipe: .ignore, sleepNs: 50_000_000, sends: 3, payloadBytes: 5,
                                                 rttNs: 20_000_000, lossBasisPoints: loss), firstFailingSend: send, runs: runs)
                }
            }
        }
        let closeAlike = groups(.close, lossless: [nil: 20], lossy: [nil: 20])
        // Reports/lossy-link.md's: linger0's runs split alike over sleeps 1ms and 50ms, loss moved 3 of 40.
        #expect(LinkChart.drawnPeer(closeAlike + groups(.linger0, lossless: [nil: 20, 2: 20], lossy: [nil: 23, 2: 17])) == .linger0)
        #expect(LinkChart.drawnPeer(closeAlike + groups(.linger0, lossless: [2: 20], lossy: [2: 20])) == .close)
        #expect(LinkChart.drawnPeer(groups(.close, lossless: [nil: 20], lossy: [nil: 16, 3: 4]) + groups(.linger0, lossless: [2: 20], lossy: [nil: 20])) == .close)
        #expect(LinkChart.drawnPeer(groups(.close, lossless: [nil: 40], lossy: [nil: 39, 3: 1]) + groups(.linger0, lossless: [2: 20], lossy: [nil: 20])) == .linger0)
        #expect(LinkChart.drawnPeer([]) == nil)
    }
}
