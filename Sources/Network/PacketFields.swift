import PipeLabExperiment

/// Turns a run's captured headers into `Packet`s: sequence numbers relative to each side's
/// initial one (taken from its SYN, as tcpdump does), and the step each packet came during.
package enum PacketFields {
    package static func read(_ captured: [CapturedPacket], steps: [Step]) -> [Packet] {
        let parsed = captured.sorted { $0.tNs < $1.tNs }.compactMap { packet in TCPHeaderFields(packet.headers).map { (packet, $0) } }
        var initial: [Packet.Direction: UInt32] = [:]
        for (packet, tcp) in parsed where tcp.has(TCPHeaderFields.syn) && initial[packet.direction] == nil {
            initial[packet.direction] = tcp.seq
        }
        return parsed.map { packet, tcp in
            let other: Packet.Direction = packet.direction == .clientToPeer ? .peerToClient : .clientToPeer
            // Without the other side's SYN (it was not captured), acks stay absolute like tcpdump's.
            let ack = tcp.has(TCPHeaderFields.ackBit) ? Int64(tcp.ack &- (initial[other] ?? 0)) : nil
            return Packet(tNs: packet.tNs, direction: packet.direction, flags: tcp.flagsText,
                          seq: Int64(tcp.seq &- (initial[packet.direction] ?? 0)), ack: ack,
                          length: Int64(tcp.payloadLength), stepSeq: stepInProgress(at: packet.tNs, steps),
                          headers: packet.headers, wireLength: packet.wireLength, lost: packet.lost)
        }
    }

    /// The 1-based position of the last step that started at or before `tNs` (steps are sorted by start).
    package static func stepInProgress(at tNs: Int64, _ steps: [Step]) -> Int? {
        var low = 0, high = steps.count
        while low < high {
            let middle = (low + high) / 2
            if steps[middle].startNs <= tNs { low = middle + 1 } else { high = middle }
        }
        return low == 0 ? nil : low
    }
}
