import Glibc

/// Thin wrappers over the socket calls the harness and the experiment make.
package enum Sockets {
    package static let stream = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)

    /// The socket's TCP state from TCP_INFO, or nil when it is not a TCP socket.
    package static func tcpState(_ fd: Int32) -> TCPState? {
        var info = tcp_info()
        var length = socklen_t(MemoryLayout<tcp_info>.size)
        guard getsockopt(fd, Int32(IPPROTO_TCP), TCP_INFO, &info, &length) == 0 else { return nil }
        return TCPState(rawValue: Int32(info.tcpi_state))
    }

    /// SO_LINGER {on, 0}: close() then sends RST and leaves no TIME_WAIT behind.
    package static func setLingerZero(_ fd: Int32) -> CallResult {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        return call { Int(setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))) }
    }

    /// The local or peer address of a socket as raw bytes, to tell our own client from a stray one.
    package static func address(of fd: Int32, peer: Bool) -> [UInt8]? {
        let (status, address) = fillingAddress { peer ? getpeername(fd, $0, $1) : getsockname(fd, $0, $1) }
        return status == 0 ? address : nil
    }

    /// The local or peer port of an IPv4 or IPv6 socket (at the same place in both addresses).
    package static func port(of fd: Int32, peer: Bool) -> UInt16? {
        guard let bytes = address(of: fd, peer: peer), bytes.count >= 4 else { return nil }
        return UInt16(bytes[2]) << 8 | UInt16(bytes[3])
    }

    /// Runs a call that fills in a socket address; returns its result and the address's bytes.
    package static func fillingAddress(_ body: (UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32) -> (Int32, [UInt8]) {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, &length) }
        }
        return (status, withUnsafeBytes(of: &storage) { Array($0.prefix(Int(length))) })
    }
}

/// A listening socket on a new port of the loopback address of one family, for one run: it
/// accepts only the client it is told to expect, resets any other at once, and closing it after
/// the accept refuses every later connection to its port (no backlog where a stray could wait).
/// Over the emulated link (IPv4) it listens on the link's local address and the client connects
/// to the far one, whose packets the link turns around (see `Link`).
package final class LoopbackListener {
    package let fd: Int32
    package let transport: Transport
    private let family: Int32
    private let address: [UInt8]
    private let overLink: Bool

    package init(transport: Transport, overLink: Bool = false) throws(SystemError) {
        let family = transport == .tcp6 ? AF_INET6 : AF_INET
        let fd = try retryingEINTR("socket(\(transport.rawValue))") { socket(family, Sockets.stream, 0) }
        var bytes = Self.loopbackAddress(transport: transport)
        if overLink { bytes.replaceSubrange(4..<8, with: Link.localAddress) }
        let bound = bytes.withUnsafeMutableBytes { raw in
            bind(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
        }
        // A backlog of 1: the run's own client is the only connection it is there for.
        guard bound == 0, listen(fd, 1) == 0, let local = Sockets.address(of: fd, peer: false) else {
            let error = SystemError("listening on loopback for \(transport.rawValue)", errno: errno)
            close(fd)
            throw error
        }
        self.fd = fd
        self.family = family
        self.transport = transport
        self.overLink = overLink
        address = local
    }

    /// Where the client connects, and where the peer sees it come from: over the link, the far
    /// address in place of the local one (an IPv4 address is bytes 4 to 7 of sockaddr_in).
    private func acrossLink(_ address: [UInt8]) -> [UInt8] {
        guard overLink, address.count >= 8 else { return address }
        var far = address
        far.replaceSubrange(4..<8, with: Link.remoteAddress)
        return far
    }

    deinit { close(fd) }

    /// A new, unconnected client socket of this listener's family.
    package func newClientSocket() throws(SystemError) -> Int32 {
        try retryingEINTR("socket(\(transport.rawValue)) for the client") { socket(family, Sockets.stream, 0) }
    }

    /// The client's `connect` step.
    package func connect(_ client: Int32) -> CallResult {
        var target = acrossLink(address)
        return call {
            Int(target.withUnsafeMutableBytes { raw in
                Glibc.connect(client, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
            })
        }
    }

    /// Accepts the connection whose peer is `client`; any other (a stray) is reset and refused.
    package func accept(expecting client: Int32) -> CallResult {
        let expected = Sockets.address(of: client, peer: false).map(acrossLink)
        while true {
            var peerAddress: [UInt8] = []
            let result = call {
                let (status, address) = Sockets.fillingAddress { Glibc.accept(fd, $0, $1) }
                peerAddress = address
                return Int(status)
            }
            if result.failed {
                if result.errno == EINTR || result.errno == ECONNABORTED { continue }
                return result
            }
            let accepted = Int32(result.value)
            if peerAddress == expected { return result }
            _ = Sockets.setLingerZero(accepted)
            close(accepted)
        }
    }

    private static func loopbackAddress(transport: Transport) -> [UInt8] {
        if transport == .tcp6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_addr = in6addr_loopback
            return withUnsafeBytes(of: &address) { Array($0) }
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        return withUnsafeBytes(of: &address) { Array($0) }
    }
}
