import PipeLabExperiment
import PipeLabStore

/// The sentence on a disturbed run (DESIGN.md, "Run validity"): what the steps and packets show,
/// by cause. The machine's leave the verdict; the link's are the experiment and counted.
package enum DisturbanceExplainer {
    package static func sentence(_ e: RunEvidence) -> String? {
        guard let disturbance = e.disturbance else { return nil }
        let call = e.scenario.transport.isSocket ? "send" : "write"
        let next = e.writes.count >= 2 ? "\(call) #2 started" : "the probe was made"
        let kept = "It is kept, flagged `peer_late` (`disturbance` = 'cpu'), and left out of its cell's verdict."
        switch disturbance.reason {
        case .peerLate:
            // Said only where the packets show it: a run without capture cannot tell.
            let link = e.scenario.hasLink && !e.packets.isEmpty ? " and the link dropped nothing before it" : ""
            return "The machine disturbed this run: the peer had not begun to end the connection when \(next), although the \(DurationText.format(e.scenario.sleepNs)) sleep should have let it\(link) (the peer was starved of the CPU). \(kept)"
        case .pauseLate:
            guard let pause = e.latePause else { return nil }
            let which = pause.kind == .sleep
                ? "the \(DurationText.format(pause.askedNs)) sleep after \(call) #1"
                : "the \(DurationText.format(pause.askedNs)) pause before \(call) #\(pause.beforeSend)"
            return "The machine disturbed this run: \(which) took \(DurationDisplay.format(pause.tookNs)), more than 1 % + 100 µs over (the client got the CPU late). \(kept)"
        case .peerStartedLate:
            guard let first = e.writes.first, let peer = e.peerFirstCall else { return nil }
            return "The machine disturbed this run: the peer's first call began \(DurationDisplay.format(peer.startNs - first.startNs)) after \(call) #1 did, so the client's calls did not race a waiting peer (the peer was starved of the CPU). \(kept)"
        case .segmentLost:
            return "The link decided this run, not the machine: it dropped \(PacketStory.list(e.lostBeforeSleepEnds, e)) before \(next), so the peer had not ended the connection by then although the sleep covered the round trip. That is the experiment: the run counts in its cell's verdict (`disturbance` = 'link')."
        }
    }
}
