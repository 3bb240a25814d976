import Glibc

/// Symbolic names of Linux errno values (asm-generic/errno-base.h, errno.h), as the signature uses them.
public enum ErrnoName {
    package static let names: [Int32: String] = [
        EPERM: "EPERM", ENOENT: "ENOENT", EINTR: "EINTR", EIO: "EIO", EBADF: "EBADF", EAGAIN: "EAGAIN",
        ENOMEM: "ENOMEM", EACCES: "EACCES", EFAULT: "EFAULT", EBUSY: "EBUSY", EEXIST: "EEXIST",
        EINVAL: "EINVAL", ENFILE: "ENFILE", EMFILE: "EMFILE", ENOSPC: "ENOSPC", EPIPE: "EPIPE",
        ENOTSOCK: "ENOTSOCK", EDESTADDRREQ: "EDESTADDRREQ", EMSGSIZE: "EMSGSIZE", EPROTOTYPE: "EPROTOTYPE",
        ENOPROTOOPT: "ENOPROTOOPT", EPROTONOSUPPORT: "EPROTONOSUPPORT", EOPNOTSUPP: "EOPNOTSUPP",
        EAFNOSUPPORT: "EAFNOSUPPORT", EADDRINUSE: "EADDRINUSE", EADDRNOTAVAIL: "EADDRNOTAVAIL",
        ENETDOWN: "ENETDOWN", ENETUNREACH: "ENETUNREACH", ENETRESET: "ENETRESET",
        ECONNABORTED: "ECONNABORTED", ECONNRESET: "ECONNRESET", ENOBUFS: "ENOBUFS", EISCONN: "EISCONN",
        ENOTCONN: "ENOTCONN", ESHUTDOWN: "ESHUTDOWN", ETIMEDOUT: "ETIMEDOUT", ECONNREFUSED: "ECONNREFUSED",
        EHOSTDOWN: "EHOSTDOWN", EHOSTUNREACH: "EHOSTUNREACH", EALREADY: "EALREADY", EINPROGRESS: "EINPROGRESS",
        // What writing an output or starting a process can meet.
        ESRCH: "ESRCH", ECHILD: "ECHILD", ENOTDIR: "ENOTDIR", EISDIR: "EISDIR", EROFS: "EROFS", EDQUOT: "EDQUOT",
    ]

    /// `EPIPE` for 32; `E123` for a value outside the table.
    public static func of(_ code: Int32) -> String { names[code] ?? "E\(code)" }

    /// The inverse, for tokens read back from a signature.
    public static func code(of name: String) -> Int32? { names.first { $0.value == name }?.key }
}

/// Signal names for `term_signal` and `killed:SIGNAME`.
public enum SignalName {
    package static let names: [Int32: String] = [
        SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGILL: "SIGILL", SIGTRAP: "SIGTRAP",
        SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE", SIGKILL: "SIGKILL", SIGUSR1: "SIGUSR1",
        SIGSEGV: "SIGSEGV", SIGUSR2: "SIGUSR2", SIGPIPE: "SIGPIPE", SIGALRM: "SIGALRM", SIGTERM: "SIGTERM",
        SIGXCPU: "SIGXCPU", SIGXFSZ: "SIGXFSZ", SIGSYS: "SIGSYS",
    ]

    public static func of(_ signal: Int32) -> String { names[signal] ?? "SIG\(signal)" }

    /// The number of a name `of` wrote (for runs read back from a database).
    public static func number(_ name: String) -> Int32? {
        names.first { $0.value == name }?.key ?? (name.hasPrefix("SIG") ? Int32(name.dropFirst(3)) : nil)
    }
}
