/// The enumerated scenario parameters. Their raw values are the contract: the same strings are
/// accepted on the command line, in spec files, and stored in the database.

public protocol ParameterValue: RawRepresentable, CaseIterable, Sendable, Hashable, Codable
where RawValue == String {
    /// The parameter's name as a flag, a spec key and a column.
    static var parameterName: String { get }
}

extension ParameterValue {
    /// Parses one value, or fails with a message that lists what is accepted.
    public static func parse(_ text: String, name: String? = nil) throws(InputError) -> Self {
        guard let value = Self(rawValue: text.trimmingSpaces()) else {
            throw InputError("\(name ?? parameterName): unknown value '\(text)'; accepted: \(acceptedList)")
        }
        return value
    }

    public static var acceptedList: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// The value's place in the declared order, which tables and charts follow.
    package var position: Int { Array(Self.allCases).firstIndex(of: self) ?? 0 }
}

public enum Transport: String, ParameterValue {
    case tcp4, tcp6, unix, pipe
    public static let parameterName = "transport"

    public var isTCP: Bool { self == .tcp4 || self == .tcp6 }
    public var isSocket: Bool { self != .pipe }
    /// Whether the emulated link can carry it (rtt or loss above 0): IPv4 TCP, in this build.
    public var crossesLink: Bool { self == .tcp4 }
}

public enum PeerAction: String, ParameterValue {
    case close
    case shutdownWrite = "shutdown-wr"
    case shutdownReadWrite = "shutdown-rdwr"
    case linger0
    case closeUnread = "close-unread"
    public static let parameterName = "peer"
}

public enum SigpipeMode: String, ParameterValue {
    case `default`, ignore, handler, nosignal, blocked
    public static let parameterName = "sigpipe"
}

/// The client's one extra call after its sleep, before send #2 (DESIGN.md's `probe`).
public enum Probe: String, ParameterValue {
    /// No extra call: the sends alone, as before probes existed.
    case none
    /// A non-blocking recv of up to 1024 bytes: data, 0 for EOF, EAGAIN, or the stored error.
    case recv
    /// poll for POLLIN|POLLOUT|POLLRDHUP with timeout 0.
    case poll
    /// getsockopt(SO_ERROR), which returns the stored error and clears it.
    case soError = "so-error"
    /// The client's own shutdown(SHUT_WR).
    case shutdownWrite = "shutdown-wr"
    public static let parameterName = "probe"

    /// Bytes the recv probe asks for (the peer's read takes as many).
    public static let recvBytes: Int64 = 1024
}
