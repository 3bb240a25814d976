import Glibc
import PipeLabExperiment
import PipeLabKernel
import PipeLabStore

/// The live progress line of a sweep on a terminal: runs done/total, runs per second, time left.
public final class Progress {
    private let total: Int
    private let enabled: Bool
    private let startNs = MonotonicClock.nowNs()
    private var lastDrawNs: Int64 = 0
    public private(set) var done = 0

    /// Drawn only when standard error is a terminal and not `quiet`.
    public init(total: Int, quiet: Bool) {
        self.total = total
        enabled = !quiet && isatty(2) == 1
    }

    public func count() { done += 1 }

    /// Redraws at most ten times a second.
    public func draw() {
        guard enabled else { return }
        let now = MonotonicClock.nowNs()
        guard now - lastDrawNs >= 100_000_000 else { return }
        lastDrawNs = now
        writeStandardErrorRaw("\r\u{1B}[K" + Self.line(done: done, total: total, elapsedNs: now - startNs))
    }

    /// Clears the line before the summary is printed.
    public func finish() {
        if enabled { writeStandardErrorRaw("\r\u{1B}[K") }
    }

    /// `  1234/1992 runs  850 runs/s  ~1s left`
    public static func line(done: Int, total: Int, elapsedNs: Int64) -> String {
        let seconds = Double(elapsedNs) / 1e9
        let rate = seconds > 0 ? Double(done) / seconds : 0
        let left = rate > 0 ? Int((Double(total - done) / rate).rounded(.up)) : nil
        let leftText = left.map { $0 >= 60 ? "~\($0 / 60)m\($0 % 60)s left" : "~\($0)s left" } ?? ""
        return "  \(done)/\(total) runs  \(Int(rate)) runs/s  \(leftText)"
    }
}
