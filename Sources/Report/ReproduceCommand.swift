import PipeLabStore
import PipeLabExperiment
import PipeLabKernel

/// The `pipelab sweep` command line that runs a spec again, pasteable into a POSIX shell.
public enum ReproduceCommand {
    public static func of(_ spec: SweepSpec) -> String {
        (["pipelab sweep"] + options(spec)).joined(separator: " ")
    }

    /// The same command in lines of at most `width` characters where the options allow, joined
    /// with backslash-newline: a code block on GitHub then needs no horizontal scrolling.
    public static func wrapped(_ spec: SweepSpec, width: Int = 90) -> String {
        var lines: [String] = [], current = "pipelab sweep"
        for option in options(spec) {
            if current.count + 1 + option.count + 2 > width {
                lines.append(current)
                current = "   "
            }
            current += " " + option
        }
        return (lines + [current]).joined(separator: " \\\n")
    }

    /// Each option with its value, one string each.
    package static func options(_ spec: SweepSpec) -> [String] {
        var options = ["--transport " + spec.transport.map(\.rawValue).joined(separator: ","),
                       "--peer " + spec.peer.map(\.rawValue).joined(separator: ","),
                       "--sigpipe " + spec.sigpipe.map(\.rawValue).joined(separator: ","),
                       "--sleep " + spec.sleep.map(DurationText.format).joined(separator: ","),
                       "--sends " + spec.sends.map(String.init).joined(separator: ","),
                       "--payload " + spec.payload.map(SizeText.format).joined(separator: ","),
                       "--probe " + spec.probe.map(\.rawValue).joined(separator: ","),
                       "--repeat \(spec.repeats)", "--jobs \(spec.jobs)",
                       "--timeout " + DurationText.format(spec.timeoutNs), "--order " + spec.order.rawValue]
        // Only where the grid has them, so a command for a sweep of the classic network reads as before.
        if spec.interval != [0] || spec.rtt != [0] || spec.loss != [0] {
            options.append("--interval " + spec.interval.map(DurationText.format).joined(separator: ","))
            options.append("--rtt " + spec.rtt.map(DurationText.format).joined(separator: ","))
            options.append("--loss " + spec.loss.map(LossText.format).joined(separator: ","))
        }
        if let probeSleep = spec.probeSleep { options.append("--probe-sleep " + probeSleep.map(DurationText.format).joined(separator: ",")) }
        if let linkSleep = spec.linkSleep { options.append("--link-sleep " + linkSleep.map(DurationText.format).joined(separator: ",")) }
        if spec.order == .shuffle { options.append("--seed \(spec.seed)") }
        // Attached with '=', so a name that starts with '-' is not read as an option.
        if let name = spec.name { options.append("--name=" + shellQuoted(name)) }
        return options
    }

    /// A word as a POSIX shell reads it back: bare when safe, else single-quoted.
    public static func shellQuoted(_ word: String) -> String {
        let safe = !word.isEmpty && word.allSatisfy { $0.isLetter || $0.isNumber || "-_.,/:+=@%".contains($0) }
        return safe ? word : "'" + word.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
    }
}
