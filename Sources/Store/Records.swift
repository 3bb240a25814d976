import PipeLabExperiment
import PipeLabKernel

public enum SweepStatus: String, Sendable, CaseIterable {
    case running, completed, interrupted
}

/// A row of `sweeps`, with its host.
public struct SweepRecord: Sendable {
    public var id: Int64
    public var uuid: String
    public var name: String
    public var status: SweepStatus
    public var spec: String
    public var commandLine: String
    public var pipelabVersion: String
    public var startedAt: String
    public var endedAt: String?
    public var plannedRuns: Int
    public var skippedCells: Int
    public var host: HostInfo
    /// Runs recorded so far.
    public var recordedRuns: Int
}

/// One row of the `cell_signatures` view.
public struct CellSignature: Sendable, Equatable {
    public var scenario: Scenario
    public var signature: String
    public var outcome: Outcome
    public var runs: Int
    public var cellRuns: Int
    /// Of `runs`, those the machine disturbed (`peer_late`): left out of the cell's verdict.
    public var disturbedRuns: Int = 0
}
