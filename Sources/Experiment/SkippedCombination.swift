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

    public init(transport: Transport, peer: PeerAction, sigpipe: SigpipeMode, probe: Probe = .none, cells: Int, reason: String) {
        self.transport = transport
        self.peer = peer
        self.sigpipe = sigpipe
        self.probe = probe
        self.cells = cells
        self.reason = reason
    }
}
