import PipeLabExperiment
import PipeLabKernel

/// The runs of one spec on one host: every sweep of that spec the host recorded, sharded or not.
public struct HostRuns: Sendable {
    public var host: HostInfo
    public var sweeps: [SweepRecord]
    public var cells: [CellSignature]

    public init(host: HostInfo, sweeps: [SweepRecord], cells: [CellSignature]) {
        (self.host, self.sweeps, self.cells) = (host, sweeps, cells)
    }

    /// The names the host was recorded under: one per pod, VM or node of the same facts.
    public var hostnames: [String] { uniqued(sweeps.map(\.host.hostname)) }

    /// Hosts are told apart by the facts that shape the outcomes (kernel, OS, architecture, CPUs,
    /// socket sysctls), not by their host names nor their rows' UUIDs: the pods of one node image,
    /// each with a name of its own, are one host.
    public static func key(_ host: HostInfo) -> String {
        [host.kernel, host.os, host.arch, String(host.cpus), host.sysctls].joined(separator: "\u{1f}")
    }
}
