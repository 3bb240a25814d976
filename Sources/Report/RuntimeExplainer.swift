import Glibc
import PipeLabExperiment
import PipeLabKernel

/// What a real program's runtime made of the kernel's answers, from what the run recorded: the
/// SIGPIPE disposition it ran with (as started, or as it set it with rt_sigaction), which errno of
/// which call became which report (exception, error code), sends it failed without a system call,
/// and a death by signal. Nothing for pipelab's own client.
public enum RuntimeExplainer {
    public static func sentences(_ run: RunResult) -> [String] {
        guard run.scenario.client.isReal, let report = run.client else { return [] }
        let name = run.scenario.client == .command ? "The program" : "The \(run.scenario.client.rawValue) client"
        var sentences: [String] = []
        let started = run.scenario.sigpipe == .ignore ? "ignored" : "at its default action"
        let set = run.steps.filter { $0.actor == .client && $0.op == .sigaction }
        if let last = set.last, let value = last.value.flatMap(SigpipeDisposition.init(rawValue:)) {
            sentences.append("\(name) started with SIGPIPE \(started) and set it itself (rt_sigaction, \(set.count == 1 ? "once" : "\(set.count) times")): "
                + "its writes met \(phrase(value)).")
        } else {
            sentences.append("\(name) started with SIGPIPE \(started) and did not change it: its writes met \(phrase(report.disposition)).")
        }
        let writes = run.clientWrites
        let sends = report.sends
        if !sends.isEmpty && sends.count == writes.count {
            for (write, said) in zip(writes, sends) where write.errno != 0 {
                sentences.append("Send #\(said.number) met \(ErrnoName.of(write.errno)) in \(write.op.rawValue)(2)"
                    + (said.error.map { "; the program was told \($0)." } ?? ", and the program reported success."))
            }
        } else if sends.count > writes.count {
            let unmade = sends.filter { $0.number > writes.count && !$0.ok }
            if let first = unmade.first {
                let shutdown = run.steps.contains { $0.actor == .client && $0.op == .shutdown } ? " after it had shut down its own sending side" : ""
                let numbers = unmade.map { "#\($0.number)" }.joined(separator: ", ")
                sentences.append("\(name) made \(writes.count) write\(writes.count == 1 ? "" : "s") on the connection but reported \(sends.count) sends: "
                    + "it failed send\(unmade.count == 1 ? "" : "s") \(numbers) itself, without a system call\(shutdown), and reported \(first.error ?? "a failure").")
            }
        }
        if run.outcome == .killed, let signal = run.termSignal {
            let during = RunEvidence(run).fatalSend.map { " during send #\($0)" } ?? ""
            sentences.append("\(SignalName.of(signal)) ended the program\(during): it reported nothing for that send.")
        } else if let code = report.exitCode, code != 0 {
            sentences.append("The program exited with status \(code).")
        }
        return sentences
    }

    private static func phrase(_ disposition: SigpipeDisposition) -> String {
        switch disposition {
        case .default: "SIGPIPE's default action, which ends the process"
        case .ignore: "SIGPIPE ignored, so a write to a broken connection only fails with EPIPE"
        case .handler: "a SIGPIPE handler of the runtime's own, which takes the signal and lets the write fail with EPIPE"
        }
    }
}
