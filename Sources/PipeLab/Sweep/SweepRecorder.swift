/// Buffers completed runs and writes them in batched transactions: at most every 200 ms, so a
/// completed run is on disk within a second, and without a database round trip per run.
final class SweepRecorder {
    private let writer: RunWriter
    private var buffer: [RunResult] = []
    private var oldestNs: Int64 = 0
    static let maxDelayNs: Int64 = 200_000_000
    static let maxBatch = 5_000

    init(writer: RunWriter) { self.writer = writer }

    func add(_ run: RunResult) throws(StoreError) {
        if buffer.isEmpty { oldestNs = MonotonicClock.nowNs() }
        buffer.append(run)
        if buffer.count >= Self.maxBatch { try flush() }
    }

    func flushIfDue() throws(StoreError) {
        if !buffer.isEmpty && MonotonicClock.nowNs() - oldestNs >= Self.maxDelayNs { try flush() }
    }

    func flush() throws(StoreError) {
        try writer.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}
