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

/// A skipped combination of a sweep.
public struct SkippedCombination: Sendable, Equatable {
    public var transport: Transport
    public var peer: PeerAction
    public var sigpipe: SigpipeMode
    public var probe: Probe = .none
    public var cells: Int
    public var reason: String

    /// `tcp4 close ignore`, with the probe when there is one.
    public var label: String {
        [transport.rawValue, peer.rawValue, sigpipe.rawValue] .joined(separator: " ") + (probe == .none ? "" : " probe \(probe.rawValue)")
    }
}
