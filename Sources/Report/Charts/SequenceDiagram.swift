import PipeLabStore
import PipeLabExperiment
import PipeLabKernel

/// One recorded run as a sequence diagram: a lane for the client and one for the peer, each
/// system call a box in start order with its result, errno and SIGPIPE, the TCP state of the
/// caller's socket after it, the client's sleep as a gap, and, where the run's packets were
/// captured, each packet (data, FIN, RST) as an arrow between the lanes after the call in progress.
public enum SequenceDiagram {
    package static let margin = 16.0, width = 840.0, rowHeight = 44.0, boxHeight = 36.0, boxWidth = 220.0
    package static let timeRight = 100.0, clientX = 240.0, peerX = 590.0, sleepGap = 40.0, packetHeight = 20.0

    /// How a call ended, which sets its box's colours.
    package enum Result {
        case ok, failed, short, noReturn, peerCall

        package var fill: String {
            switch self {
            case .ok: "#e6f4ea"
            case .failed: "#fde8e6"
            case .short: "#e3f4fb"
            case .noReturn: "#EE6677"
            case .peerCall: "#f1f1f1"
            }
        }

        package var stroke: String {
            switch self {
            case .ok: "#228833"
            case .failed: "#cc3311"
            case .short: "#2a8fb5"
            case .noReturn: "#8b1a1a"
            case .peerCall: "#888888"
            }
        }
    }

    public static func svg(_ run: RepresentativeRun) -> String {
        let s = run.scenario
        var body = [
            SVG.text(run.signature, x: margin, y: 24, size: 15, bold: true, mono: true),
            SVG.text("run \(run.runID): \(s.transport.rawValue), peer \(s.peer.rawValue), sigpipe \(s.sigpipe.rawValue), "
                     + "sleep \(DurationText.format(s.sleepNs)), \(s.sends) send\(s.sends == 1 ? "" : "s") of \(SizeText.label(s.payloadBytes)), "
                     + (s.probe == .none ? "" : "probe \(s.probe.rawValue), ") + "repeat \(run.repeatIndex)", x: margin, y: 44),
            SVG.text(run.signatureRuns == 1 ? "the only run with this signature"
                     : "a typical run (median duration) of the cell with the most runs of this signature: \(run.cellRuns) of its \(run.signatureRuns) runs (in \(run.signatureCells) cell\(run.signatureCells == 1 ? "" : "s"))",
                     x: margin, y: 62, fill: "#555555"),
            SVG.text("start", x: timeRight, y: 98, anchor: .end, fill: "#555555"),
        ]
        for (name, x) in [("client", clientX), ("peer", peerX)] {
            body.append(SVG.rect(x: x - 50, y: 80, width: 100, height: 26, fill: "white", stroke: "#333333", radius: 4))
            body.append(SVG.text(name, x: x, y: 98, size: 14, anchor: .middle, bold: true))
        }
        let rowsTop = 116.0
        var y = rowsTop, sendNumber = 0, sleepStart: Double?, clientEnd: Double?
        var boxes: [String] = []
        let firstSend = run.steps.firstIndex { $0.actor == .client && $0.op.isClientWrite }
        for (index, step) in run.steps.enumerated() {
            let isSend = step.actor == .client && step.op.isClientWrite
            if isSend { sendNumber += 1 }
            // The sleep: from the end of send #1 to the client's next call, drawn as a gap before that call.
            if let start = sleepStart, step.actor == .client {
                boxes += sleep(from: start, to: y + sleepGap, scenario: s, sleptNs: sleptNs(run.steps, from: firstSend, to: index))
                y += sleepGap
                sleepStart = nil
            }
            boxes += call(step, in: run, sendNumber: isSend ? sendNumber : nil, top: y)
            if step.actor == .client, step.result == nil { clientEnd = y + boxHeight }
            if index == firstSend, s.sleepNs > 0 { sleepStart = y + boxHeight }
            y += rowHeight
            // The packets that left or arrived while this call was the last one started (steps.seq is 1-based).
            for packet in run.packets where packet.stepSeq == index + 1 {
                boxes += arrow(packet, top: y - rowHeight + boxHeight + 2)
                y += packetHeight
            }
        }
        let bottom = y
        // Lifelines behind the boxes; the client's ends where its process died.
        body.append(SVG.line(x1: clientX, y1: 106, x2: clientX, y2: clientEnd ?? bottom, stroke: "#999999", dashed: true))
        body.append(SVG.line(x1: peerX, y1: 106, x2: peerX, y2: bottom, stroke: "#999999", dashed: true))
        body += boxes
        var notes = ["Rows are the system calls in the order they started, not to scale; the left column is each call's start time from the run's start."]
        if s.sleepNs > 0 { notes.append("The purple bar on the client's lane is its sleep after send #1.") }
        if s.transport.isTCP {
            notes.append("The label right of a box is the TCP state of the caller's socket after the call (TCP_INFO); none once the socket is closed.")
            notes.append(run.packets.isEmpty
                ? "No packets were captured for this run (a sweep records them with --capture; pipelab run always does)."
                : "Arrows between the lanes are the packets captured on the machine, after the call that was in progress, in tcpdump's flags (P. data, F. FIN, R RST) with their payload length; dashed: dropped by the emulated link.")
        }
        if run.outcome == .killed { notes.append("The client's lane ends in the call during which \(run.termSignal ?? "a signal") killed the process.") }
        let caption = SVG.paragraphs(notes, x: margin, y: bottom + 20, width: width - 2 * margin)
        body += caption.elements
        return SVG.document(width: width, height: caption.end, body: body)
    }

