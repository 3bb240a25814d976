/// Bad input from the user: one line that names the problem and what is accepted.
/// The command line turns it into exit code 64 before anything is written.
public struct InputError: Error, Equatable, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
