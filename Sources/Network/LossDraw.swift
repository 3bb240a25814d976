import PipeLabExperiment

/// Which packets the link drops: each packet draws from SplitMix64 seeded by the run's seed and
/// the packet's identity within the connection (its direction, flags, sequence number relative to
/// its sender's first, payload length, and how many such packets came before), not by its place
/// in the order the link saw them. Timers make that order vary (a delayed ACK before or after a
/// retransmission); identity does not, so the same seed drops the same packets in every run of
/// the same scenario. Loss is independent per packet with probability `basisPoints` / 10,000.
package struct LossDraw {
    private let seed: UInt64
    private let basisPoints: UInt64
    /// The client's port, from the first SYN without ACK: it tells the directions apart.
    private var clientPort: UInt16?
    private var initialSeq: [Bool: UInt32] = [:]
    private var occurrences: [Identity: UInt64] = [:]

    private struct Identity: Hashable {
        package var fromClient: Bool
        package var flags: UInt8
        package var relativeSeq: UInt32
        package var length: Int
    }

    package init(seed: UInt32, basisPoints: Int) {
        self.seed = UInt64(seed)
        self.basisPoints = UInt64(max(0, basisPoints))
    }

    package mutating func drops(_ packet: [UInt8]) -> Bool {
        guard basisPoints > 0 else { return false }
        guard let tcp = TCPHeaderFields(packet) else { return draw(0x5eed) }
        if tcp.has(TCPHeaderFields.syn) && !tcp.has(TCPHeaderFields.ackBit) && clientPort == nil { clientPort = tcp.sourcePort }
        let fromClient = tcp.sourcePort == clientPort
        if tcp.has(TCPHeaderFields.syn) && initialSeq[fromClient] == nil { initialSeq[fromClient] = tcp.seq }
        let identity = Identity(fromClient: fromClient, flags: tcp.flagBits, relativeSeq: tcp.seq &- (initialSeq[fromClient] ?? 0),
                                length: tcp.payloadLength)
        let count = occurrences[identity, default: 0]
        occurrences[identity] = count + 1
        let key = (fromClient ? 1 : 0) | UInt64(identity.flags) << 1 | UInt64(identity.relativeSeq) << 9
            ^ UInt64(identity.length) << 41 ^ count << 58 ^ count
        return draw(key)
    }

    private func draw(_ key: UInt64) -> Bool {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 ^ key
        _ = SplitMix64.next(&state)
        return SplitMix64.next(&state) % 10_000 < basisPoints
    }
}
