import Glibc
import PipeLabExperiment
import Synchronization

/// Deliveries seen by the counting handler of `--sigpipe handler`.
package let sigpipeDeliveries = Atomic<Int>(0)

private func countSigpipe(_: Int32) {
    sigpipeDeliveries.add(1, ordering: .relaxed)
}

/// Puts the calling thread's SIGPIPE disposition and mask in the state a mode asks for, starting
/// from a clean slate so that no run sees the previous run's state, and tells whether a call raised it.
package struct SigpipeControl {
    package let mode: SigpipeMode
    private var deliveriesBefore = 0

    /// The mode this thread's SIGPIPE state was last set for, to skip the system calls that would
    /// only set it again (a worker runs thousands of runs of one mode in a row).
    nonisolated(unsafe) private static var lastMode: SigpipeMode?

    /// The record above, for a process that shares this one's memory but not its signal state
    /// (RunProcess): it must start from a clean slate, and leave this process's record as it was.
    package static var recordedMode: SigpipeMode? {
        get { lastMode }
        set { lastMode = newValue }
    }

    package init(mode: SigpipeMode) {
        self.mode = mode
        sigpipeDeliveries.store(0, ordering: .relaxed)
        // After a run of the same mode the state is already right: the disposition and mask are
        // unchanged, and no SIGPIPE can be pending (each call's pending signal is taken off).
        guard Self.lastMode != mode else { return }
        Self.setBlocked(true)
        Self.discardPending()
        switch mode {
        case .ignore: _ = signal(SIGPIPE, SIG_IGN)
        case .handler: _ = signal(SIGPIPE, countSigpipe)
        // nosignal keeps the default action, so a SIGPIPE that MSG_NOSIGNAL failed to suppress would show.
        case .default, .nosignal, .blocked: _ = signal(SIGPIPE, SIG_DFL)
        }
        if mode != .blocked { Self.setBlocked(false) }
        Self.lastMode = mode
    }

    /// Call before each recorded call.
    package mutating func beforeCall() {
        deliveriesBefore = sigpipeDeliveries.load(ordering: .relaxed)
    }

    /// Whether SIGPIPE was raised since `beforeCall()`. With the signal blocked, a pending SIGPIPE is
    /// taken off the pending set so that the next call's is seen on its own.
    package func raisedDuringCall() -> Bool {
        switch mode {
        case .handler: return sigpipeDeliveries.load(ordering: .relaxed) != deliveriesBefore
        case .blocked: return Self.discardPending()
        case .default, .ignore, .nosignal: return false
        }
    }

    package static func setBlocked(_ blocked: Bool) {
        var set = sigpipeSet()
        pthread_sigmask(blocked ? SIG_BLOCK : SIG_UNBLOCK, &set, nil)
    }

    /// Consumes a pending SIGPIPE (the signal must be blocked); true if there was one.
    @discardableResult
    package static func discardPending() -> Bool {
        var pending = sigset_t()
        sigpending(&pending)
        guard sigismember(&pending, SIGPIPE) == 1 else { return false }
        var set = sigpipeSet()
        var zero = timespec(tv_sec: 0, tv_nsec: 0)
        return sigtimedwait(&set, nil, &zero) == SIGPIPE
    }

    package static func sigpipeSet() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGPIPE)
        return set
    }
}
