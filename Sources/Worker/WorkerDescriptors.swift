import Glibc
import PipeLabExperiment
import PipeLabKernel
import PipeLabNetwork

/// A recorder starts each worker with its channel (a Unix SOCK_SEQPACKET socket) on fd 3 and its
/// step log (a read-write file of `StepLog.byteCount` bytes) on fd 4. A worker started any other
/// way says which one is wrong instead of reading a stray fd or mapping past a file's end (SIGBUS).
package enum WorkerDescriptors {
    package static func problem(channelFD: Int32, logFD: Int32) -> String? {
        if socketOption(channelFD, SO_TYPE) != Int32(SOCK_SEQPACKET.rawValue) || socketOption(channelFD, SO_DOMAIN) != AF_UNIX {
            return "fd \(channelFD) is not a Unix SOCK_SEQPACKET socket (the channel from the recorder)"
        }
        var info = stat()
        guard fstat(logFD, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size == StepLog.byteCount,
              fcntl(logFD, F_GETFL) & O_ACCMODE == O_RDWR else {
            return "fd \(logFD) is not a step log (a read-write file of \(StepLog.byteCount) bytes)"
        }
        return nil
    }

    private static func socketOption(_ fd: Int32, _ option: Int32) -> Int32? {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(fd, SOL_SOCKET, option, &value, &length) == 0 ? value : nil
    }
}
