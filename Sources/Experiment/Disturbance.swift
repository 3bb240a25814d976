/// What kept a run from being the plain experiment (DESIGN.md, "Run validity"), named by its cause.
/// The machine's (`cpu`) leave the run out of its cell's verdict; the link's are the experiment:
/// counted in the verdict and explained as loss. Stored in `runs.disturbance` and
/// `runs.disturbance_reason` as their raw values.
public struct Disturbance: Sendable, Equatable {
    public enum Cause: String, Sendable {
        /// The machine: a process or a timed pause got the CPU late.
        case cpu
        /// The emulated link dropped a segment that the peer's ending waited for.
        case link
    }

    public enum Reason: String, Sendable {
        /// The settled sleep should have let the peer end the connection before send #2 (or before
        /// the probe, with one send), and it had not begun to.
        case peerLate = "peer-late"
        /// A timed pause (the sleep or an interval) ran more than 1 % + 100 µs over.
        case pauseLate = "pause-late"
        /// The peer's first call began more than 1 ms after send #1: the sends did not race a
        /// peer that was waiting.
        case peerStartedLate = "peer-started-late"
        /// The peer had not ended by send #2 because the link dropped a segment before it.
        case segmentLost = "segment-lost"
    }

    public let cause: Cause
    public let reason: Reason

    public init(_ cause: Cause, _ reason: Reason) {
        self.cause = cause
        self.reason = reason
    }

    /// Left out of the cell's verdict: only the machine's.
    public var leavesVerdict: Bool { cause == .cpu }
}
