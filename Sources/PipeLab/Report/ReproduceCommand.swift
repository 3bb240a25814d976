/// The `pipelab sweep` command line that runs a spec again, pasteable into a POSIX shell.
public enum ReproduceCommand {
    public static func of(_ spec: SweepSpec) -> String {
        var words = ["pipelab", "sweep",
                     "--transport", spec.transport.map(\.rawValue).joined(separator: ","),
                     "--peer", spec.peer.map(\.rawValue).joined(separator: ","),
                     "--sigpipe", spec.sigpipe.map(\.rawValue).joined(separator: ","),
                     "--sleep", spec.sleep.map(DurationText.format).joined(separator: ","),
                     "--sends", spec.sends.map(String.init).joined(separator: ","),
                     "--payload", spec.payload.map(SizeText.format).joined(separator: ","),
                     "--probe", spec.probe.map(\.rawValue).joined(separator: ","),
                     "--repeat", String(spec.repeats), "--jobs", String(spec.jobs),
                     "--timeout", DurationText.format(spec.timeoutNs), "--order", spec.order.rawValue]
        // Only where the grid has them, so a command for a sweep of the classic network reads as before.
        if spec.interval != [0] || spec.rtt != [0] || spec.loss != [0] {
            let interval: String = spec.interval.map(DurationText.format).joined(separator: ",")
            let rtt: String = spec.rtt.map(DurationText.format).joined(separator: ",")
            let loss: String = spec.loss.map(LossText.format).joined(separator: ",")
            words += ["--interval", interval, "--rtt", rtt, "--loss", loss]
        }
        if let probeSleep = spec.probeSleep { words += ["--probe-sleep", probeSleep.map(DurationText.format).joined(separator: ",")] }
        if let linkSleep = spec.linkSleep { words += ["--link-sleep", linkSleep.map(DurationText.format).joined(separator: ",")] }
        if spec.order == .shuffle { words += ["--seed", String(spec.seed)] }
        // Attached with '=', so a name that starts with '-' is not read as an option.
        if let name = spec.name { words.append("--name=" + shellQuoted(name)) }
        return words.joined(separator: " ")
    }

    /// A word as a POSIX shell reads it back: bare when safe, else single-quoted.
    public static func shellQuoted(_ word: String) -> String {
        let safe = !word.isEmpty && word.allSatisfy { $0.isLetter || $0.isNumber || "-_.,/:+=@%".contains($0) }
        return safe ? word : "'" + word.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
    }
}
