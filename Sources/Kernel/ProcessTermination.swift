/// How a child process ended: an exit code or the signal that killed it, never folded into one
/// number (a SIGPIPE death is not "exit 141").
public enum ProcessTermination: Equatable {
    case exited(Int32)
    case signaled(Int32)

    // WIFSIGNALED / WTERMSIG / WEXITSTATUS are macros Swift cannot import.
    public init(waitStatus status: Int32) {
        let signal = status & 0x7f
        self = signal != 0 ? .signaled(signal) : .exited((status >> 8) & 0xff)
    }
}
