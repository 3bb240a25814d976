import CPipeLabSupport
import Glibc
import PipeLabExperiment
import PipeLabKernel
import PipeLabNetwork

/// DESIGN.md's peer, made on the calling thread: the worker's own main thread for a harness run
/// (its client is a process of its own, so the worker has nothing else to do meanwhile), the
/// PeerThread for a real client's run (the worker waits for the program then).
package struct Peer {
    package struct Job {
        package var fd: Int32
        package var action: PeerAction
        package var transport: Transport
        package var recorder: StepRecorder
        /// The start barrier (DESIGN.md, "Run validity"), called just before the peer's first call:
        /// lets the client start; false when it cannot, and the peer then makes no call.
        package var letClientStart: () -> Bool
    }

    /// The calling thread's time in the real-time class, with its own share of the sweep's tokens.
    package var realTime: RealTimeWaits
    /// Test-only: the first run of this peer is disturbed on purpose (see TestDelays).
    private var testDelays = TestDelays.fromEnvironment()

    package init(tokens: RealTimeTokenSource?) {
        realTime = RealTimeWaits(tokens: tokens)
    }

    /// Once the first data has arrived, read once (up to 1024 bytes, not at all for close-unread)
    /// and end the connection its way. Returns whether the fd stays open. It waits for the data in
    /// the real-time class (where allowed), so it reacts the moment the data arrives, as a server
    /// on an idle machine would, within the token bound (RealTimeWaits).
    package mutating func perform(_ job: Job) -> Bool {
        let recorder = job.recorder
        let fd = job.fd
        let isSocket = job.transport.isSocket
        // Into the class before the barrier: the client it wakes cannot preempt it before its first call.
        realTime.beforeWait()
        guard job.letClientStart() else { return true }
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
