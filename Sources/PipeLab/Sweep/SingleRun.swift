/// `pipelab run`: one run on one worker.
public enum SingleRun {
    public static func perform(_ scenario: Scenario, timeoutNs: Int64, executable: String? = nil) throws -> RunResult {
        let pool = WorkerPool(size: 1, timeoutNs: timeoutNs, executable: executable)
        var result: RunResult?
        try pool.perform([RunRequest(scenario: scenario, repeatIndex: 0)]) { result = $0 }
        guard let result else { throw SystemError("the worker returned no result", errno: 0) }
        return result
    }
}
