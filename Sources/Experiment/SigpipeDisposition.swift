/// What a real program's SIGPIPE was set to: as it started (inherited through exec), or as the
/// program set it with rt_sigaction. Recorded as `runs.client_sigpipe` and as a sigaction step's
/// `value` (the raw value).
public enum SigpipeDisposition: Int64, Sendable, CaseIterable {
    /// SIG_DFL: the signal ends the process.
    case `default` = 0
    /// SIG_IGN: the kernel still raises it, nothing happens, the call fails with EPIPE.
    case ignore = 1
    /// A handler of the runtime's own: the call fails with EPIPE and the handler runs.
    case handler = 2
    /// Masked, whatever its action: the call fails with EPIPE and the signal stays pending.
    case blocked = 3

    public init?(name: String) {
        guard let found = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = found
    }

    public var name: String {
        switch self {
        case .default: "default"
        case .ignore: "ignore"
        case .handler: "handler"
        case .blocked: "blocked"
        }
    }
}
