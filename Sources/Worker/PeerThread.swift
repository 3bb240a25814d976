import Glibc
import PipeLabKernel
import PipeLabNetwork

/// The peer of a real client's run (Peer), on a thread of its own that lives as long as the
/// worker, so that it reacts to the program's data while the worker waits for the program to end.
package final class PeerThread: @unchecked Sendable {
    package typealias Job = Peer.Job

    // The semaphores order every access to `job` and `fdStillOpen` between the two threads.
    private var job: Job?
    private var fdStillOpen = false
    private var start = sem_t()
    private var done = sem_t()
    /// Used by the peer's thread only.
    private var peer: Peer

    package init(tokens: RealTimeTokenSource?) throws(SystemError) {
        peer = Peer(tokens: tokens)
        sem_init(&start, 0, 0)
        sem_init(&done, 0, 0)
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let status = pthread_create(&thread, nil, { context in
            Unmanaged<PeerThread>.fromOpaque(context!).takeUnretainedValue().loop()
            return nil
        }, context)
        guard status == 0 else { throw SystemError("starting the peer thread", errno: status) }
        pthread_detach(thread)
    }

    /// Hands the peer its end; it returns at once.
    package func begin(_ job: Job) {
        self.job = job
        sem_post(&start)
    }

    /// Waits until the peer has ended the connection its way; tells whether its fd is still open.
    package func finish() -> Bool {
        while sem_wait(&done) != 0 && errno == EINTR {}
        return fdStillOpen
    }

    private func loop() {
        // The peer never writes; SIGPIPE stays off this thread whatever the client's mode.
        SigpipeControl.setBlocked(true)
        // The peer reacts the moment its job arrives, not after the other runs in flight have had
        // the CPUs: it waits in the real-time class too (RealTimeWaits).
        while true {
            peer.realTime.beforeWait()
            while sem_wait(&start) != 0 && errno == EINTR {}
            peer.realTime.afterWait()
            if let job { fdStillOpen = peer.perform(job) }
            sem_post(&done)
        }
    }
}
