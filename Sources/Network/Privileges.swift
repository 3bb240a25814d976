import CPipeLabSupport
import Glibc
import PipeLabExperiment
import PipeLabKernel

/// What this process may not do that a sweep or run uses where it can (DESIGN.md, "Untrusted input
/// and a shared machine"): said once when a sweep or run starts, and recorded with the sweep
/// (`sweeps.privileges_lost`), so results made with less are never silently taken for the same.
public struct Privileges: Sendable, Equatable {
    public enum Loss: String, CaseIterable, Sendable {
        /// No network namespace per worker: runs share the host's loopback.
        case isolation
        /// No emulated links (rtt, loss): they need the namespaces and a TUN device in them.
        case links
        /// No AF_PACKET socket (CAP_NET_RAW): --capture and --pcap record no packets.
        case capture
        /// No SCHED_FIFO (CAP_SYS_NICE or RLIMIT_RTPRIO): sleeps end late on a busy machine.
        case realTime = "real-time"

        package var consequence: String {
            switch self {
            case .isolation: "no network namespaces (runs share the host's loopback)"
            case .links: "no emulated links (rtt, loss; their cells are left out, with the reason)"
            case .capture: "no packet capture (--capture and --pcap record nothing)"
            case .realTime: "no real-time class (sleeps and pauses may end late under load)"
            }
        }
    }

    public var lost: [Loss]

    /// Found once per process by trying each: the answer is the kernel's, not a guess from the uid.
    /// PIPELAB_ISOLATION=host is a choice, not a missing privilege.
    public static let current: Privileges = {
        var lost: [Loss] = []
        if Isolation.available == .host && !Isolation.hostChosen { lost.append(.isolation) }
        if Isolation.linkAbsence != nil && !Isolation.hostChosen { lost.append(.links) }
        // In a namespace of its own (root, or a user namespace) a worker has CAP_NET_RAW there.
        if Isolation.available == .host {
            let probe = socket(AF_PACKET, Int32(SOCK_DGRAM.rawValue), 0)
            if probe < 0 { lost.append(.capture) } else { close(probe) }
        }
        // Tried on a thread of its own, so the recorder's threads never change class.
        if !Self.realTimeAllowed() { lost.append(.realTime) }
        return Privileges(lost: lost)
    }()

    private static func realTimeAllowed() -> Bool {
        var thread = pthread_t()
        var allowed: UnsafeMutableRawPointer?
        guard pthread_create(&thread, nil, { _ in
            UnsafeMutableRawPointer(bitPattern: pipelab_set_realtime(1) == 0 ? 1 : 2)
        }, nil) == 0 else { return false }
        pthread_join(thread, &allowed)
        return allowed == UnsafeMutableRawPointer(bitPattern: 1)
    }

    /// The column's value: what was lost, comma-separated; empty when nothing was.
    public var recorded: String { lost.map(\.rawValue).joined(separator: ",") }

    /// The one line said at the start of a sweep or run, or nil when nothing is lost.
    public var notice: String? {
        guard !lost.isEmpty else { return nil }
        return "pipelab: without the privileges for them here, this has " + lost.map(\.consequence).joined(separator: "; ")
            + "; run as root (or with CAP_SYS_NICE, CAP_NET_RAW and user namespaces) with /dev/net/tun for all of it"
    }
}