    /// One packet as an arrow from its sender's lane to the other, labelled with its flags and length.
    package static func arrow(_ packet: Packet, top: Double) -> [String] {
        let fromClient = packet.direction == .clientToPeer
        let (from, to) = fromClient ? (clientX, peerX) : (peerX, clientX)
        let y = top + packetHeight / 2
        let color = packet.flags.contains("R") ? "#cc3311" : packet.flags.contains("F") ? "#1f5f99" : "#777777"
        let head = fromClient ? -6.0 : 6.0
        return [
            SVG.text(DurationDisplay.format(packet.tNs), x: timeRight, y: y + 4, anchor: .end, fill: "#999999"),
            SVG.line(x1: from, y1: y, x2: to, y2: y, stroke: color, width: 1.5, dashed: packet.lost),
            SVG.line(x1: to + head, y1: y - 4, x2: to, y2: y, stroke: color, width: 1.5),
            SVG.line(x1: to + head, y1: y + 4, x2: to, y2: y, stroke: color, width: 1.5),
            SVG.text("\(packet.flags)" + (packet.length > 0 ? " len \(packet.length)" : "") + (packet.lost ? " (dropped)" : ""),
                     x: (clientX + peerX) / 2, y: y - 3, anchor: .middle, fill: color),
        ]
    }

    /// End of send #1 to the start of the client's next call, as recorded.
    package static func sleptNs(_ steps: [Step], from first: Int?, to next: Int) -> Int64? {
        guard let first, let duration = steps[first].durationNs else { return nil }
        return steps[next].startNs - steps[first].startNs - duration
    }

    package static func sleep(from top: Double, to bottom: Double, scenario: Scenario, sleptNs: Int64?) -> [String] {
        let label = "sleep \(DurationText.format(scenario.sleepNs))" + (sleptNs.map { " (next call \(DurationDisplay.format($0)) later)" } ?? "")
        return [
            SVG.rect(x: clientX - 4, y: top + 2, width: 8, height: bottom - top - 6, fill: "#d9c7e8", stroke: "#7b5ea7"),
            SVG.text(label, x: clientX + 12, y: bottom - 14, fill: "#5b3f87"),
        ]
    }

    package static func call(_ step: Step, in run: RepresentativeRun, sendNumber: Int?, top: Double) -> [String] {
        let x = step.actor == .client ? clientX : peerX
        let result: Result = step.actor == .peer ? .peerCall
            : step.result == nil ? .noReturn
            : (step.result ?? 0) < 0 ? .failed
            : step.op.isClientWrite && (step.result ?? 0) < step.bytes ? .short : .ok
        var out = [
            SVG.text(DurationDisplay.format(step.startNs), x: timeRight, y: top + 22, anchor: .end, fill: "#555555"),
            SVG.rect(x: x - boxWidth / 2, y: top, width: boxWidth, height: boxHeight, fill: result.fill, stroke: result.stroke, radius: 4),
            SVG.text(callText(step, scenario: run.scenario, sendNumber: sendNumber), x: x - boxWidth / 2 + 8, y: top + 15),
            SVG.text(resultText(step, run: run), x: x - boxWidth / 2 + 8, y: top + 30, bold: result != .ok && result != .peerCall),
        ]
        // Beside the box: the SIGPIPE raised during the call, then the socket's TCP state after it.
        var labelX = x + boxWidth / 2 + 6
        if step.sigpipe {
            out.append(SVG.rect(x: labelX, y: top + 9, width: 60, height: 18, fill: "#cc3311", radius: 3))
            out.append(SVG.text("SIGPIPE", x: labelX + 30, y: top + 22, anchor: .middle, bold: true, fill: "white"))
            labelX += 66
        }
        if let state = step.tcpState {
            out.append(SVG.text(state.name, x: labelX, y: top + 22, fill: "#1f5f99"))
        }
        return out
    }

    package static func callText(_ step: Step, scenario: Scenario, sendNumber: Int?) -> String {
        let name = sendNumber.map { "\(step.op.rawValue) #\($0)" } ?? step.op.rawValue
        switch step.op {
        case .send, .write, .recv, .read: return "\(name)(\(SizeText.label(step.bytes)))"
        case .setsockopt where step.actor == .peer: return "setsockopt(SO_LINGER {1, 0})"
        case .shutdown where step.actor == .peer && scenario.peer == .shutdownWrite: return "shutdown(SHUT_WR)"
        case .shutdown where step.actor == .peer && scenario.peer == .shutdownReadWrite: return "shutdown(SHUT_RDWR)"
        case .poll where step.actor == .peer: return "poll(POLLIN)"
        case .ioctl: return "ioctl(FIONREAD)"
        default: return "\(name)()"
        }
    }

    package static func resultText(_ step: Step, run: RepresentativeRun) -> String {
        guard let result = step.result else {
            return run.outcome == .timeout ? "no return: stopped at the timeout" : "no return: killed by \(run.termSignal ?? "a signal")"
        }
        if result < 0 { return "= -1 " + (step.errnoName ?? "") }
        if step.op.isClientWrite, result < step.bytes { return "= \(result) (short)" }
        return "= \(result)"
    }
}
