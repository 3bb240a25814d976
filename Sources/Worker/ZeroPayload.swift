import Glibc
import PipeLabExperiment
import PipeLabKernel

/// The bytes every client send writes: zeros, from a read-only private mapping of anonymous
/// memory. Reading such a mapping maps the kernel's one shared zero page, so a 1 GiB payload costs
/// a worker page tables (2 MiB), not 1 GiB, and all workers together cost the machine no more.
/// (The content of the payload is not part of the experiment; only its size is.)
package final class ZeroPayload {
    private var base: UnsafeMutableRawPointer?
    private var count = 0

    deinit { unmap() }

    /// The whole mapping: a payload of up to the largest size asked so far.
    package var mapping: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// `bytes` zero bytes, the start of the mapping. It is mapped again only for a larger payload,
    /// so the client process, which sends from the mapping it inherited, is rarely forked again for it.
    package func bytes(_ size: Int64) throws(SystemError) -> UnsafeRawBufferPointer {
        guard let wanted = Int(exactly: size), wanted > 0 else { throw SystemError("a payload of \(size) bytes", errno: EINVAL) }
        if wanted > count {
            unmap()
            let mapped = mmap(nil, wanted, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
            guard let mapped, mapped != MAP_FAILED else { throw SystemError("mapping a payload of \(size) bytes", errno: errno) }
            (base, count) = (mapped, wanted)
        }
        return UnsafeRawBufferPointer(start: base, count: wanted)
    }

    private func unmap() {
        if let base { munmap(base, count) }
        (base, count) = (nil, 0)
    }
}
