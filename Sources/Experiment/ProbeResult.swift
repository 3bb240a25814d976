import Glibc
import PipeLabKernel

/// The probe's result as one word, stored as `runs.probe_result` (DESIGN.md): `0` for EOF or a
/// call that found nothing, a byte count, an errno name, or poll's revents joined by `|`.
public enum ProbeResult {
    /// The probe's step among a run's steps: the client's call that is neither connect nor a write.
    public static func step(in steps: [Step]) -> Step? {
        steps.first { $0.actor == .client && !$0.op.isClientWrite && $0.op != .connect }
    }

    public static func text(_ step: Step) -> String? {
        guard let result = step.result else { return nil }
        if result < 0 { return ErrnoName.of(step.errno) }
        switch step.op {
        case .poll: return reventsText(step.value ?? 0)
        case .getsockopt: return (step.value ?? 0) == 0 ? "0" : ErrnoName.of(Int32(clamping: step.value ?? 0))
        default: return String(result)
        }
    }

    /// POLLRDHUP (include/uapi/asm-generic/poll.h): Glibc exports it only under _GNU_SOURCE.
    public static let pollReadHangUp: Int16 = 0x2000

    /// The poll bits the probe can see: those it asks for, and those poll always reports.
    package static let reventNames: [(bit: Int64, name: String)] = [
        (Int64(POLLIN), "POLLIN"), (Int64(POLLPRI), "POLLPRI"), (Int64(POLLOUT), "POLLOUT"), (Int64(POLLERR), "POLLERR"),
        (Int64(POLLHUP), "POLLHUP"), (Int64(POLLNVAL), "POLLNVAL"), (Int64(pollReadHangUp), "POLLRDHUP"),
    ]

    /// `POLLIN|POLLOUT|POLLRDHUP`, `0` when nothing was reported; an unnamed bit as its hex value.
    public static func reventsText(_ revents: Int64) -> String {
        guard revents != 0 else { return "0" }
        var rest = revents
        var names: [String] = []
        for (bit, name) in reventNames where revents & bit != 0 {
            names.append(name)
            rest &= ~bit
        }
        if rest != 0 { names.append("0x" + String(rest, radix: 16)) }
        return names.joined(separator: "|")
    }

    /// The revents bits named in `text` (the inverse of `reventsText` for named bits).
    public static func revents(_ text: String) -> Set<String> {
        text == "0" ? [] : Set(text.split(separator: "|").map(String.init))
    }
}
