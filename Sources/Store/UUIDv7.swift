import Glibc
import PipeLabExperiment
import PipeLabKernel

/// Time-ordered UUIDs (RFC 9562, version 7): unique across machines like any UUID, but new rows
/// land at the end of the uuid index instead of at random places in it, which keeps recording fast.
package enum UUIDv7 {
    /// A per-process generator seeded once from the kernel's entropy (one getrandom call, not one per UUID).
    nonisolated(unsafe) private static var state: UInt64 = {
        var generator = SystemRandomNumberGenerator()
        return generator.next()
    }()
    private static let lock = Lock()

    package static func next() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let milliseconds = UInt64(now.tv_sec) * 1000 + UInt64(now.tv_nsec) / 1_000_000
        let (a, b) = lock.withLock { (SplitMix64.next(&state), SplitMix64.next(&state)) }
        let high = (milliseconds << 16) | 0x7000 | (a & 0x0FFF)
        let low = (b & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        // 8-4-4-4-12 lowercase hex digits, written straight into the string's storage.
        return String(unsafeUninitializedCapacity: 36) { buffer in
            let digits: StaticString = "0123456789abcdef"
            var position = 0
            for index in 0..<32 {
                if position == 8 || position == 13 || position == 18 || position == 23 {
                    buffer[position] = UInt8(ascii: "-")
                    position += 1
                }
                let word = index < 16 ? high : low
                buffer[position] = digits.utf8Start[Int((word >> UInt64(60 - 4 * (index % 16))) & 0xF)]
                position += 1
            }
            return position
        }
    }
}

/// A pthread mutex for the few places two threads share state.
package final class Lock: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    package init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }

    package func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return try body()
    }
}
