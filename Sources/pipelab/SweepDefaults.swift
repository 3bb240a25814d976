import Foundation
import PipeLabExperiment
import PipeLabKernel
import PipeLabNetwork
import PipeLabReport
import PipeLabStore
import PipeLabWorker

/// The built-in grid's values as `pipelab sweep --help` shows them, read from the grid itself.
enum SweepDefaults {
    static let grid = SweepSpec.builtIn

    static func list<T: ParameterValue>(_ values: [T]) -> String { values.map(\.rawValue).joined(separator: ",") }
    static let transport = list(grid.transport)
    static let peer = list(grid.peer)
    static let sigpipe = list(grid.sigpipe)
    static let sleep = grid.sleep.map(DurationText.format).joined(separator: ",")
    static let sends = grid.sends.map(String.init).joined(separator: ",")
    static let payload = grid.payload.map(SizeText.format).joined(separator: ",")
    static let probe = list(grid.probe)
    static let probeSleep = grid.probeSleep.map { $0.map(DurationText.format).joined(separator: ",") } ?? "every sleep"
    static let interval = grid.interval.map(DurationText.format).joined(separator: ",")
    static let rtt = grid.rtt.map(DurationText.format).joined(separator: ",")
    static let loss = grid.loss.map(LossText.format).joined(separator: ",")
    static let linkSleep = grid.linkSleep.map { $0.map(DurationText.format).joined(separator: ",") } ?? "every sleep"
    static let repeats = String(grid.repeats)
    static let timeout = DurationText.format(grid.timeoutNs)
    static let order = grid.order.rawValue
    static let seed = String(grid.seed)
    /// The rule of SweepSpec.defaultJobs, with what it gives on this machine.
    static let jobs = "2 per CPU; 16 per CPU, at least 8 and at most 64, when the grid sleeps 1ms or more: "
        + "\(SweepSpec.defaultJobs(sleeps: [0])) or \(SweepSpec.defaultJobs(sleeps: [1_000_000])) here"
}
