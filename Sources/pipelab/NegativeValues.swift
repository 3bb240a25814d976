import ArgumentParser
import PipeLabExperiment
import PipeLabKernel
import PipeLabReport
import PipeLabStore
import PipeLabSweep
import PipeLabWorker

/// swift-argument-parser reads a word such as `-1s` after an option as another option, and then
/// says the option's value is missing. Attaching such a word (`--sleep -1s` → `--sleep=-1s`) hands
/// it to the option's own check, which says that it is negative and what is accepted.
enum NegativeValues {
    static func attached(_ arguments: [String]) -> [String] {
        var result: [String] = []
        var index = 0
        while index < arguments.count {
            let word = arguments[index]
            if word == "--" {
                result += arguments[index...]
                break
            }
            if index + 1 < arguments.count, looksNegative(arguments[index + 1]), takesValue(word) {
                result.append(word + "=" + arguments[index + 1])
                index += 2
            } else {
                result.append(word)
                index += 1
            }
        }
        return result
    }

    /// `-1`, `-1s`, `-.5ms`: a minus sign and then a digit or a decimal point.
    static func looksNegative(_ word: String) -> Bool {
        guard word.first == "-", let next = word.dropFirst().first else { return false }
        return next == "." || ("0"..."9").contains(next)
    }

    static func takesValue(_ word: String) -> Bool {
        word.hasPrefix("--") && !word.contains("=") && valueOptions.contains(String(word.dropFirst(2)))
    }

    /// Every option of every subcommand that takes a value: help shows each as `--name <value>`.
    /// Read from the commands themselves, so an option added later is covered too.
    static let valueOptions: Set<String> = {
        var names: Set<String> = []
        for command in Pipelab.configuration.subcommands {
            let help = Pipelab.helpMessage(for: command, includeHidden: true, columns: 10_000)
            for match in help.matches(of: /--([a-z0-9-]+) </) { names.insert(String(match.1)) }
        }
        return names
    }()
}
