import Glibc
import PipeLabExperiment
import PipeLabKernel
import PipeLabNetwork
import PipeLabStore
import PipeLabWorker

/// `pipelab run`: one run on one worker.
public enum SingleRun {
    /// Always captured: a run's packets are part of what it shows.
    /// `lossSeed` replays a run's losses (`run --seed`); nil draws a new seed.
    /// `userCommand`: `--client-cmd`'s program, for client `command`.
    public static func perform(_ scenario: Scenario, timeoutNs: Int64, lossSeed: UInt32? = nil, executable: String? = nil,
                               userCommand: String? = nil) throws -> RunResult {
        let pool = WorkerPool(size: 1, timeoutNs: timeoutNs, executable: executable, capture: true, userCommand: userCommand)
        var result: RunResult?
        try pool.perform([RunRequest(scenario: scenario, repeatIndex: 0, lossSeed: lossSeed)]) { result = $0 }
        guard let result else { throw SystemError("the worker pool finished without a result", errno: EIO) }
        return result
    }
}

extension Store {
    /// `pipelab run --db`: one run recorded as a completed one-run sweep named "run", whole or not at all.
    public func recordSingleRun(_ run: RunResult, commandLine: String, host: HostInfo) throws(StoreError) {
        // The grid of this one cell: each dimension's value, from the table.
        let cell = Dictionary(uniqueKeysWithValues: Dimensions.all.map { ($0.name, [$0.value(of: run.scenario)]) })
        let spec = SweepSpec(values: cell, repeats: 1, jobs: 1, timeoutNs: SweepSpec.builtIn.timeoutNs, name: "run")
        // One transaction: a failure leaves no sweep behind, not a `running` one without its run.
        try db.writeTransaction { () throws(StoreError) in
            let sweep = try createSweep(name: "run", spec: spec.json(), commandLine: commandLine, plannedRuns: 1, skipped: [], host: host, isolation: Isolation.available.rawValue,
                                        privilegesLost: Privileges.current.recorded)
            try runWriter(sweepID: sweep.id).write([run])
            try setStatus(of: sweep.id, to: .completed)
        }
    }
}
