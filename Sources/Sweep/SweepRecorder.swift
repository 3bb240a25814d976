import Glibc
import PipeLabExperiment
import PipeLabKernel
import PipeLabStore
import PipeLabWorker

/// The recording side of a sweep: completed runs go into a queue, and a writer thread of its own
/// writes them in batched transactions (a batch once 4,000 runs are queued or 250 ms after the
/// oldest arrived, whichever comes first), so the worker pool's event loop never waits for the
/// disk, a transaction carries many runs, and a completed run is on disk well within a second.
/// The queue is bounded: a slow disk slows the sweep instead of growing memory. Every batch
/// renews the sweep's lease, and so does the thread every few seconds when no run completes.
package final class SweepRecorder: @unchecked Sendable {
    private let writer: RunWriter
    private var queue: [RunResult] = []
    private var failure: StoreError?
    private var closing = false
    private var mutex = pthread_mutex_t()
    private var changed = pthread_cond_t()
    private var thread = pthread_t()
    /// About 6 MB of results: enough to batch, small enough to keep memory flat.
    package static let maxQueued = 8_000
    /// A run's row and steps cost SQLite about an eighth less in transactions of 4,000 runs than of
    /// 500 (a C replay of 20,000 recorded runs: 26 against 30 µs a run; the report's indexes take
    /// rows all over their b-trees, and every commit writes each page it touched again): the
    /// writer's CPU is the sweep's largest single share at sleep 0.
    package static let batchSize = 4_000
    package static let maxDelayNs: Int64 = 250_000_000
    private var oldestQueuedNs: Int64 = 0
    package static let heartbeatIntervalNs: Int64 = 5_000_000_000
    private var lastHeartbeatNs = MonotonicClock.nowNs()

    package init(writer: RunWriter) throws(SystemError) {
        self.writer = writer
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&changed, nil)
        let context = Unmanaged.passRetained(self).toOpaque()
        let status = pthread_create(&thread, nil, { context in
            let recorder = Unmanaged<SweepRecorder>.fromOpaque(context!).takeRetainedValue()
            recorder.writeLoop()
            return nil
        }, context)
        guard status == 0 else {
            Unmanaged<SweepRecorder>.fromOpaque(context).release()
            throw SystemError("starting the database writer thread", errno: status)
        }
    }

    deinit {
        pthread_cond_destroy(&changed)
        pthread_mutex_destroy(&mutex)
    }

    /// Queues a run; fails if an earlier write failed.
    package func add(_ run: RunResult) throws(StoreError) {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        while queue.count >= Self.maxQueued && failure == nil { pthread_cond_wait(&changed, &mutex) }
        if let failure { throw failure }
        if queue.isEmpty { oldestQueuedNs = MonotonicClock.nowNs() }
        queue.append(run)
        // Waking the writer for every run would cost a context switch each; it wakes by itself
        // when the oldest run has waited long enough.
        if queue.count == Self.batchSize { pthread_cond_broadcast(&changed) }
    }

    /// Writes everything queued and stops the writer thread.
    package func finish() throws(StoreError) {
        pthread_mutex_lock(&mutex)
        closing = true
        pthread_cond_broadcast(&changed)
        pthread_mutex_unlock(&mutex)
        pthread_join(thread, nil)
        if let failure { throw failure }
    }

    private func heartbeatDue() -> Bool {
        MonotonicClock.nowNs() - lastHeartbeatNs >= Self.heartbeatIntervalNs
    }

    private func oldestHasWaited() -> Bool {
        MonotonicClock.nowNs() - oldestQueuedNs >= Self.maxDelayNs
    }

    /// Waits on the condition for at most `upToNs` (the mutex is held).
    private func waitForChange(upToNs: Int64) {
        var deadline = timespec()
        clock_gettime(CLOCK_REALTIME, &deadline)
        let total = Int64(deadline.tv_nsec) + max(1_000_000, upToNs)
        deadline.tv_sec += Int(total / 1_000_000_000)
        deadline.tv_nsec = Int(total % 1_000_000_000)
        _ = pthread_cond_timedwait(&changed, &mutex, &deadline)
    }

    private func writeLoop() {
        while true {
            pthread_mutex_lock(&mutex)
            while !closing && !heartbeatDue() && (queue.isEmpty || (queue.count < Self.batchSize && !oldestHasWaited())) {
                waitForChange(upToNs: queue.isEmpty ? Self.maxDelayNs : oldestQueuedNs + Self.maxDelayNs - MonotonicClock.nowNs())
            }
            if queue.isEmpty && closing {
                pthread_mutex_unlock(&mutex)
                return
            }
            let batch = queue
            queue.removeAll(keepingCapacity: true)
            pthread_cond_broadcast(&changed)
            pthread_mutex_unlock(&mutex)
            do {
                // A batch renews the lease; with nothing to write, the heartbeat alone does.
                if batch.isEmpty { try writer.heartbeat() } else { try writer.write(batch) }
                lastHeartbeatNs = MonotonicClock.nowNs()
            } catch {
                pthread_mutex_lock(&mutex)
                failure = error
                pthread_cond_broadcast(&changed)
                pthread_mutex_unlock(&mutex)
                return
            }
        }
    }
}
