import Glibc
import PipeLabExperiment
import PipeLabKernel
import Synchronization

/// SIGINT and SIGTERM ask a sweep to stop: no new runs start, runs in flight finish.
/// (This is the recorder's own SIGINT/SIGTERM handling; its SIGPIPE disposition is never touched.)
public enum Interrupts {
    private static let lastSignal = Atomic<Int32>(0)

    public static func install() {
        _ = Glibc.signal(SIGINT, noteSignal)
        _ = Glibc.signal(SIGTERM, noteSignal)
        // A parent may have started pipelab with these blocked; they must reach the handler.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// The signal received, or nil.
    public static var received: Int32? {
        let value = lastSignal.load(ordering: .relaxed)
        return value == 0 ? nil : value
    }

    public static var requested: Bool { received != nil }

    fileprivate static func note(_ signal: Int32) {
        lastSignal.store(signal, ordering: .relaxed)
    }
}

private func noteSignal(_ signal: Int32) {
    Interrupts.note(signal)
}
