import PipeLabKernel

/// A captured run's packet facts that the explanations rest on, as one text (`runs.link_fate`):
/// runs of a cell and signature whose texts are equal are told alike, so a report explains each
/// fate by a run of its own (issue 18). Untimed, in time order, each fact placed by how many of
/// the client's sends had begun before it (`F@2`: the peer's FIN arrived after send #2 began):
///
/// - `E` the peer began to end the connection; `P`, `p` our probe call began, returned;
/// - `F`, `R` the peer's first FIN and RST to reach our socket, `F!`, `R!` each the link dropped
///   before; `f` our own FIN as it left;
/// - `v3` or `v2-3` the first segment of ours to reach the peer after its ending (the one whose
///   data provokes its RST), with the sends it carried;
/// - where the run's text names what the link dropped (a run it timed out, or one the link kept
///   from ending before the call after the sleep), each such packet, marked `!`: `d1!` a segment
///   carrying send #1, `s!` our SYN, `S!` the peer's SYN-ACK, `a!`/`A!` an ACK of ours/the
///   peer's, `r!` our RST, `f!` our FIN;
/// - `h3,4` at the end: sends no segment carried while the run lasted (Nagle held them).
///
/// Our segments are placed when they reach the peer (half a round trip after leaving), the peer's
/// when they reach us (a dropped one: when it would have, half a round trip after it left, so that
/// runs whose dropped RST would have come before the last send are told apart from the others).
/// nil for a run without packets.
extension RunEvidence {
    public var linkFate: String? {
        guard captured else { return nil }
        var facts: [(tNs: Int64, text: String)] = []
        if let peerEnd { facts.append((peerEnd.startNs, "E")) }
        if let probe {
            facts.append((probe.startNs, "P"))
            if let duration = probe.durationNs { facts.append((probe.startNs &+ duration, "p")) }
        }
        let peerEnding = peerFINsLost.map { ($0, "F!") } + peerRSTsLost.map { ($0, "R!") }
            + [peerFINArrival.map { ($0, "F") }, peerRSTArrival.map { ($0, "R") }, ownFIN.map { ($0, $0.lost ? "f!" : "f") }].compactMap { $0 }
        let provoking = peerEnd.flatMap { end in
            packets.first { $0.direction == .clientToPeer && $0.length > 0 && !$0.lost && $0.tNs &+ scenario.rttNs / 2 > end.startNs }
        }
        var told = peerEnding + (provoking.map { [($0, "v" + carriedRange($0))] } ?? [])
        let named = outcome == .timeout ? lostPackets
            : disturbances.contains { $0.reason == .segmentLost } ? lostBeforeSleepEnds : []
        told += named.filter { lost in !told.contains { $0.0 == lost } }.map { ($0, lostName($0)) }
        for (packet, text) in told {
            // Our data counts when it reaches the peer, and the peer's packets the link dropped when
            // they would have reached us (as the explanations weigh them); the rest as captured.
            let delayed = packet.direction == .clientToPeer ? packet.length > 0 : packet.lost
            facts.append((delayed ? packet.tNs &+ scenario.rttNs / 2 : packet.tNs, text))
        }
        // Stable: facts at one instant keep the order above.
        let ordered = facts.enumerated().sorted { ($0.element.tNs, $0.offset) < ($1.element.tNs, $1.offset) }.map(\.element)
        var text = ordered.map { fact in "\(fact.text)@\(writes.prefix { $0.startNs < fact.tNs }.count)" }
        let held = sendsNoSegmentCarried
        if !held.isEmpty { text.append("h" + held.map(String.init).joined(separator: ",")) }
        return Self.bounded(text.joined(separator: " "))
    }

    /// `2` or `2-3`: the sends a data segment carried.
    private func carriedRange(_ packet: Packet) -> String {
        let carried = sends(carriedBy: packet)
        guard let first = carried.first, let last = carried.last else { return "" }
        return first == last ? "\(first)" : "\(first)-\(last)"
    }

    /// A dropped packet other than the peer's FIN or RST, as PacketStory names it.
    private func lostName(_ packet: Packet) -> String {
        let flags = packet.flags
        switch packet.direction {
        case .peerToClient:
            return flags.contains("S") ? "S!" : flags.contains("R") ? "R!" : flags.contains("F") ? "F!" : "A!"
        case .clientToPeer:
            if flags.contains("S") { return "s!" }
            if flags.contains("R") { return "r!" }
            if packet.length > 0 { return "d" + carriedRange(packet) + "!" }
            return flags.contains("F") ? "f!" : "a!"
        }
    }

    /// Longer texts (a run of thousands of sends over a lossy link) are kept as a digest: the
    /// column is a key that runs are grouped on, and a row's text is bounded (RowRules).
    static let fateCharacters = 512

    /// The text, or for a longer one `#` and its 64-bit FNV-1a digest in hex.
    static func bounded(_ text: String) -> String {
        guard text.utf8.count > fateCharacters else { return text }
        return "#" + FNV1a.hex(text.utf8)
    }
}
