import CPipeLabSupport
import Glibc
import PipeLabExperiment
import PipeLabKernel
import PipeLabNetwork

/// The peer's side of a run, on a thread of its own that lives as long as the worker, so that the
/// peer reacts to the client's data while the client sleeps or sends (with sleep 0 they truly race).
package final class PeerThread: @unchecked Sendable {
    package struct Job {
        package var fd: Int32
        package var action: PeerAction
        package var transport: Transport
        package var recorder: StepRecorder
        /// The start barrier (DESIGN.md, "Run validity"), called just before the peer's first call:
        /// lets the client start; false when it cannot, and the peer then makes no call.
        package var letClientStart: () -> Bool
    }

    // The semaphores order every access to `job` and `fdStillOpen` between the two threads.
    private var job: Job?
    private var fdStillOpen = false
    private var start = sem_t()
    private var done = sem_t()
    /// Test-only: the first run of this worker is disturbed on purpose (see TestDelays).
    private var testDelays = TestDelays.fromEnvironment()
    /// Used by the peer's thread only: its own share of the sweep's real-time tokens.
    private var realTime: RealTimeWaits

    package init(tokens: RealTimeTokenSource?) throws(SystemError) {
        realTime = RealTimeWaits(tokens: tokens)
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
        // The peer reacts the moment its job or the client's data arrives, as a server on an idle
        // machine would, not after the other runs in flight have had the CPUs: it waits in the
        // real-time class (where allowed) and preempts them, within the token bound (RealTimeWaits).
        while true {
            realTime.beforeWait()
            while sem_wait(&start) != 0 && errno == EINTR {}
            realTime.afterWait()
            if let job { fdStillOpen = perform(job) }
            sem_post(&done)
        }
    }

    /// DESIGN.md's peer: once the first data has arrived, read once (up to 1024 bytes, not at all
    /// for close-unread) and end the connection its way. Returns whether the fd stays open.
    private func perform(_ job: Job) -> Bool {
        let recorder = job.recorder
        let fd = job.fd
        let isSocket = job.transport.isSocket
        guard job.letClientStart() else { return true }
        realTime.beforeWait()
        MonotonicClock.sleep(nanoseconds: testDelays.peerStartNs)
        if job.action == .closeUnread {
            var request = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            recorder.record(.peer, .poll, bytes: 0, fd: fd) { Int(Glibc.poll(&request, 1, -1)) }
        } else {
            var buffer = [UInt8](repeating: 0, count: 1024)
            recorder.record(.peer, isSocket ? .recv : .read, bytes: 1024, fd: fd) {
                buffer.withUnsafeMutableBytes {
                    isSocket ? Glibc.recv(fd, $0.baseAddress, 1024, 0) : Glibc.read(fd, $0.baseAddress, 1024)
                }
            }
        }
        realTime.afterWait()
        // What is left unread decides FIN or RST on TCP (tcp_close()) and ECONNRESET on a Unix
        // socket (unix_release_sock()): measured, not inferred.
        recorder.record(.peer, .ioctl, bytes: 0, fd: fd) { Int(pipelab_unread_bytes(fd)) }
        realTime.checkBudget()
        MonotonicClock.sleep(nanoseconds: testDelays.peerEndNs)
        testDelays = .none
        switch job.action {
        case .close, .closeUnread:
            recorder.record(.peer, .close, bytes: 0, fd: nil) { Int(Glibc.close(fd)) }
            return false
        case .shutdownWrite:
            recorder.record(.peer, .shutdown, bytes: 0, fd: fd) { Int(Glibc.shutdown(fd, Int32(SHUT_WR))) }
            return true
        case .shutdownReadWrite:
            recorder.record(.peer, .shutdown, bytes: 0, fd: fd) { Int(Glibc.shutdown(fd, Int32(SHUT_RDWR))) }
            return true
        case .linger0:
            recorder.record(.peer, .setsockopt, bytes: 0, fd: fd) { Sockets.setLingerZero(fd).value }
            recorder.record(.peer, .close, bytes: 0, fd: nil) { Int(Glibc.close(fd)) }
            return false
        }
    }
}
