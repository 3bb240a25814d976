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
}

public enum Transport: String, ParameterValue {
    case tcp4, tcp6, unix, pipe
    public static let parameterName = "transport"

    public var isTCP: Bool { self == .tcp4 || self == .tcp6 }
    public var isSocket: Bool { self != .pipe }
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
