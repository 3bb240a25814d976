import Glibc

/// The recording side of a sweep: completed runs go into a queue, and a writer thread of its own
/// writes them in batched transactions (everything queued so far in one transaction, at least
/// every 200 ms), so the worker pool's event loop never waits for the disk and a completed run is
/// on disk within a second. The queue is bounded: a slow disk slows the sweep instead of growing
/// memory.
final class SweepRecorder: @unchecked Sendable {
    private let writer: RunWriter
    private var queue: [RunResult] = []
    private var failure: StoreError?
    private var closing = false
    private var mutex = pthread_mutex_t()
    private var changed = pthread_cond_t()
    private var thread = pthread_t()
    /// About 1.5 MB of results: enough to batch, small enough to keep memory flat.
    static let maxQueued = 2_000

    init(writer: RunWriter) throws(SystemError) {
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
    func add(_ run: RunResult) throws(StoreError) {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        while queue.count >= Self.maxQueued && failure == nil { pthread_cond_wait(&changed, &mutex) }
        if let failure { throw failure }
        queue.append(run)
        pthread_cond_broadcast(&changed)
    }

    /// Writes everything queued and stops the writer thread.
    func finish() throws(StoreError) {
        pthread_mutex_lock(&mutex)
        closing = true
        pthread_cond_broadcast(&changed)
        pthread_mutex_unlock(&mutex)
        pthread_join(thread, nil)
        if let failure { throw failure }
    }

    private func writeLoop() {
        while true {
            pthread_mutex_lock(&mutex)
            while queue.isEmpty && !closing { pthread_cond_wait(&changed, &mutex) }
            if queue.isEmpty && closing {
                pthread_mutex_unlock(&mutex)
                return
            }
            let batch = queue
            queue.removeAll(keepingCapacity: true)
            pthread_cond_broadcast(&changed)
            pthread_mutex_unlock(&mutex)
            do {
                try writer.write(batch)
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
