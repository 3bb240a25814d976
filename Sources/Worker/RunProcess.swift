import CPipeLabSupport
import Glibc
import PipeLabKernel

/// A process of its own in which the client process waits for a run's order and makes the run,
/// for runs whose SIGPIPE takes its default action: made before the order comes, it shares the
/// client process's memory (clone with CLONE_VM and CLONE_VFORK: no copy of the address space and
/// no page faults after it) but has its own pid, signal dispositions and mask. SIGPIPE's default
/// action kills it, as it kills the C program it stands for; the client process, suspended
/// meanwhile, reaps it and lives on. (Forking a new client process after every killed run took a
/// fifth of such a run's CPU time, and the page faults after each fork another fifth.)
///
/// A killed run process leaves behind what it had allocated in the shared memory when the signal
/// came (a few closure contexts), so the worker replaces a client process after `maxKilledRuns`.
final class RunProcess {
    /// Runs killed in their run process before the worker replaces the client process.
    static let maxKilledRuns = 1_000
    private static let stackBytes = 1 << 20

    /// What the process does; it exits with the status this returns.
    private let body: () -> Int32
    private let parent = getpid()
    private let stack: UnsafeMutableRawPointer

    /// Nil when its stack cannot be mapped: the client process then makes its runs itself.
    init?(body: @escaping () -> Int32) {
        guard let mapped = mmap(nil, Self.stackBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0),
              mapped != MAP_FAILED else { return nil }
        stack = mapped
        self.body = body
    }

    deinit { munmap(stack, Self.stackBytes) }

    /// Makes the process, waits until it has ended and reaps it: how it ended, or the errno when it
    /// could not be made. What it changes of SIGPIPE's state is its own, but it shares this process's
    /// record of that state (SigpipeControl), which is put back.
    func run() -> Result<ProcessTermination, SystemError> {
        let ownState = SigpipeControl.recordedMode
        defer { SigpipeControl.recordedMode = ownState }
        let entry: @convention(c) (UnsafeMutableRawPointer?) -> Int32 = { context in
            guard let context else { return 1 }
            return Unmanaged<RunProcess>.fromOpaque(context).takeUnretainedValue().life()
        }
        let pid = pipelab_run_in_memory_sharing_process(entry, Unmanaged.passUnretained(self).toOpaque(),
                                                        stack + Self.stackBytes)
        guard pid > 0 else { return .failure(SystemError("making a run's process", errno: errno)) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        return .success(ProcessTermination(waitStatus: status))
    }

    private func life() -> Int32 {
        guard pipelab_die_with_parent(parent) == 0 else { return 1 }
        return body()
    }
}
