import Foundation
@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabNetwork
@testable import PipeLabReport
@testable import PipeLabStore
@testable import PipeLabSweep
@testable import PipeLabWorker
import Testing

/// The network dimensions: interval on the real kernel, the columns and the cell identity they
/// join (a machine without the link's namespaces or TUN device: LinklessMachineTests).
@Suite struct NetworkDimensionTests {
    /// The client waits `interval` between its later sends, and not before send #2 (the sleep's).
    /// A wait is never shorter than asked; a busy machine only lengthens it, so the interval is
    /// 40 times the sleep, and the gap before send #2 is compared with the gaps after it.
    @Test func laterSendsAreIntervalApart() throws {
        let run = try CLI.runJSON(["--sleep", "5ms", "--sends", "4", "--interval", "200ms"])
        let sends = (run["steps"] as? [[String: Any]] ?? []).filter { $0["op"] as? String == "send" }
        #expect(sends.count == 4)
        let starts = sends.compactMap { $0["start_ns"] as? Int }, ends = sends.compactMap { ($0["start_ns"] as? Int ?? 0) + ($0["duration_ns"] as? Int ?? 0) }
        try #require(starts.count == 4 && ends.count == 4)
        #expect(starts[1] - ends[0] >= 5_000_000)
        for later in 2...3 {
            #expect(starts[later] - ends[later - 1] >= 200_000_000)
            #expect(starts[1] - ends[0] < starts[later] - ends[later - 1])
        }
        #expect((run["parameters"] as? [String: Any])?["interval"] as? String == "200ms")
    }

    /// A sweep records the interval in runs and in the views that group by cell; each interval is a cell of its own.
    @Test func intervalIsACellParameter() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let sweep = try CLI.run(["sweep", "--transport", "tcp4,unix", "--peer", "close", "--sigpipe", "ignore", "--sleep", "1ms",
                                 "--sends", "3", "--payload", "5", "--interval", "0,2ms", "--repeat", "2", "--quiet"], in: directory)
        #expect(sweep.status == 0, "\(sweep.stderr)")
        let db = directory.appendingPathComponent("pipelab.sqlite")
        #expect(try query(db, "SELECT interval_ns, rtt_ns, loss_percent, loss_seed IS NULL, COUNT(*) FROM runs GROUP BY 1 ORDER BY 1;")
                == "0|0|0.0|1|4\n2000000|0|0.0|1|4\n")
        #expect(try query(db, "SELECT COUNT(*) FROM cell_outcomes;") == "4\n")
        #expect(try query(db, "SELECT isolation FROM sweeps;") == Isolation.available.rawValue + "\n")
    }

    /// rtt and loss are cells like the others: recorded in runs, with a seed where packets can be lost,
    /// and left out for the transports that cross no link.
    @Test func rttAndLossAreCellParameters() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let sweep = try CLI.run(["sweep", "--transport", "tcp4,unix", "--peer", "close", "--sigpipe", "ignore", "--sleep", "10ms",
                                 "--sends", "3", "--payload", "5", "--rtt", "0,1ms", "--loss", "0,0.5", "--repeat", "1", "--quiet"], in: directory)
        #expect(sweep.status == 0, "\(sweep.stderr)")
        let db = directory.appendingPathComponent("pipelab.sqlite")
        #expect(try query(db, "SELECT transport, rtt_ns, loss_percent, loss_seed IS NULL, outcome != 'harness-error' FROM runs ORDER BY 1, 2, 3;")
                == "tcp4|0|0.0|1|1\ntcp4|0|0.5|0|1\ntcp4|1000000|0.0|1|1\ntcp4|1000000|0.5|0|1\nunix|0|0.0|1|1\n")
    }

    /// The link carries IPv4 TCP only: a grid's tcp6 cells with rtt or loss are left out, never run.
    @Test func tcp6CellsCrossNoLink() throws {
        var spec = SweepSpec.builtIn
        (spec.transport, spec.peer, spec.sigpipe, spec.probe, spec.probeSleep) = ([.tcp4, .tcp6], [.close], [.ignore], [.none], nil)
        (spec.sleep, spec.payload, spec.interval, spec.rtt, spec.linkSleep) = ([10_000_000], [5], [0], [0, 20_000_000], nil)
        let cells = Grid(spec).cells.map { "\($0.transport.rawValue) \($0.rttNs)" }
        #expect(cells.sorted() == ["tcp4 0", "tcp4 20000000", "tcp6 0"])
        #expect(throws: InputError.self) {
            var tcp6Only = spec
            (tcp6Only.transport, tcp6Only.rtt) = ([.tcp6], [20_000_000])
            try Grid.check(tcp6Only)
        }
    }

    @Test func lossIsWrittenInPercentAndRefusedOutsideItsRange() {
        #expect(LossText.format(0) == "0")
        #expect(LossText.format(100) == "1%")
        #expect(LossText.format(50) == "0.5%")
        #expect(LossText.format(5) == "0.05%")
        #expect(Dimensions.loss.stored(.number(7)) == .real(0.07))
        #expect(Dimensions.loss.load(.real(0.07)) == .number(7))
        #expect(throws: InputError.self) { try LossText.parse("101%") }
        #expect(throws: InputError.self) { try LossText.parse("0.001%") }
        #expect(throws: InputError.self) { try LossText.parse("-1") }
        #expect(throws: InputError.self) { try RttText.parse("11s") }
    }
}
