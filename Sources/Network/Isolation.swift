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
    /// run makes (`pipelab_link_open`, in that namespace, gone with the child). It writes 0 when
    /// both work, 128 + the errno of the namespace, or the errno of the TUN device, to a pipe
    /// before it exits: its exit tears the device and the namespace down, which took about 15 ms
    /// here, so a thread of its own reaps it while the command goes on.
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
        reapInBackground(child)
        return verdict(received == 4 ? code : nil)
    }()

    /// Waits for `child` on a detached thread; reaps it at once when no thread can be started.
    private static func reapInBackground(_ child: pid_t) {
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { context in
            var status: Int32 = 0
            let pid = pid_t(Int(bitPattern: context))
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            return nil
        }, UnsafeMutableRawPointer(bitPattern: Int(child)))
        if started == 0 {
            pthread_detach(thread)
        } else {
            var status: Int32 = 0
            while waitpid(child, &status, 0) == -1 && errno == EINTR {}
        }
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
