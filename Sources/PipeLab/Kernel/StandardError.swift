import Glibc

/// Writes a line to standard error with write(2): no shared FILE state, safe from any thread.
public func writeStandardError(_ line: String) {
    var text = line
    if !text.hasSuffix("\n") { text += "\n" }
    text.withCString { _ = write(2, $0, strlen($0)) }
}
