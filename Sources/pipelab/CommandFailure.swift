import PipeLab

/// A failure that is not the user's input: a message and the exit code that classifies it.
struct CommandFailure: Error {
    var message: String
    var exitCode: Int32

    static func harness(_ error: Error) -> CommandFailure {
        CommandFailure(message: "the experiment harness failed: \(error)", exitCode: 70)
    }
}
