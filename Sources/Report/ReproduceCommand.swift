import PipeLabStore
import PipeLabExperiment
import PipeLabKernel

/// The `pipelab sweep` command line that runs a spec again, pasteable into a POSIX shell.
public enum ReproduceCommand {
    /// - Parameter capture: the sweep recorded its packets (`--capture`, which the spec does not keep).
    public static func of(_ spec: SweepSpec, capture: Bool = false) -> String {
        (["pipelab sweep"] + options(spec, capture: capture)).joined(separator: " ")
    }

    /// The same command in lines of at most `width` characters where the options allow, joined
    /// with backslash-newline: a code block on GitHub then needs no horizontal scrolling.
    public static func wrapped(_ spec: SweepSpec, capture: Bool = false, width: Int = 90) -> String {
        var lines: [String] = [], current = "pipelab sweep"
        for option in options(spec, capture: capture) {
            if current.count + 1 + option.count + 2 > width {
                lines.append(current)
                current = "   "
            }
            current += " " + option
        }
        return (lines + [current]).joined(separator: " \\\n")
    }

    /// Each option with its value, one string each: every dimension not at its single `pipelab run`
    /// default (a sweep gives a dimension left out that default), and at least one, since a sweep
    /// with no dimension flag at all runs the built-in grid.
    package static func options(_ spec: SweepSpec, capture: Bool = false) -> [String] {
        var dimensions = Dimensions.all.filter { spec[$0] != [$0.runDefault] }
        if dimensions.isEmpty { dimensions = Array(Dimensions.all.prefix(1)) }
        var options = dimensions.map { "\($0.flag) \($0.format(spec[$0]))" }
        options += ["--repeat \(spec.repeats)", "--jobs \(spec.jobs)", "--timeout " + DurationText.format(spec.timeoutNs),
                    "--order " + spec.order.rawValue]
        if let probeSleep = spec.probeSleep { options.append("--probe-sleep " + probeSleep.map(DurationText.format).joined(separator: ",")) }
        if let linkSleep = spec.linkSleep { options.append("--link-sleep " + linkSleep.map(DurationText.format).joined(separator: ",")) }
        if spec.order == .shuffle { options.append("--seed \(spec.seed)") }
        if capture { options.append("--capture") }
        // Attached with '=', so a name that starts with '-' is not read as an option.
        if let name = spec.name { options.append("--name=" + shellQuoted(name)) }
        return options
    }

    /// The `pipelab run` command line of one recorded run of the sweep `spec`: its cell, the user's
    /// client command, the sweep's timeout where it is not the run's default (the built-in grid's,
    /// 5s), and its loss seed, which replays the link's losses (not the machine's timing). nil
    /// where the user's client command is not known.
    public static func run(_ run: RunResult, of spec: SweepSpec?) -> String? {
        var words = ["pipelab run"] + Dimensions.all.compactMap { dimension in
            let value = dimension.value(of: run.scenario)
            return value == dimension.runDefault ? nil : "\(dimension.flag) \(dimension.format(value))"
        }
        if run.scenario.client == .command {
            guard let command = spec?.clientCommand else { return nil }
            words.append("--client-cmd " + shellQuoted(command))
        }
        if let timeoutNs = spec?.timeoutNs, timeoutNs != SweepSpec.builtIn.timeoutNs { words.append("--timeout " + DurationText.format(timeoutNs)) }
        if let seed = run.lossSeed { words.append("--seed \(seed)") }
        return words.joined(separator: " ")
    }

    /// A word as a POSIX shell reads it back: bare when safe, else single-quoted.
    public static func shellQuoted(_ word: String) -> String {
        let safe = !word.isEmpty && word.allSatisfy { $0.isLetter || $0.isNumber || "-_.,/:+=@%".contains($0) }
        return safe ? word : "'" + word.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
    }
}
