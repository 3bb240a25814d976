import PipeLabKernel
import PipeLabExperiment
import PipeLabStore
import PipeLabReport


/// A failure that is not the user's input: a message and the exit code that classifies it.
struct CommandFailure: Error {
    var message: String
    var exitCode: Int32

    static func harness(_ error: Error) -> CommandFailure {
        CommandFailure(message: "the experiment harness failed: \(error)", exitCode: 70)
    }
}

/// A command that did its work and reports what it found through the exit code alone (compare:
/// 1 when something differs, like diff); nothing is printed for it.
struct ExitStatus: Error {
    var code: Int32
}
