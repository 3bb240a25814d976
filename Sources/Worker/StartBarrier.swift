import Glibc
import PipeLabKernel

/// The point both sides of a run pass before send #1 (DESIGN.md, "Run validity"): the peer, about
/// to make its first call, lets the client through; the client waits for it. So whichever process
/// sends (the worker's thread, or a child forked for the dispositions that can kill it), the peer is
/// in the same state when send #1 starts, and no harness detail tilts a sleep-0 race. A pipe of the
/// run's own: a child that died before passing leaves nothing for the next run to find.
package struct StartBarrier {
    private let readEnd: Int32
    private let writeEnd: Int32

    package init() throws(SystemError) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw SystemError("making a run's start barrier", errno: errno) }
        // Close-on-exec, so no worker spawned later inherits it.
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        (readEnd, writeEnd) = (fds[0], fds[1])
    }

    /// The peer's side: it is ready.
    package func open() {
        var byte: UInt8 = 1
        while write(writeEnd, &byte, 1) == -1 && errno == EINTR {}
    }

    /// The client's side: returns once the peer has opened it (or every holder of its write end is gone).
    package func pass() {
        var byte: UInt8 = 0
        while read(readEnd, &byte, 1) == -1 && errno == EINTR {}
    }

    package func close() {
        Glibc.close(readEnd)
        Glibc.close(writeEnd)
    }
}
