import PipeLabStore
import PipeLabExperiment
import PipeLabKernel

/// How `pipelab run` shows one run: a timeline for people, or one JSON object for machines.
public enum RunView {
    /// The `--json` object: parameters, outcome, signature, term_signal, steps and packets.
    public static func json(_ run: RunResult) -> String {
        let evidence = RunEvidence(run)
        var members: [(String, JSONValue)] = [
            ("parameters", .object(run.scenario.parameterStrings.map { ($0.name, .string($0.value)) })),
            ("outcome", .string(run.outcome.rawValue)),
            ("signature", .string(run.signature)),
            ("term_signal", run.termSignal.map(SignalName.of).json),
            ("probe_result", run.probeResult.json),
            ("first_failing_send", run.firstFailingSend.map { Int64($0) }.json),
            ("fatal_send", evidence.fatalSend.map { Int64($0) }.json),
            ("slept_ns", evidence.sleptNs.json),
            ("peer_late", .bool(evidence.machineDisturbed)),
            ("disturbance", evidence.disturbance.map(\.cause.rawValue).json),
            ("disturbance_reason", evidence.disturbance.map(\.reason.rawValue).json),
            ("peer_read_bytes", evidence.peerReadBytes.json),
            ("peer_left_unread", evidence.peerLeftUnread.map { JSONValue.bool($0) } ?? .null),
            ("duration_ns", .int(run.durationNs)),
            ("steps", .array(run.steps.map(stepJSON))),
            ("packets", .array(run.packets.enumerated().map { packetJSON($1, number: $0 + 1) })),
        ]
        if let report = run.client {
            members.append(("client", .object([
                ("program", .string(run.scenario.client.rawValue)),
                ("exit_code", report.exitCode.map { Int64($0) }.json),
                ("sigpipe", .string(report.disposition.name)),
                ("error", report.error.json),
                ("output", .string(report.output)),
            ])))
        }
        if let message = run.harnessMessage { members.append(("harness_error", .string(message))) }
        if let seed = run.lossSeed { members.append(("loss_seed", .int(Int64(seed)))) }
        return JSONValue.object(members).text
    }

    package static func stepJSON(_ step: Step) -> JSONValue {
        .object([
            ("actor", .string(step.actor.rawValue)),
            ("op", .string(step.op.rawValue)),
            ("bytes", .int(step.bytes)),
            ("result", step.result.json),
            ("errno", step.errno == 0 ? .null : .int(Int64(step.errno))),
            ("errno_name", step.errnoName.json),
            ("sigpipe", .bool(step.sigpipe)),
            ("start_ns", .int(step.startNs)),
            ("duration_ns", step.durationNs.json),
            ("tcp_state", step.tcpState.map { .string($0.name) } ?? .null),
            ("value", step.value.json),
        ])
    }

    package static func packetJSON(_ packet: Packet, number: Int) -> JSONValue {
        .object([
            ("number", .int(Int64(number))),
            ("t_ns", .int(packet.tNs)),
            ("direction", .string(packet.direction.rawValue)),
            ("flags", .string(packet.flags)),
            ("seq", .int(packet.seq)),
            ("ack", packet.ack.json),
            ("length", .int(packet.length)),
            ("step_seq", packet.stepSeq.map { Int64($0) }.json),
            ("lost", .bool(packet.lost)),
        ])
    }

