import PipeLabStore
import PipeLabExperiment
import PipeLabKernel

/// What happened to a run's first failing call, the heatmap's colour: the first send that did
/// not write all its bytes either returned an errno, returned short, never returned because a
/// signal killed the process, or never returned before the timeout.
public enum FirstFailure: Int, CaseIterable, Comparable, Sendable {
    case noneFailed, epipe, econnreset, killedBySigpipe, shortWrite, timeout, otherErrno, runtimeError, otherEnd

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    /// Read from the run's recorded columns: `first_failing_send`, `first_errno_name`, `outcome`,
    /// `term_signal`, and the signature's token for that send (`short:N`).
    public static func of(_ group: RunGroup) -> FirstFailure {
        if group.outcome == .harnessError { return .otherEnd }
        guard let send = group.firstFailingSend else { return group.outcome == .timeout ? .timeout : .noneFailed }
        switch group.firstErrnoName {
        case "EPIPE": return .epipe
        case "ECONNRESET": return .econnreset
        case .some: return .otherErrno
        case nil: break
        }
        // No errno: the call returned short, or did not return at all.
        let tokens = group.signature.split(separator: ",")
        if send <= tokens.count, tokens[send - 1].hasPrefix("short:") { return .shortWrite }
        switch group.outcome {
        case .killed: return group.termSignal == "SIGPIPE" ? .killedBySigpipe : .otherEnd
        case .timeout: return .timeout
        case .ok, .error, .harnessError: return .otherEnd
        }
    }

    /// What a real program was told at a send, by the errno its report names; nil: an error of
    /// its runtime's own, with no errno.
    public static func told(_ errnoName: String?) -> FirstFailure {
        switch errnoName {
        case "EPIPE": .epipe
        case "ECONNRESET": .econnreset
        case .some: .otherErrno
        case nil: .runtimeError
        }
    }

    public var label: String {
        switch self {
        case .noneFailed: "no send failed"
        case .epipe: "EPIPE"
        case .econnreset: "ECONNRESET"
        case .killedBySigpipe: "killed by SIGPIPE"
        case .shortWrite: "short write"
        case .timeout: "blocked until the timeout"
        case .otherErrno: "another errno"
        case .runtimeError: "an error of the program's runtime (no errno)"
        case .otherEnd: "harness error or another signal"
        }
    }

    /// Paul Tol's "bright" scheme, which stays distinguishable with the common colour-vision
    /// deficiencies; the two greys are the neutral catch-alls.
    public var color: String {
        switch self {
        case .noneFailed: "#228833"
        case .epipe: "#CCBB44"
        case .econnreset: "#4477AA"
        case .killedBySigpipe: "#EE6677"
        case .shortWrite: "#66CCEE"
        case .timeout: "#AA3377"
        case .otherErrno: "#BBBBBB"
        // Paul Tol's "vibrant" orange: a real program's runtime only.
        case .runtimeError: "#EE7733"
        case .otherEnd: "#555555"
        }
    }

    /// Text drawn on this colour.
    package var ink: String {
        switch self {
        case .noneFailed, .econnreset, .timeout, .otherEnd: "white"
        case .epipe, .killedBySigpipe, .shortWrite, .otherErrno, .runtimeError: "black"
        }
    }
}
