import CPipeLabSupport
import Glibc
import PipeLabExperiment
import PipeLabKernel
import Synchronization

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
    /// run makes (`pipelab_link_open`, in that namespace, gone with the child). It writes 0 when
    /// both work, 128 + the errno of the namespace, or the errno of the TUN device, to a pipe
    /// before it exits. Its exit tears the device and the namespace down in the kernel, which held
    /// every command's start for about 30 ms while it was waited for here: it is reaped by `settle`,
    /// which a sweep calls once its workers have started, before its first timed run.
    private static let probe: (isolation: Isolation, linkAbsence: String?) = {
        if hostChosen {
            return (.host, "an emulated link needs a network namespace of its own, and PIPELAB_ISOLATION=host asks for the host's loopback")
        }
        var result: [Int32] = [-1, -1]
        guard Glibc.pipe(&result) == 0 else { return verdict(nil) }
        let child = fork()
        if child == 0 {
            Glibc.close(result[0])
            let isolated = pipelab_isolate_network()
            var code = isolated == 0 ? 0 : 128 + min(isolated, 127)
            if isolated == 0 {
                var tun: Int32 = -1
                code = min(pipelab_link_open("pl0", "10.77.0.1", &tun), 127)
            }
            _ = Glibc.write(result[1], &code, 4)
            _exit(0)
        }
        Glibc.close(result[1])
        defer { Glibc.close(result[0]) }
        guard child > 0 else { return verdict(nil) }
        var code: Int32 = -1
        var received = 0
        repeat { received = Glibc.read(result[0], &code, 4) } while received < 0 && errno == EINTR
        unreaped.withLock { $0 = child }
        return verdict(received == 4 ? code : nil)
    }()

    /// The probe's child until `settle` reaps it.
    private static let unreaped = Mutex<pid_t>(0)

    /// Waits until the probe's child has exited and reaps it: its teardown (the kernel's, of a
    /// namespace and a TUN device) must not overlap a timed run. Returns at once after the first call.
    public static func settle() {
        let child = unreaped.withLock { pid in
            defer { pid = 0 }
            return pid
        }
        guard child > 0 else { return }
        var status: Int32 = 0
        while waitpid(child, &status, 0) == -1 && errno == EINTR {}
    }

    /// What the probe's code says; nil when the probe could not start or tell.
    private static func verdict(_ code: Int32?) -> (isolation: Isolation, linkAbsence: String?) {
        switch code {
        case 0: return (.netns, nil)
        case .some(let errno) where errno < 128:
            return (.netns, "an emulated link needs a TUN device (/dev/net/tun, and CAP_NET_ADMIN in the worker's namespace), which this machine refused (\(ErrnoName.of(errno)))")
        default:
            let why = code.map { ErrnoName.of($0 - 128) } ?? "the probe could not start"
            return (.host, "an emulated link needs network namespaces, which this machine refused (\(why)); run pipelab as root (CAP_SYS_ADMIN), or allow unprivileged user namespaces (sysctl user.max_user_namespaces > 0)")
        }
    }
}
