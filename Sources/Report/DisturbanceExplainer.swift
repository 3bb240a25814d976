import PipeLabExperiment
import PipeLabStore

/// The sentence on a disturbed run (DESIGN.md, "Run validity"): what the steps and packets show,
/// by cause. The machine's leave the verdict; the link's are the experiment and counted.
package enum DisturbanceExplainer {
    /// What the run's disturbances were: the machine's in one paragraph that says once that the run
    /// is kept and left out of the verdict, only when `machine` (a report leaves those runs out);
    /// then the link's, which are part of the mechanism it explains.
    package static func sentences(_ e: RunEvidence, machine: Bool) -> [String] {
        let causes = e.disturbances.filter(\.leavesVerdict).compactMap { cause($0, e) }
        let own = machine && !causes.isEmpty
            ? ["The machine disturbed this run: " + Plural.list(causes) + ". " + kept] : []
        return own + e.disturbances.filter { !$0.leavesVerdict }.compactMap { linkSentence($0, e, timed: machine) }
    }

    static let kept = "It is kept, flagged `peer_late` (`disturbance` = 'cpu'), and left out of its cell's verdict."

    /// What the machine did, as a clause (nil for the link's).
    package static func cause(_ disturbance: Disturbance, _ e: RunEvidence) -> String? {
        let call = e.scenario.transport.isSocket ? "send" : "write"
        let next = e.writes.count >= 2 ? "\(call) #2 started" : "the probe was made"
        switch disturbance.reason {
        case .peerLate:
            // Said only where the packets show it: a run without capture cannot tell.
            let link = e.scenario.hasLink && !e.packets.isEmpty ? " and the link dropped nothing before it" : ""
            return "the peer had not begun to end the connection when \(next), although the \(DurationText.format(e.scenario.sleepNs)) sleep should have let it\(link) (the peer was starved of the CPU)"
        case .pauseLate:
            let late = e.pauses.filter(\.isLate).map { pause in
                let next = pause.kind == .sleep && e.writes.count < 2 ? "the probe" : "\(call) #\(pause.beforeSend)"
                guard pause.askedNs > 0 else {
                    return "\(next) began \(DurationDisplay.format(pause.tookNs)) after the call before it returned, with no pause asked"
                }
                let which = pause.kind == .sleep ? "sleep" : "pause"
                return "the \(DurationText.format(pause.askedNs)) \(which) before \(next) took \(DurationDisplay.format(pause.tookNs))"
            }
            return "\(Plural.list(late)), more than 1 % + 100 µs over (the client got the CPU late)"
        case .peerStartedLate:
            guard let first = e.writes.first, let peer = e.peerFirstCall else { return nil }
            return "the peer's first call began \(DurationDisplay.format(peer.startNs - first.startNs)) after \(call) #1 did, so the client's calls did not race a waiting peer (the peer was starved of the CPU)"
        case .segmentLost:
            return nil
        }
    }

    /// The link's disturbance: the experiment, counted in the verdict.
    /// `timed`: the dropped packets with their times (one run told in full).
    package static func linkSentence(_ disturbance: Disturbance, _ e: RunEvidence, timed: Bool) -> String? {
        guard disturbance.reason == .segmentLost else { return nil }
        let next = e.writes.count >= 2 ? "\(e.scenario.transport.isSocket ? "send" : "write") #2 started" : "the probe was made"
        return "The link decided this run, not the machine: it dropped \(PacketStory.list(e.lostBeforeSleepEnds, e, timed: timed)) before \(next), so the peer had not ended the connection by then although the sleep covered the round trip. That is the experiment: the run counts in its cell's verdict (runs.disturbance = 'link')."
    }
}
