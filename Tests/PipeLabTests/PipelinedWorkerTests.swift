import Foundation
import Glibc
@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabSweep
@testable import PipeLabWorker
import Testing

/// A worker may hold its next run while it makes the current one (WorkerPool): each run writes
/// into its own half of the step log, and nothing handed to a worker is lost or made twice.
@Suite struct PipelinedWorkerTests {
    static var zeroSleep: Scenario {
        Scenario(transport: .tcp4, peer: .close, sigpipe: .ignore, sleepNs: 0, sends: 3, payloadBytes: 5)
    }

    /// Two jobs sent at once: the worker makes both, one after the other, the first in the log's
    /// first half and the second in its second, each half stamped with its run's token and start.
    @Test func twoJobsHandedAtOnceWriteIntoTheirOwnHalves() throws {
        let worker = try WorkerProcess(executable: CLI.binary)
        defer {
            worker.channel.close()
            _ = worker.wait()
        }
        let before = MonotonicClock.nowNs()
        #expect(worker.channel.send([WireMessage.job(token: 11, scenario: Self.zeroSleep, lossSeed: 0),
                                     WireMessage.job(token: 12, scenario: Self.zeroSleep, lossSeed: 0)]))
        var done: [Int64] = []
        while done.count < 2 {
            guard case .messages(let messages) = worker.channel.receive(blocking: true) else { break }
            for case .runDone(let token) in messages { done.append(token) }
        }
        #expect(done == [11, 12])
        for (half, token) in [(0, Int64(11)), (1, 12)] {
            let records = worker.log.read(half: half)
            let steps = records.compactMap { if case .step(let owner, let step) = $0, owner == token { step } else { nil } }
            #expect(steps.count == records.filter { if case .step = $0 { true } else { false } }.count, "half \(half) holds another run's steps")
            #expect(steps.filter { $0.actor == .client && $0.op == .send }.count == 3, "half \(half): \(steps)")
            #expect(steps.contains { $0.op == .accept } && steps.contains { $0.op == .connect })
            #expect((worker.log.startNs(of: token, half: half) ?? 0) >= before)
            #expect(worker.log.startNs(of: token, half: 1 - half) == nil)
        }
        #expect(worker.log.startNs(of: 11, half: 0)! <= worker.log.startNs(of: 12, half: 1)!)
    }

    /// A pool of one worker holds two zero-sleep runs at a time; killing the worker mid-sweep
    /// ends its current run as a harness error and hands the run queued behind it to a new
    /// worker: every request comes back exactly once, and every other run has its own steps.
    @Test func aRunQueuedBehindAKilledWorkersRunIsMadeOnceByTheNext() throws {
        let requests = (0..<40).map { RunRequest(scenario: Self.zeroSleep, repeatIndex: $0) }
        let pool = WorkerPool(size: 1, timeoutNs: 10_000_000_000, executable: CLI.binary)
        var results: [RunResult] = []
        var killed = false
        try pool.perform(requests) { result in
            results.append(result)
            if results.count == 10 && !killed {
                killed = pool.workerPIDs.count == 1 && kill(pool.workerPIDs[0], SIGKILL) == 0
            }
        }
        #expect(killed)
        #expect(results.map(\.repeatIndex).sorted() == Array(0..<40))
        #expect(results.filter { $0.outcome == .harnessError }.count <= 1)
        for run in results where run.outcome != .harnessError {
            #expect(run.steps.filter { $0.actor == .client && $0.op == .send }.count == 3, "\(run.steps)")
            #expect(run.steps.filter { $0.op == .connect }.count == 1)
            #expect(run.durationNs >= (run.steps.map { $0.startNs + ($0.durationNs ?? 0) }.max() ?? 0))
        }
    }
}
