import PipeLabExperiment
import PipeLabStore

/// Packets in words, for the sentences that rest on them: what each was (which sends a data
/// segment carried, by its sequence numbers) and when, on the run's clock.
package enum PacketStory {
    /// "send #1's data (at 101.2 ms)", "the segment carrying sends #2 and #3 (at …)", "the peer's FIN (at …)";
    /// untimed, without "(at …)".
    package static func name(_ packet: Packet, _ e: RunEvidence, timed: Bool = true) -> String {
        let flags = packet.flags
        let what: String
        switch packet.direction {
        case .clientToPeer:
            if flags.contains("S") { what = "the client's SYN" }
            else if flags.contains("R") { what = "our RST" }
            else if packet.length > 0 {
                let carried = e.sends(carriedBy: packet)
                switch carried.count {
                case 0: what = "a segment of our data"
                case 1: what = "send #\(carried[0])'s data"
                default: what = "the segment carrying sends " + Plural.list(carried.map { "#\($0)" })
                }
            } else if flags.contains("F") { what = "our FIN" }
            else { what = "an ACK of ours" }
        case .peerToClient:
            if flags.contains("S") { what = "the peer's SYN-ACK" }
            else if flags.contains("R") { what = "the peer's RST" }
            else if flags.contains("F") { what = "the peer's FIN" }
            else { what = "an ACK of the peer's" }
        }
        return timed ? what + " (at \(DurationDisplay.format(packet.tNs)))" : what
    }

    /// The packets named in order; untimed, a run of packets of one name is named once with its
    /// count ("the peer's SYN-ACK 3 times", "2 ACKs of ours"), as the link dropped a packet and
    /// its retransmissions.
    package static func list(_ packets: [Packet], _ e: RunEvidence, timed: Bool = true) -> String {
        var named: [(name: String, count: Int)] = []
        for packet in packets {
            let name = name(packet, e, timed: timed)
            if !timed, named.last?.name == name { named[named.count - 1].count += 1 } else { named.append((name, 1)) }
        }
        return Plural.list(named.map { counted($0.name, $0.count) })
    }

    /// `the client's SYN twice`; an indefinite name, whose packets are distinct ones, as a number: `2 ACKs of ours`.
    private static func counted(_ name: String, _ count: Int) -> String {
        guard count > 1 else { return name }
        for (one, many) in [("an ACK", "ACKs"), ("a segment", "segments")] where name.hasPrefix(one + " ") {
            return "\(count) \(many)" + name.dropFirst(one.count)
        }
        return name + (count == 2 ? " twice" : " \(count) times")
    }

    /// "at 1.065s", "at 1.065s and at 1.27s": when packets of one kind went.
    package static func times(_ packets: [Packet]) -> String {
        Plural.list(packets.map { "at \(DurationDisplay.format($0.tNs))" })
    }
}
