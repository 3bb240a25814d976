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
