/// The kernel's TCP states (include/net/tcp_states.h), as TCP_INFO's tcpi_state reports them.
public enum TCPState: Int32, Sendable, Codable, CaseIterable {
    case established = 1, synSent, synRecv, finWait1, finWait2, timeWait, close, closeWait, lastAck, listen, closing
    case newSynRecv

    /// The state `name` spells (as stored in `steps.tcp_state`).
    public init?(name: String) {
        guard let state = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = state
    }

    public var name: String {
        switch self {
        case .established: "ESTABLISHED"
        case .synSent: "SYN_SENT"
        case .synRecv: "SYN_RECV"
        case .finWait1: "FIN_WAIT1"
        case .finWait2: "FIN_WAIT2"
        case .timeWait: "TIME_WAIT"
        case .close: "CLOSE"
        case .closeWait: "CLOSE_WAIT"
        case .lastAck: "LAST_ACK"
        case .listen: "LISTEN"
        case .closing: "CLOSING"
        case .newSynRecv: "NEW_SYN_RECV"
        }
    }
}
