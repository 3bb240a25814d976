import CPipeLabSupport
import Glibc
import PipeLabExperiment
import PipeLabKernel

/// Where a sweep's experiments run (DESIGN.md, "Network: isolation and emulated links"): `netns`,
/// each worker in a network namespace of its own, unreachable from the host; `host`, on the
/// host's loopback, where the machine does not allow namespaces.
public enum Isolation: String, Sendable {
    case netns, host

    /// What this machine allows, found once per process by trying it in a forked child (the
    /// recorder itself stays in the host's namespace). `PIPELAB_ISOLATION=host` asks for the
    /// host's loopback even where namespaces are allowed.
    public static let available: Isolation = {
        if getenv("PIPELAB_ISOLATION").map({ String(cString: $0) }) == "host" { return .host }
        let child = fork()
        if child == 0 { _exit(pipelab_isolate_network() == 0 ? 0 : 1) }
        guard child > 0 else { return .host }
        var status: Int32 = 0
        while waitpid(child, &status, 0) == -1 && errno == EINTR {}
        return ProcessTermination(waitStatus: status) == .exited(0) ? .netns : .host
    }()

    /// Why a link (rtt or loss > 0) cannot run here: it needs the namespaces isolation gives.
    public static let linkRefusal = "an emulated link (rtt or loss above 0) needs network namespaces, which this machine refused (EPERM): run pipelab as root, or allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1 or user.max_user_namespaces > 0)"
}
