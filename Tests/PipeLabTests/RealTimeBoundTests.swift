import Foundation
import Glibc
@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabSweep
@testable import PipeLabWorker
import Testing

/// No more clients run in the real-time class than there are CPUs, and a busy run is held to the
/// CPU-bound limit whatever its sleep.
@Suite struct RealTimeBoundTests {
    /// One token per CPU, shared by every holder (each its own open file description, as each
    /// worker has), and given back by the kernel when a holder's description closes (it died).
    @Test func thereAreAsManyTokensAsCPUsAndADeadHolderGivesItsBack() throws {
        let file = try #require(RealTimeTokens.create())
        defer { close(file) }
        let cpus = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        var holders = (0..<(cpus + 2)).compactMap { _ in RealTimeTokens(inherited: file) }
        #expect(holders.count == cpus + 2)
        let took = holders.map { $0.take() }
        #expect(took.filter { $0 }.count == cpus)
        #expect(took.prefix(cpus).allSatisfy { $0 } && !took[cpus])
        holders.removeFirst()  // its description closes: the kernel releases its lock
        #expect(holders[cpus - 1].take())
        holders[0].give()
        #expect(holders[cpus].take())
        // Any other fd is not the token file.
        #expect(RealTimeTokens(inherited: 0) == nil)
    }

    @Test func closeSendsAfterASleepAreCPUBound() {
        func request(sleep: Int64, sends: Int, interval: Int64) -> RunRequest {
            var scenario = Scenario.classic
            (scenario.sleepNs, scenario.sends, scenario.intervalNs) = (sleep, sends, interval)
            return RunRequest(scenario: scenario, repeatIndex: 0)
        }
        #expect(request(sleep: 0, sends: 3, interval: 0).isCPUBound)
        #expect(!request(sleep: 1_000_000, sends: 3, interval: 0).isCPUBound)
        #expect(request(sleep: 1_000_000, sends: 10_000, interval: 1).isCPUBound)
        #expect(!request(sleep: 1_000_000, sends: 10_000, interval: 5_000_000).isCPUBound)
    }
}
