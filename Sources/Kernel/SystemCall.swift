import Glibc

/// The outcome of one system call: its return value, and errno when it returned -1.
public struct CallResult: Sendable {
    public var value: Int
    public var errno: Int32
    public var failed: Bool { value < 0 }
}

/// The one place that reads errno after a call. Experiment calls are never retried on EINTR:
/// an interrupted call is part of what the run recorded.
@inline(__always)
package func call(_ body: () -> Int) -> CallResult {
    let value = body()
    return CallResult(value: value, errno: value < 0 ? Glibc.errno : 0)
}

/// Harness calls (not part of the experiment) retry EINTR and fail with context.
package func retryingEINTR(_ what: @autoclosure () -> String, _ body: () -> Int32) throws(SystemError) -> Int32 {
    while true {
        let value = body()
        if value >= 0 { return value }
        if Glibc.errno != EINTR { throw SystemError(what(), errno: Glibc.errno) }
    }
}

/// A harness system call that failed, with what it was doing.
public struct SystemError: Error, CustomStringConvertible, Sendable {
    public let context: String
    public let errno: Int32
    public init(_ context: String, errno: Int32) {
        self.context = context
        self.errno = errno
    }
    public var description: String { "\(context): \(String(cString: strerror(errno))) (\(ErrnoName.of(errno)))" }
}
