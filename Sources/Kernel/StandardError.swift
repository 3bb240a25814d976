import Glibc

/// Writes a line to standard error with write(2): no shared FILE state, safe from any thread.
public func writeStandardError(_ line: String) {
    writeStandardErrorRaw(line.hasSuffix("\n") ? line : line + "\n")
}

/// Writes text to standard error as it is (the progress line redraws itself with \r).
package func writeStandardErrorRaw(_ text: String) {
    text.withCString { _ = write(2, $0, strlen($0)) }
}
