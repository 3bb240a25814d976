import CPipeLabSupport
import Glibc
import PipeLabKernel
import PipeLabNetwork

/// The sweep's real-time tokens: one per CPU, so that no more runs' clients are in the real-time
/// class at any moment than there are CPUs, whatever the grid and the jobs. The recorder makes a
/// small memory file (one byte per token) that every worker inherits on `workerFD`; a worker
/// opens its own description of it, and a token is a lock on one byte (F_OFD_SETLK), shared by
/// all workers and given back by the kernel when its holder dies.
package final class RealTimeTokens {
    package static let workerFD: Int32 = 5
    private static let name = "pipelab-rt-tokens"

    private let fd: Int32
    private let count: Int32

    /// In the recorder: the file to hand to each worker, or nil where it cannot be made (then no
    /// worker uses the real-time class).
    package static func create() -> Int32? {
        let fd = pipelab_token_file(name, Int32(max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))))
        return fd >= 0 ? fd : nil
    }

    /// In a worker: its own open file description of the recorder's file on `inherited`, or nil
    /// when that fd is not the recorder's token file.
    package init?(inherited: Int32 = workerFD) {
        var target = [CChar](repeating: 0, count: 256)
        let length = readlink("/proc/self/fd/\(inherited)", &target, target.count - 1)
        guard length > 0, String(decoding: target[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self).hasPrefix("/memfd:\(Self.name)") else {
            return nil
        }
        let fd = open("/proc/self/fd/\(inherited)", O_RDWR | O_CLOEXEC)
        var info = stat()
        guard fd >= 0, fstat(fd, &info) == 0, info.st_size >= 1, info.st_size <= 65_536 else {
            if fd >= 0 { close(fd) }
            return nil
        }
        (self.fd, count) = (fd, Int32(info.st_size))
    }

    deinit { close(fd) }

    /// Takes a free token; false when every one is held.
    package func take() -> Bool { pipelab_token_take(fd, count) >= 0 }

    /// Gives back what this process (or a client it forked, which shares the description) holds.
    package func give() { pipelab_token_give(fd) }
}

extension RealTimeTokens: RealTimeTokenSource {}
