import CPipeLabSupport
import Glibc
import PipeLabExperiment
import PipeLabKernel

/// Where a sweep's experiments run (DESIGN.md, "Network: isolation and emulated links"): `netns`,
/// each worker in a network namespace of its own, unreachable from the host; `host`, on the
/// host's loopback, where the machine does not allow namespaces.
public enum Isolation: String, Sendable {
    case netns, host

    /// What this machine allows, found once per process by trying it (`probe`).
    public static var available: Isolation { probe.isolation }

    /// Why an emulated link (rtt or loss above 0) cannot run here, or nil when it can: it needs a
    /// network namespace of its own and a TUN device made in it. Sweeps leave link cells out with
    /// this reason (Grid's `linksUnrunnable`); `run` refuses a link scenario with it.
    public static var linkAbsence: String? { probe.linkAbsence }

    /// Whether the host's loopback was asked for (`PIPELAB_ISOLATION=host`): a choice, not a missing privilege.
    public static let hostChosen = getenv("PIPELAB_ISOLATION").map { String(cString: $0) } == "host"

    /// Tried once per process in a forked child, so the recorder itself stays in the host's
    /// namespace: the child isolates itself as a worker does, then makes the TUN device a link
    /// run makes (`pipelab_link_open`, in that namespace, gone with the child). It exits 0 when
    /// both work, 128 + the errno of the namespace, or the errno of the TUN device.
    private static let probe: (isolation: Isolation, linkAbsence: String?) = {
        if hostChosen {
            return (.host, "an emulated link needs a network namespace of its own, and PIPELAB_ISOLATION=host asks for the host's loopback")
        }
        let child = fork()
        if child == 0 {
            let isolated = pipelab_isolate_network()
            guard isolated == 0 else { _exit(128 + min(isolated, 127)) }
            var tun: Int32 = -1
            _exit(min(pipelab_link_open("pl0", "10.77.0.1", &tun), 127))
        }
        var status: Int32 = 0
        while child > 0 && waitpid(child, &status, 0) == -1 && errno == EINTR {}
        let code: Int32? = if child > 0, case .exited(let code) = ProcessTermination(waitStatus: status) { code } else { nil }
        switch code {
        case 0: return (.netns, nil)
        case .some(let errno) where errno < 128:
            return (.netns, "an emulated link needs a TUN device (/dev/net/tun, and CAP_NET_ADMIN in the worker's namespace), which this machine refused (\(ErrnoName.of(errno)))")
        default:
            let why = code.map { ErrnoName.of($0 - 128) } ?? "the probe could not start"
            return (.host, "an emulated link needs network namespaces, which this machine refused (\(why)); run pipelab as root (CAP_SYS_ADMIN), or allow unprivileged user namespaces (sysctl user.max_user_namespaces > 0)")
        }
    }()
}
