import Glibc
import PipeLabExperiment
import PipeLabKernel

/// What a real program's runtime made of the kernel's answers, from what the run recorded: the
/// SIGPIPE disposition it ran with (as started, or as it set it with rt_sigaction), which errno of
/// which call became which report (exception, error code), a report that names another errno than
/// the call's, sends it failed without a system call, and a death by signal. Nothing for
/// pipelab's own client.
public enum RuntimeExplainer {
    public static func sentences(_ run: RunResult) -> [String] {
        guard let disposition = disposition(run) else { return [] }
        return [disposition] + calls(run)
    }

    /// The disposition the program started with, whether it changed it, and what its writes met.
    package static func disposition(_ run: RunResult) -> String? {
        dispositions([run])
    }

    /// The same for several runs of one program (its dispositions started with), said once: the runs
    /// that set the action alike and met the same disposition share a sentence (one that started
    /// blocked may also have unmasked it), and a program that changed nothing in any of them is said
    /// to have met each as it started.
    package static func dispositions(_ runs: [RunResult]) -> String? {
        let told = runs.compactMap { run -> (started: SigpipeMode, set: String?, unmasked: Bool, met: SigpipeDisposition)? in
            guard run.scenario.client.isReal, let report = run.client else { return nil }
            let set = run.steps.filter { $0.actor == .client && $0.op == .sigaction }.count
            // Started blocked, its writes met SIGPIPE unmasked: it took the signal out of its mask.
            return (run.scenario.sigpipe, set == 0 ? nil : "set its action itself (rt_sigaction, \(set == 1 ? "once" : "\(set) times"))",
                    run.scenario.sigpipe == .blocked && report.disposition != .blocked, report.disposition)
        }
        guard let first = runs.first, !told.isEmpty else { return nil }
        let name = subject(first)
        let startedList = { (modes: [SigpipeMode]) in Self.list(uniqued(modes).sorted { $0.position < $1.position }.map(started)) }
        if told.allSatisfy({ $0.set == nil && !$0.unmasked }) {
            let modes = uniqued(told.map(\.started))
            guard modes.count > 1 else {
                return "\(name) started with SIGPIPE \(startedList(modes)) and did not change it: its writes met \(phrase(told[0].met, raised: raised(runs)))."
            }
            return "\(name) did not change SIGPIPE's disposition: started with SIGPIPE \(startedList(modes)), its writes met it as it was."
        }
        var groups: [(set: String?, met: SigpipeDisposition, started: [SigpipeMode], unmasked: [SigpipeMode])] = []
        for entry in told {
            let at = groups.firstIndex { $0.set == entry.set && $0.met == entry.met } ?? {
                groups.append((entry.set, entry.met, [], []))
                return groups.count - 1
            }()
            groups[at].started.append(entry.started)
            if entry.unmasked { groups[at].unmasked.append(entry.started) }
        }
        let subject = name.prefix(1).lowercased() + name.dropFirst()
        return groups.map { group in
            let unmask = " took it out of its signal mask (rt_sigprocmask)"
            let unmasked = group.unmasked.isEmpty ? ""
                : Set(group.started) == Set(group.unmasked) ? (group.set == nil ? unmask : " and" + unmask)
                : "; started \(startedList(group.unmasked)), it also" + unmask
            let changed = group.set ?? (group.unmasked.isEmpty || Set(group.started) != Set(group.unmasked) ? "did not change it" : "")
            let met = phrase(group.met, raised: raised(runs.filter { group.started.contains($0.scenario.sigpipe) }))
            return "Started with SIGPIPE \(startedList(group.started)), \(subject) \(changed)\(unmasked): its writes met \(met)."
                .replacingOccurrences(of: "  ", with: " ")
        }.joined(separator: " ")
    }

    private static func started(_ mode: SigpipeMode) -> String {
        switch mode {
        case .ignore: "ignored"
        case .blocked: "blocked"
        case .default, .handler, .nosignal: "at its default action"
        }
    }

    /// `a, b or c`.
    private static func list(_ items: [String]) -> String {
        guard let last = items.last else { return "" }
        return items.count == 1 ? last : items.dropLast().joined(separator: ", ") + " or " + last
    }

