/// Who makes the client's calls (the `client` dimension): pipelab's own client, a real program
/// shipped in Clients/ that does the run's script with its runtime's ordinary API and signal
/// handling, or the user's own program (`--client-cmd`).
public enum ClientProgram: String, ParameterValue {
    case harness, c, python, node, perl, java, go, rust
    /// The user's own program, given with `--client-cmd`.
    case command
    public static let parameterName = "client"

    /// A separate program, traced by strace, rather than pipelab's own calls.
    public var isReal: Bool { self != .harness }

    /// The runtimes pipelab ships a program for.
    public static let shipped: [ClientProgram] = [.c, .python, .node, .perl, .java, .go, .rust]

    /// Why a real program cannot take this disposition, or nil. Only what the operating system
    /// carries into a program applies to it: an ignored or default SIGPIPE and a blocked one
    /// survive exec(2) (signal(7), execve(2)); a handler does not, and MSG_NOSIGNAL is a flag of
    /// pipelab's own sends.
    func inapplicableReason(sigpipe: SigpipeMode) -> String? {
        guard isReal else { return nil }
        switch sigpipe {
        case .default, .ignore, .blocked: return nil
        case .handler: return "a signal handler does not survive exec(2): a real program brings its own"
        case .nosignal: return "MSG_NOSIGNAL is a flag of pipelab's own sends: a real program chooses its own flags"
        }
    }
}
