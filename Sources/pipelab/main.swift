import ArgumentParser
import Glibc
import PipeLabExperiment
import PipeLabKernel
import PipeLabReport
import PipeLabStore
import PipeLabSweep

// One place turns every error into one line on standard error and an exit code:
// 64 bad input, 65 a file that is not (or too new for) a pipelab database, 69 nothing asked for can
// run on this machine, 70 a harness failure,
// 73 a database that cannot be created or written, 75 a sweep or database held by another
// process, 130 interrupted; a finding (compare: 1) exits silently.
let arguments = NegativeValues.attached(Array(CommandLine.arguments.dropFirst()))
do {
    var command = try Pipelab.parseAsRoot(arguments)
    try command.run()
} catch let error as InputError {
    fail(error.message, code: 64)
} catch let unrunnable as UnrunnableHere {
    fail(unrunnable.message, code: 69)
} catch let status as ExitStatus {
    exit(status.code)
} catch let failure as CommandFailure {
    fail(failure.message, code: failure.exitCode)
} catch let error as StoreError {
    let failure = CommandFailure.store(error)
    fail(failure.message, code: failure.exitCode)
} catch {
    let code = Pipelab.exitCode(for: error)
    if code == .success {
        Pipelab.exit(withError: error)  // --help, --version
    }
    let message = Pipelab.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
    // The root takes no words of its own: a first word that names no command is the problem.
    if code == .validationFailure, let unknown = UnknownCommand.message(arguments) {
        fail(unknown, code: 64)
    }
    // The parser's own messages name the problem; the command's help is what is accepted.
    let command = arguments.first { word in Pipelab.configuration.subcommands.contains { $0.configuration.commandName == word } }
    let help = "what `pipelab\(command.map { " " + $0 } ?? "") --help` lists"
    // A message that ends a sentence ("Did you mean '--repeat'?") takes a new one, not "?;".
    let accepted: String
    if code != .validationFailure {
        accepted = ""
    } else if let last = message.last, ".?!".contains(last) {
        accepted = " Accepted: \(help)"
    } else {
        accepted = "; accepted: \(help)"
    }
    fail(message + accepted, code: code.rawValue == 1 ? 70 : code.rawValue)
}

func fail(_ message: String, code: Int32) -> Never {
    // Messages quote paths, names and values from files: shown, never obeyed by the terminal.
    writeStandardError("pipelab: " + TerminalText.shown(message))
    exit(code)
}
