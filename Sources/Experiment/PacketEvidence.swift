import PipeLabKernel

/// What a run's packets show about the connection's ending: when the peer's FIN and RST left and
/// arrived, which the link dropped, and what our socket was when the RST came. The capture sees
/// the client's packets as they leave and the peer's as they arrive (a lost one: as it left).
extension RunEvidence {
    /// The run was captured: its packets are evidence (a run without capture has none at all, since
    /// every TCP run has a handshake).
    public var captured: Bool { !packets.isEmpty }

    /// The first of the peer's FINs that reached our socket.
    public var peerFINArrival: Packet? { packets.first { $0.direction == .peerToClient && $0.flags.contains("F") && !$0.lost } }

    /// The peer's FINs the link dropped before one arrived (all of them when none did).
    public var peerFINsLost: [Packet] {
        let arrival = peerFINArrival?.tNs ?? Int64.max
        return packets.filter { $0.direction == .peerToClient && $0.flags.contains("F") && $0.lost && $0.tNs < arrival }
    }

    /// The first of the peer's RSTs that reached our socket.
    public var peerRSTArrival: Packet? { packets.first { $0.direction == .peerToClient && $0.flags.contains("R") && !$0.lost } }

    /// The peer's RSTs the link dropped before one arrived.
    public var peerRSTsLost: [Packet] {
        let arrival = peerRSTArrival?.tNs ?? Int64.max
        return packets.filter { $0.direction == .peerToClient && $0.flags.contains("R") && $0.lost && $0.tNs < arrival }
    }

    /// Whether the peer's kernel ended the connection with RST rather than FIN: its first packet
    /// carrying either (as it left, lost or not). nil without capture or when it sent neither.
    public var peerEndedWithRST: Bool? {
        packets.first { $0.direction == .peerToClient && ($0.flags.contains("F") || $0.flags.contains("R")) }.map { $0.flags.contains("R") }
    }

    /// Our own FIN (the client's shutdown(SHUT_WR) probe), when it left.
    public var ownFIN: Packet? { packets.first { $0.direction == .clientToPeer && $0.flags.contains("F") } }

    /// Whether the peer's FIN had reached our socket before `ns`: from the packets when captured;
    /// nil without them.
    public func peerFINArrived(before ns: Int64) -> Bool? {
        guard captured else { return nil }
        return peerFINArrival.map { $0.tNs < ns } ?? false
    }

    /// The state the peer's first arriving RST found our socket in, by the packets before it:
    /// CLOSE_WAIT after the peer's FIN, FIN_WAIT1 after our own, LAST_ACK after both (the peer's
    /// first), CLOSING after both (ours first), ESTABLISHED after neither. tcp_reset() stores
    /// EPIPE for CLOSE_WAIT, ECONNRESET for the others.
    public var stateRSTFound: TCPState? {
        guard let rst = peerRSTArrival else { return nil }
        let finIn = peerFINArrival.map { $0.tNs < rst.tNs } == true ? peerFINArrival : nil
        let finOut = ownFIN.map { $0.tNs < rst.tNs } == true ? ownFIN : nil
        switch (finIn, finOut) {
        case (nil, nil): return .established
        case (_?, nil): return .closeWait
        case (nil, _?): return .finWait1
        case let (peer?, own?): return peer.tNs < own.tNs ? .lastAck : .closing
        }
    }

    /// Data segments of ours that never left while the connection lasted: sends whose bytes no
    /// captured segment carried (Nagle's algorithm holds a small send while data is unacknowledged).
    public var sendsNoSegmentCarried: [Int] {
        guard captured else { return [] }
        var carried = Set<Int>()
        for packet in packets where packet.direction == .clientToPeer && packet.length > 0 {
            carried.formUnion(sends(carriedBy: packet))
        }
        return writes.indices.map { $0 + 1 }.filter { !carried.contains($0) && (writes[$0 - 1].result ?? 0) > 0 }
    }
}
