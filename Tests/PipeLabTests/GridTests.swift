@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabNetwork
@testable import PipeLabReport
@testable import PipeLabStore
@testable import PipeLabSweep
@testable import PipeLabWorker
import Testing

@Suite struct GridTests {
    func spec(order: RunOrder = .grid, repeats: Int = 2) -> SweepSpec {
        var spec = SweepSpec.builtIn
        spec.transport = [.tcp4, .pipe]
        spec.peer = [.close, .linger0]
        spec.sigpipe = [.ignore, .nosignal]
        spec.sleep = [0, 1_000]
        spec.sends = [3]
        spec.payload = [5]
        spec.probe = [.none]
        spec.repeats = repeats
        spec.order = order
        return spec
    }

    @Test func gridOrderIsRepeatThenParametersInGivenOrder() {
        let grid = Grid(spec())
        // pipe+linger0 and pipe+nosignal cannot exist.
        #expect(grid.cells.map(\.label) == [
            "tcp4/close/ignore/0/3/5", "tcp4/close/ignore/1us/3/5", "tcp4/close/nosignal/0/3/5", "tcp4/close/nosignal/1us/3/5",
            "tcp4/linger0/ignore/0/3/5", "tcp4/linger0/ignore/1us/3/5", "tcp4/linger0/nosignal/0/3/5", "tcp4/linger0/nosignal/1us/3/5",
            "pipe/close/ignore/0/3/5", "pipe/close/ignore/1us/3/5",
        ])
        #expect(grid.skipped.map { $0.label.replacingOccurrences(of: " ", with: "/") } == [
            "pipe/close/nosignal", "pipe/linger0/ignore", "pipe/linger0/nosignal",
        ])
        #expect(grid.skippedCellCount == 6)
        let requests = Array(grid.requests())
        #expect(requests.count == 20)
        #expect(requests.prefix(10).allSatisfy { $0.repeatIndex == 0 })
        #expect(requests[10] == RunRequest(scenario: grid.cells[0], repeatIndex: 1))
    }

    @Test func shuffleIsASeededPermutationOfTheSameRuns() {
        let grid = Array(Grid(spec()).requests())
        let shuffled = Array(Grid(spec(order: .shuffle)).requests())
        #expect(shuffled != grid)
        #expect(Set(shuffled) == Set(grid))
        #expect(shuffled.count == grid.count)
        #expect(Array(Grid(spec(order: .shuffle)).requests()) == shuffled)
        var other = spec(order: .shuffle)
        other.seed = 2
        #expect(Array(Grid(other).requests()) != shuffled)
    }

    @Test(arguments: [1, 2, 3, 7, 100, 1000, 4097])
    func permutationIsABijection(count: Int) {
        let permutation = Permutation(count: count, seed: 42)
        #expect(Set((0..<count).map { permutation[$0] }) == Set(0..<count))
    }

    @Test func resumeLeavesOutWhatIsDone() {
        let grid = Grid(spec())
        let all = Array(grid.requests())
        let done = Set(all.prefix(7))
        #expect(Array(grid.requests(excluding: done)) == Array(all.dropFirst(7)))
    }

    @Test func storedSpecReadsBackToTheSameSpec() throws {
        var original = spec(order: .shuffle)
        original.name = "a \"quoted\" name"
        original.payload = [5, 65_536]
        original.sleep = [0, 250_000, 1_000_000_000]
        let parsed = try SpecFile.parse(.init(original.json().utf8), source: "stored").applied(to: .builtIn)
        #expect(parsed == original)
    }

    @Test func cpuBoundRunsWaitWhileSleepingRunsOvertake() {
        func request(_ sleepNs: Int64, _ index: Int) -> RunRequest {
            var scenario = Scenario.classic
            scenario.sleepNs = sleepNs
            return RunRequest(scenario: scenario, repeatIndex: index)
        }
        let order = [request(0, 0), request(0, 1), request(0, 2), request(1_000_000_000, 3), request(0, 4)]
        var queue = RunQueue(order.makeIterator(), lookahead: 10)
        #expect(queue.next(cpuBoundInFlight: 0, limit: 2) == order[0])
        #expect(queue.next(cpuBoundInFlight: 1, limit: 2) == order[1])
        // Two CPU-bound runs in flight: the sleeping run overtakes the waiting one.
        #expect(queue.next(cpuBoundInFlight: 2, limit: 2) == order[3])
        #expect(queue.next(cpuBoundInFlight: 2, limit: 2) == nil)
        // A CPU slot frees: the waiting runs go first, in order.
        #expect(queue.next(cpuBoundInFlight: 1, limit: 2) == order[2])
        #expect(queue.next(cpuBoundInFlight: 1, limit: 2) == order[4])
        #expect(queue.next(cpuBoundInFlight: 0, limit: 2) == nil)
        #expect(queue.isExhausted)
    }
}
