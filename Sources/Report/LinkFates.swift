import Glibc
import PipeLabExperiment
import PipeLabKernel
import PipeLabStore

/// What became of the peer's FIN and RST, said from the run's packets when it was captured (when
/// each arrived, or that the link dropped it). A run without capture names no packet as seen: it
/// says what its own steps recorded (our socket's state after each call, the errors) and what the
/// kernel makes of a FIN or an RST. Told in full (`pipelab run`), a packet carries its time; told
/// for a mechanism (a report's Why), it does not, so that the runs of one mechanism read alike.
package enum LinkFates {
    /// After "its kernel sent FIN": where that FIN went.
    package static func fin(_ e: Told) -> String {
        // No arrival is told: one text for every run of a cell, whatever its timing.
        guard e.captured else { return " (packets not captured)" }
        let lost = e.peerFINsLost
        let dropped = lost.isEmpty ? "" : e.detail == .run
            ? " (the link had dropped it " + PacketStory.times(lost) + ")"
            : " (resent: the link had dropped it " + Plural.count(lost.count, "time") + ")"
        if let arrival = e.peerFINArrival {
            // Our own FIN first (a shutdown probe) makes it CLOSING, not CLOSE_WAIT.
            let own = e.ownFIN.map { $0.tNs < arrival.tNs } == true
            return ", which reached our socket\(at(arrival, e))\(dropped)" + (own ? "" : " and moved it to CLOSE_WAIT")
        }
        if !lost.isEmpty {
            let when = e.detail == .run ? " (" + PacketStory.times(lost) + ")" : " each time it was sent"
            return "; the link dropped it\(when), so our socket never learned of the close and stayed ESTABLISHED"
        }
        return "; it had not reached our socket when the run ended"
    }

    /// After "its kernel sent RST": where that RST went, and what tcp_reset() made of it.
    package static func rst(_ e: Told) -> String {
        guard e.captured else {
            return "An RST makes tcp_reset() store ECONNRESET on our socket (the error for any state but CLOSE_WAIT and SYN_SENT) and move it to CLOSE (packets not captured)."
        }
        if let arrival = e.peerRSTArrival, let state = e.stateRSTFound {
            let stored = state == .closeWait ? "EPIPE" : "ECONNRESET"
            return "The RST reached our socket\(at(arrival, e)) and found it \(stateFound(e.evidence) ?? state.name), so tcp_reset() stored \(stored) and moved it to CLOSE."
        }
        if !e.peerRSTsLost.isEmpty {
            let when = e.detail == .run ? " (" + PacketStory.times(e.peerRSTsLost) + ")" : ""
            return "The link dropped the RST\(when), so our socket never learned of it."
        }
        return "The RST had not reached our socket when the run ended."
    }

    /// " at 101.2ms" when the run is told in full; nothing for a mechanism.
    static func at(_ packet: Packet, _ e: Told) -> String {
        e.detail == .run ? " at \(DurationDisplay.format(packet.tNs))" : ""
    }

    /// For a send no captured segment carried: why its bytes never left.
    package static func heldBack(_ number: Int, _ e: RunEvidence) -> String {
        e.sendsNoSegmentCarried.contains(number)
            ? " No segment carried its bytes while the run lasted: Nagle's algorithm holds a small send while earlier data is unacknowledged."
            : ""
    }

    /// The state the RST found, named: by the packets, except for an RST that arrived while our own
    /// shutdown() ran (the kernel handles a packet for a socket a call holds once the call is done,
    /// so the packets cannot tell which came first). nil without an arriving RST.
    package static func stateFound(_ e: RunEvidence) -> String? {
        guard let arrival = e.peerRSTArrival, let state = e.stateRSTFound else { return nil }
        if e.scenario.probe == .shutdownWrite, let probe = e.probe, let duration = probe.durationNs,
           arrival.tNs >= probe.startNs && arrival.tNs <= probe.startNs + duration {
            return "ESTABLISHED or, once our shutdown() had run, FIN_WAIT1 (it arrived during that call)"
        }
        return state.name
    }

    /// Whether the peer's kernel answered with RST: by the packets, or without them by a call of ours
    /// that recorded one.
    package static func peerSentRST(_ e: RunEvidence) -> Bool {
        e.captured ? e.packets.contains { $0.direction == .peerToClient && $0.flags.contains("R") } : recordedRST(e)
    }

    /// After a FIN with nothing unread, when no RST came back (peerSentRST is false).
    package static func noRST(_ e: RunEvidence) -> String {
        e.captured ? "; no RST came back while the run lasted" : "; no call of ours recorded an RST while the run lasted (packets not captured)"
    }

    /// Whether one of our sends recorded a result that shows an RST had arrived: an EPIPE or
    /// ECONNRESET on TCP comes only from an error tcp_reset() stored or from the CLOSE state it
    /// leaves, and so does a recorded CLOSE before our own close. After our own shutdown(SHUT_WR)
    /// only ECONNRESET does: that shutdown makes tcp_sendmsg() refuse with EPIPE itself, and the
    /// peer's FIN then closes our socket through TIME_WAIT. A death by SIGPIPE in a send is such an
    /// EPIPE whose signal killed the process before the call could return it.
    static func recordedRST(_ e: RunEvidence) -> Bool {
        let ownShutdown = e.scenario.probe == .shutdownWrite
        return e.writes.contains { write in
            write.errnoName == "ECONNRESET" || (!ownShutdown && (write.errnoName == "EPIPE" || write.tcpState == .close))
        } || (!ownShutdown && e.termSignal == SIGPIPE && e.fatalSend != nil)
    }

    /// Why send `write` was accepted after the peer ended the connection with a FIN: our socket's
    /// state when the call began, by the packets.
    package static func acceptedAfterFIN(_ write: Step, _ e: Told) -> String {
        switch e.evidence.peerFINArrived(before: write.startNs) {
        case nil:
            // No packets: whether the FIN had arrived is not known, and either way the send is queued.
            return "our socket accepts data whether or not the FIN had arrived (packets not captured), and success only means the kernel queued the bytes"
        case true?:
            return "our socket was in CLOSE_WAIT (the peer's FIN had arrived), which still accepts data, and success only means the kernel queued the bytes"
        case false?:
            if let arrival = e.peerFINArrival {
                let later = e.detail == .run ? "it arrived at \(DurationDisplay.format(arrival.tNs))" : "it arrived later"
                return "the peer's FIN was still on its way (\(later)), so our socket was ESTABLISHED and queued the bytes"
            }
            return e.peerFINsLost.isEmpty
                ? "the peer's FIN had not reached our socket, so it was ESTABLISHED and queued the bytes"
                : "the link had dropped the peer's FIN, so our socket was still ESTABLISHED and queued the bytes"
        }
    }

    /// Why send `write` was accepted after the peer ended the connection with an RST.
    package static func acceptedBeforeRST(_ write: Step, _ e: Told) -> String {
        guard e.captured else { return "its RST had not yet reached our socket when the call ran" }
        // A dropped RST bears on this call only if it would have reached our socket (half a round
        // trip after the link took it) before the call began.
        let lost = e.peerRSTsLost.filter { $0.tNs &+ e.scenario.rttNs / 2 < write.startNs }
        if let arrival = e.peerRSTArrival, arrival.tNs >= write.startNs {
            let reached = "reached our socket only\(at(arrival, e).isEmpty ? "" : at(arrival, e) + ",") after the call began"
            guard !lost.isEmpty else { return "its RST " + reached }
            // No RST is sent again: the one that arrived is the peer's kernel's answer to a later segment of ours.
            let dropped = lost.count == 1 ? "its RST" : "its first \(lost.count) RSTs"
            return "the link dropped \(dropped)" + (e.detail == .run ? " (" + PacketStory.times(lost) + ")" : "") + " and the next one " + reached
        }
        return lost.isEmpty ? "its RST had not reached our socket when the call ran" : "the link had dropped its RST"
    }

    /// The sends whose data provoked the RST: the first data segment to reach the peer after it
    /// began to end the connection (half a round trip after leaving), named with the sends it carried.
    /// `fallback`: the send the steps point to (the first made after the peer's ending), for a run
    /// without packets. `lastSend`: the last send the provoking segment carried.
    package static func provoker(_ e: RunEvidence, fallback number: Int?) -> (name: String, leftNs: Int64, lastSend: Int)? {
        let fallback = number.map { ("send #\($0)", e.writes[$0 - 1].startNs, $0) }
        guard e.captured, let end = e.peerEnd else { return fallback }
        let segment = e.packets.first { packet in
            packet.direction == .clientToPeer && packet.length > 0 && !packet.lost && packet.tNs + e.scenario.rttNs / 2 > end.startNs
        }
        guard let segment else { return fallback }
        let carried = e.sends(carriedBy: segment)
        switch carried.count {
        case 0: return fallback
        case 1: return ("send #\(carried[0])", segment.tNs, carried[0])
        default:
            return ("the segment carrying sends " + Plural.list(carried.map { "#\($0)" }) + " (Nagle's algorithm held the later ones back while earlier data was unacknowledged, then sent them together)", segment.tNs, carried[carried.count - 1])
        }
    }
}
