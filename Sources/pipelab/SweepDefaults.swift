import Foundation
import PipeLabExperiment
import PipeLabKernel
import PipeLabNetwork
import PipeLabReport
import PipeLabStore
import PipeLabWorker

/// The built-in grid's settings as `pipelab sweep --help` shows them, read from the grid itself
/// (the dimensions' values come from the dimension table).
enum SweepDefaults {
    static let grid = SweepSpec.builtIn

    static let probeSleep = grid.probeSleep.map { $0.map(DurationText.format).joined(separator: ",") } ?? "every sleep"
    static let linkSleep = grid.linkSleep.map { $0.map(DurationText.format).joined(separator: ",") } ?? "every sleep"
    static let repeats = String(grid.repeats)
    static let timeout = DurationText.format(grid.timeoutNs)
    static let order = grid.order.rawValue
    static let seed = String(grid.seed)
    /// The rule of SweepSpec.defaultJobs, with what it gives on this machine.
    static let jobs = "2 per usable CPU (affinity and cgroup quota); 16 per CPU, at least 8 and at most 64, when the grid sleeps 1ms or more: "
        + "\(SweepSpec.defaultJobs(sleeps: [0])) or \(SweepSpec.defaultJobs(sleeps: [1_000_000])) here"
}