    /// Which call met which errno and what the program was told, or the sends it failed itself, and its death.
    package static func calls(_ run: RunResult) -> [String] {
        guard run.scenario.client.isReal, let report = run.client else { return [] }
        let name = subject(run)
        var sentences: [String] = []
        let writes = run.clientWrites
        let sends = report.sends
        let sendOf = programSends(writes)
        for (index, write) in writes.enumerated() where write.errno != 0 {
            let number = sendOf[index]
            let said = sends.first { $0.number == number }
            let told = said.map { $0.error.map { "the program was told \($0)" } ?? "the program reported success" }
                ?? "the program reported nothing for it"
            let first = sendOf.firstIndex(of: number) ?? index
            var sentence: String
            if first < index, let started = writes[first].result {
                // A buffered write: the runtime's call returned, and it wrote the rest itself later.
                sentence = "Send #\(number)'s first \(writes[first].op.rawValue)(2) returned after \(started) of \(writes[first].bytes) bytes; "
                    + "the runtime kept the rest and wrote it itself, and that later \(write.op.rawValue)(2) met \(ErrnoName.of(write.errno)): "
                    + "\(told) for send #\(number), a failure reported after the call that began the send had returned"
            } else {
                sentence = "Send #\(number) met \(ErrnoName.of(write.errno)) in \(write.op.rawValue)(2); \(told)"
            }
            if let named = said?.errno.flatMap(Int32.init(exactly:)), named > 0, named != write.errno {
                let earlier = writes[..<index].contains { $0.errno == named } ? ", the error an earlier call met" : ""
                sentence += ", which names \(ErrnoName.of(named))\(earlier), not the \(ErrnoName.of(write.errno)) of this call"
            }
            sentences.append(sentence + ".")
        }
        let madeSends = sendOf.last ?? 0
        let unmade = sends.filter { $0.number > madeSends && !$0.ok }
        if let first = unmade.first {
            let shutdown = run.steps.contains { $0.actor == .client && $0.op == .shutdown } ? ", after it had shut down its own sending side" : ""
            let numbers = unmade.map { "#\($0.number)" }.joined(separator: ", ")
            sentences.append("\(name) made \(writes.count) write\(writes.count == 1 ? "" : "s") on the connection for \(madeSends) of its \(sends.count) sends: "
                + "it failed send\(unmade.count == 1 ? "" : "s") \(numbers) itself, without a system call\(shutdown), and reported \(first.error ?? "a failure").")
        }
        // Failures told outside any send: of a traced write that failed so, or of a call pipelab does not trace (a read).
        for event in report.told.filter({ $0.send == nil }) where !sentences.contains(where: { $0.contains(event.error) }) {
            let traced = event.code.map { code in writes.contains { $0.errnoName == code } } ?? false
            sentences.append("Its runtime told it \(event.error) in an 'error' event as well, outside any send: "
                + (traced ? "the failure of its write that met \(event.code ?? "it")." : "from a call of its own that pipelab does not trace (strace records the program's writes, not its reads)."))
        }
        if run.outcome == .killed, let signal = run.termSignal {
            let during = RunEvidence(run).fatalSend.map { " during send #\($0)" } ?? ""
            sentences.append("\(SignalName.of(signal)) ended the program\(during): it reported nothing for that send.")
        } else if let code = report.exitCode, code != 0 {
            sentences.append("The program exited with status \(code).")
        }
        return sentences
    }

    /// The program's send each write belongs to (1-based): a write that asks for exactly what the
    /// send before it left unwritten continues it (a runtime that buffers writes the rest itself);
    /// any other write begins the next send.
    package static func programSends(_ writes: [Step]) -> [Int] {
        var number = 0, remaining: Int64 = 0
        return writes.map { write in
            if !(remaining > 0 && write.bytes == remaining) {
                number += 1
                remaining = write.bytes
            }
            if let result = write.result, result > 0 { remaining -= min(result, remaining) } else { remaining = 0 }
            return number
        }
    }

    private static func subject(_ run: RunResult) -> String {
        run.scenario.client == .command ? "The program" : "The \(run.scenario.client.rawValue) client"
    }

    /// Whether the runs' writes that failed with EPIPE raised SIGPIPE: nil when none failed so, or
    /// when some did and some did not.
    private static func raised(_ runs: [RunResult]) -> Bool? {
        let marks = Set(runs.flatMap(\.clientWrites).filter { $0.errnoName == "EPIPE" }.map(\.sigpipe))
        return marks.count == 1 ? marks.first : nil
    }

    /// `raised`: whether its EPIPE writes raised SIGPIPE (a runtime that sends with MSG_NOSIGNAL raises none).
    private static func phrase(_ disposition: SigpipeDisposition, raised: Bool?) -> String {
        if disposition == .blocked && raised == false {
            return "SIGPIPE blocked, but its writes that failed with EPIPE raised no SIGPIPE, so none was left pending"
        }
        return phrase(disposition)
    }

    private static func phrase(_ disposition: SigpipeDisposition) -> String {
        switch disposition {
        case .default: "SIGPIPE's default action, which ends the process"
        case .ignore: "SIGPIPE ignored, so a write to a broken connection only fails with EPIPE"
        case .handler: "a SIGPIPE handler of the runtime's own, which takes the signal and lets the write fail with EPIPE"
        case .blocked: "SIGPIPE blocked, so a write to a broken connection fails with EPIPE and leaves the signal pending"
        }
    }
}