    /// The readable timeline: one line per step and per packet in time order, then the outcome,
    /// the signature and why.
    public static func timeline(_ run: RunResult) -> String {
        let s = run.scenario
        let evidence = RunEvidence(run)
        var lines = [
            "pipelab run: \(s.transport.rawValue), peer \(s.peer.rawValue), sigpipe \(s.sigpipe.rawValue), "
                + "sleep \(DurationText.format(s.sleepNs)), \(s.sends) send\(s.sends == 1 ? "" : "s") of \(SizeText.format(s.payloadBytes)) bytes"
                + (s.probe == .none ? "" : ", probe \(s.probe.rawValue)")
                + (s.network == .plain ? "" : ", " + s.network.label)
                + (s.client.isReal ? ", client \(s.client.rawValue) (traced by strace)" : ""),
            "",
            pad("time", 12, right: true) + "  " + pad("actor", 7) + pad("call", 24) + pad("result", 10)
                + pad("errno", 17) + pad("signal", 9) + "tcp state",
        ]
        var sendNumber = 0
        var sleptNoted = false
        let probe = run.probeStep
        var packets = run.packets[...]
        for step in run.steps {
            while let packet = packets.first, packet.tNs < step.startNs {
                lines.append(line(for: packet))
                packets = packets.dropFirst()
            }
            let isSend = step.actor == .client && step.op.isClientWrite
            let isProbe = probe.map { $0 == step } ?? false
            if isSend { sendNumber += 1 }
            // The sleep comes before the probe, or before send #2 when there is none.
            if (isProbe || (isSend && sendNumber == 2)) && !sleptNoted && s.sleepNs > 0 {
                let slept = evidence.sleptNs.map { ", slept \(DurationDisplay.format($0))" } ?? ""
                lines.append(pad("", 14) + "(client sleeps \(DurationText.format(s.sleepNs))\(slept))")
                sleptNoted = true
            }
            let probeNote = isProbe ? run.probeResult.map { "  probe \(s.probe.rawValue) → \($0)" } ?? "" : ""
            lines.append(line(for: step, sendNumber: isSend ? sendNumber : nil) + probeNote)
        }
        lines += packets.map(line(for:))
        if run.outcome == .killed {
            lines.append(pad("", 14) + "client process killed by \(SignalName.of(run.termSignal ?? 0))")
        }
        if run.outcome == .timeout { lines.append(pad("", 14) + "run stopped at its timeout") }
        lines += ["", "outcome:   \(run.outcome.rawValue)", "signature: \(run.signature)"]
        if let result = run.probeResult { lines.append("probe:     \(s.probe.rawValue) → \(result)") }
        if let message = run.harnessMessage { lines.append("harness:   \(message)") }
        if let report = run.client {
            let end = report.exitCode.map { "exit \($0)" } ?? "killed by \(SignalName.of(run.termSignal ?? 0))"
            lines.append("program:   \(end), SIGPIPE \(report.disposition.name) when it wrote")
            if let error = report.error { lines.append("told:      \(error)") }
        }
        if let disturbance = evidence.disturbance {
            let reasons = evidence.disturbances.filter { $0.cause == disturbance.cause }.map(\.reason.rawValue)
            lines.append("disturbed: \(disturbance.cause == .cpu ? "yes, by the machine" : "by the link") (\(reasons.joined(separator: ", ")))")
        }
        lines += ["", "Why:"]
        for paragraph in Explainer.explain(run) + RuntimeExplainer.sentences(run) {
            lines += wrap(paragraph, width: 96).map { "  " + $0 }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    package static func line(for step: Step, sendNumber: Int?) -> String {
        let time = String(format3(Double(step.startNs) / 1e6)) + " ms"
        let callName = sendNumber.map { "\(step.op.rawValue) #\($0)" } ?? step.op.rawValue
        let disposition = step.op == .sigaction ? step.value.flatMap(SigpipeDisposition.init(rawValue:)) : nil
        let call = step.op == .ioctl ? "ioctl(FIONREAD)" : disposition.map { "rt_sigaction → \($0.name)" }
            ?? (step.bytes > 0 ? "\(callName)(\(step.bytes) B)" : "\(callName)()")
        let result = step.result.map(String.init) ?? "—"
        let errno = step.errno == 0 ? "" : "\(step.errnoName ?? "")(\(step.errno))"
        let signal = step.sigpipe ? "SIGPIPE" : ""
        let text = pad(time, 12, right: true) + "  " + pad(step.actor.rawValue, 7) + pad(call, 24) + pad(result, 10)
            + pad(errno, 17) + pad(signal, 9) + (step.tcpState?.name ?? "")
        return String(text.reversed().drop { $0 == " " }.reversed())
    }

    /// `   0.301 ms  packet peer->client  F.  seq 1 ack 6  len 0`
    package static func line(for packet: Packet) -> String {
        let ack = packet.ack.map { " ack \($0)" } ?? ""
        return pad(format3(Double(packet.tNs) / 1e6) + " ms", 12, right: true) + "  packet " + pad(packet.direction.rawValue, 14)
            + pad(packet.flags, 4) + "seq \(packet.seq)\(ack)  len \(packet.length)" + (packet.lost ? "  lost on the link" : "")
    }

    /// Milliseconds with three decimals, without Foundation's formatter.
    package static func format3(_ value: Double) -> String {
        let thousandths = Int64((value * 1000).rounded())
        let fraction = String(abs(thousandths % 1000))
        return "\(thousandths / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }

    package static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return right ? fill + text : text + fill
    }

    package static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ") {
            if !current.isEmpty && current.count + word.count + 1 > width {
                lines.append(current)
                current = ""
            }
            current += current.isEmpty ? String(word) : " " + word
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }
}
