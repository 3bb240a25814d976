import PipeLabExperiment
import PipeLabKernel

public struct HostRuns: Sendable {
    public var host: HostInfo
    public var sweeps: [SweepRecord]
    public var cells: [CellSignature]

    public init(host: HostInfo, sweeps: [SweepRecord], cells: [CellSignature]) {
        (self.host, self.sweeps, self.cells) = (host, sweeps, cells)
    }

    /// Hosts are told apart by what shapes the outcomes, not by their rows' UUIDs (each database
    /// records its own row for the same machine).
    public static func key(_ host: HostInfo) -> String {
        [host.hostname, host.kernel, host.os, host.arch, String(host.cpus), host.sysctls].joined(separator: "\u{1f}")
    }
}
