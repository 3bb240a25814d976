import PipeLabKernel

/// Who made a system call in a run.
public enum Actor: String, Sendable, Codable, CaseIterable {
    case client, peer
}

/// The system calls the experiment makes and records.
public enum Operation: String, Sendable, Codable, CaseIterable {
    case connect, accept, send, write, recv, read, poll, shutdown, setsockopt, close
    /// The peer's ioctl(FIONREAD) just before it ends the connection: the bytes it leaves unread.
    case ioctl
    /// The client's getsockopt(SO_ERROR) probe.
    case getsockopt
    /// A real program's other ways of writing to the connection (strace's names for them).
    case sendto, sendmsg, writev
    /// A real program setting its SIGPIPE disposition (rt_sigaction); `value` says to what.
    case sigaction

    /// The client's data-carrying calls: the ones the signature describes.
    public var isClientWrite: Bool {
        switch self {
        case .send, .write, .sendto, .sendmsg, .writev: true
        case .connect, .accept, .recv, .read, .poll, .shutdown, .setsockopt, .close, .ioctl, .getsockopt, .sigaction: false
        }
    }
}

/// One recorded system call.
public struct Step: Sendable, Codable, Equatable {
    public var actor: Actor
    public var op: Operation
    /// Bytes asked for (send/write/recv/read), else 0.
    public var bytes: Int64
    /// The call's return value; nil when the worker died inside the call.
    public var result: Int64?
    /// errno when the call failed, else 0.
    public var errno: Int32
    /// SIGPIPE was raised during the call (seen by the handler, left pending while blocked, or fatal).
    public var sigpipe: Bool
    /// Monotonic nanoseconds from the run's start.
    public var startNs: Int64
    /// nil when the worker died inside the call.
    public var durationNs: Int64?
    /// TCP_INFO state of the caller's socket after the call (TCP only; nil once the fd is closed).
    public var tcpState: TCPState?
    /// What the call delivered besides its return value: poll's revents, getsockopt(SO_ERROR)'s
    /// error, the SIGPIPE disposition a sigaction set (`SigpipeDisposition`); nil for every other call.
    public var value: Int64?

    public init(actor: Actor, op: Operation, bytes: Int64, result: Int64?, errno: Int32, sigpipe: Bool,
                startNs: Int64, durationNs: Int64?, tcpState: TCPState?, value: Int64? = nil) {
        self.actor = actor
        self.op = op
        self.bytes = bytes
        self.result = result
        self.errno = errno
        self.sigpipe = sigpipe
        self.startNs = startNs
        self.durationNs = durationNs
        self.tcpState = tcpState
        self.value = value
    }

    public var errnoName: String? { errno == 0 ? nil : ErrnoName.of(errno) }
}
