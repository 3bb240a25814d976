import Testing
@testable import PipeLabExperiment
@testable import PipeLabReport

/// How a report's "Where" line writes a set of cells: never "every cell" for a set that is not.
@Suite struct CellSetTests {
    /// A 2 × 2 × 2 sweep of transports, peers and sleeps.
    private static let sweep: [Scenario] = [Transport.tcp4, .unix].flatMap { transport in
        [PeerAction.close, .closeUnread].flatMap { peer in
            [Int64(0), 10_000_000].map { sleep in
                var cell = Scenario.classic
                cell.transport = transport
                cell.peer = peer
                cell.sleepNs = sleep
                return cell
            }
        }
    }

    @Test func theWholeSweepIsEveryCell() {
        #expect(CellSet(Self.sweep, in: Self.sweep).condensed() == "every cell")
    }

    @Test func aProductIsNamedByItsValues() {
        let tcp = Self.sweep.filter { $0.transport == .tcp4 }
        #expect(CellSet(tcp, in: Self.sweep).condensed() == "tcp4")
    }

    /// Three scattered cells spread over every value of every dimension: their smallest enclosing
    /// product is the whole sweep, so the line gives the counts instead of "every cell".
    @Test func scatteredCellsAreCountedNotCalledEveryCell() {
        let scattered = [Self.sweep[0], Self.sweep[3], Self.sweep[5]]
        #expect(CellSet(scattered, in: Self.sweep).condensed(products: 1) == "3 of the sweep's 8 cells")
    }
}
