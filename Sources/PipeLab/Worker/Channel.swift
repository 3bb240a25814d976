import Glibc

/// One end of a recorder–worker SOCK_SEQPACKET pair. Sends use MSG_NOSIGNAL: neither side may be
/// killed by SIGPIPE because the other one died.
struct Channel: @unchecked Sendable {
    let fd: Int32

    /// A connected pair; both ends close on exec, the worker's end is dup2'ed into place by the spawn.
    static func pair() throws(SystemError) -> (Channel, Channel) {
        var fds: [Int32] = [-1, -1]
        let type = Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        _ = try retryingEINTR("socketpair for a worker channel") { socketpair(AF_UNIX, type, 0, &fds) }
        return (Channel(fd: fds[0]), Channel(fd: fds[1]))
    }

    /// Sends one message; false when the other side is gone.
    @discardableResult
    func send(_ message: WireMessage) -> Bool {
        let slots = message.encode()
        while true {
            let sent = slots.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent == WireMessage.byteCount { return true }
            if sent < 0 && errno == EINTR { continue }
            return false
        }
    }

    enum Received {
        case message(WireMessage)
        /// Nothing to read right now (non-blocking reads only).
        case empty
        /// The other side closed or died.
        case closed
    }

    func receive(blocking: Bool) -> Received {
        var slots = [Int64](repeating: 0, count: WireMessage.slots)
        while true {
            let count = slots.withUnsafeMutableBytes {
                recv(fd, $0.baseAddress, $0.count, blocking ? 0 : Int32(MSG_DONTWAIT))
            }
            if count == WireMessage.byteCount {
                return slots.withUnsafeBufferPointer { WireMessage.decode($0) }.map(Received.message) ?? .closed
            }
            if count < 0 && errno == EINTR { continue }
            if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return .empty }
            return .closed
        }
    }

    func close() { _ = Glibc.close(fd) }
}
