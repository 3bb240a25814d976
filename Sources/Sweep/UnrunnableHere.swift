/// Nothing asked for can run on this machine: every cell left has an emulated link, and the
/// machine cannot make one (`Isolation.linkAbsence`). The CLI exits 69 (EX_UNAVAILABLE) with it,
/// before anything is written.
public struct UnrunnableHere: Error, Sendable {
    public let message: String

    public init(_ message: String) { self.message = message }
}
