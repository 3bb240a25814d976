/// Who makes the client's calls (the `client` dimension): pipelab's own in-process client, a real
/// program shipped in Clients/ that does the run's script with its runtime's ordinary API and
/// signal handling, or the user's own program (`--client-cmd`).
public enum ClientProgram: String, Sendable, Codable, CaseIterable {
    case harness, c, python, node, perl, java, go, rust
    /// The user's own program, given with `--client-cmd`.
    case command

    /// A separate program, traced by strace, rather than pipelab's own calls.
    public var isReal: Bool { self != .harness }

    /// The runtimes pipelab ships a program for.
    public static let shipped: [ClientProgram] = [.c, .python, .node, .perl, .java, .go, .rust]

    /// Why a real program cannot run this combination, or nil when it can (or for the harness).
    /// Only what the operating system carries into a program applies to it: an ignored or default
    /// SIGPIPE survives exec(2), a handler, a blocked signal left pending (strace cannot see it) and
    /// MSG_NOSIGNAL (a flag of pipelab's own sends) do not.
    public func inapplicableReason(transport: Transport, sigpipe: SigpipeMode, probe: Probe) -> String? {
        guard isReal else { return nil }
        if !transport.isTCP {
            return "a real client connects to the peer's address: it needs tcp4 or tcp6"
        }
        switch sigpipe {
        case .default, .ignore: break
        case .handler: return "a signal handler does not survive exec(2): a real program brings its own"
        case .nosignal: return "MSG_NOSIGNAL is a flag of pipelab's own sends: a real program chooses its own flags"
        case .blocked: return "a SIGPIPE left pending in another program is not visible to strace"
        }
        if probe != .none {
            return "the probe is a call of pipelab's own client: a real program makes only its own calls"
        }
        return nil
    }
}
