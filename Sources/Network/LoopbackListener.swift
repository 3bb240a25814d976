import Glibc
import PipeLabKernel
import PipeLabExperiment

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

    /// The port it listens on (bytes 2 and 3 of either family's sockaddr), known since its bind:
    /// no system call a run.
    package var port: UInt16 { UInt16(address[2]) << 8 | UInt16(address[3]) }

    /// Where a client in another process connects: the address as text and the port.
    package var target: (host: String, port: UInt16) {
        let far = acrossLink(address)
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        far.withUnsafeBytes { raw in
            _ = inet_ntop(family, raw.baseAddress! + (family == AF_INET6 ? 8 : 4), &text, socklen_t(text.count))
        }
        return (String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self),
                UInt16(far[2]) << 8 | UInt16(far[3]))
    }

    /// Accepts the first connection: a real client's, whose address the worker cannot know before.
    package func acceptFirst() -> CallResult {
        while true {
            let result = call { Int(Glibc.accept(fd, nil, nil)) }
            if result.failed && (result.errno == EINTR || result.errno == ECONNABORTED) { continue }
            return result
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
