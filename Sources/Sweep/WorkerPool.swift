import Glibc
import PipeLabExperiment
import PipeLabKernel
import PipeLabNetwork
import PipeLabStore
import PipeLabWorker

/// The recording process's pool of long-lived workers. It hands each idle worker the next run,
/// reads the run's steps from the worker's step log when the run ends, replaces a worker that
/// dies, and stops runs that hang past the timeout, first asking the worker for their packets.
/// (SIGPIPE's default action does not end a worker: its runs' clients are forked children.)
///
/// Once every worker is busy, a worker whose run is short (CPU-bound: it sleeps under 1 ms) is
/// handed its next run too, which waits in its channel: the worker goes on to it the moment the
/// current one ends, without waiting for the recorder (no wake-up of the worker, no idle gap),
/// and the recorder reads the finished run while the next one is made (the step log's halves).
public final class WorkerPool {
    private let size: Int
    private let cpuBoundLimit: Int
    private let timeoutNs: Int64
    private let executable: String
    private let userCommand: String?
    private let capture: Bool
    private var slots: [Slot] = []
    private var nextToken: Int64 = 1

    /// - Parameters:
    ///   - cpuBoundLimit: at most this many runs that sleep under 1 ms in flight (see RunQueue).
    ///   - executable: the pipelab binary to run in worker mode (default: this one).
    ///   - capture: record each TCP run's packets.
    ///   - userCommand: `--client-cmd`'s program, for runs of client `command`.
    public init(size: Int, cpuBoundLimit: Int? = nil, timeoutNs: Int64, executable: String? = nil, capture: Bool = false,
                userCommand: String? = nil) {
        self.userCommand = userCommand
        self.capture = capture
        self.size = max(1, size)
        self.cpuBoundLimit = max(1, cpuBoundLimit ?? size)
        self.timeoutNs = timeoutNs
        self.executable = executable ?? WorkerProcess.currentExecutable()
    }

    /// The workers' pids, for tests that kill one from outside.
    var workerPIDs: [pid_t] { slots.map(\.process.pid) }

    deinit {
        // Closing a channel ends an idle worker's loop; reaping keeps no zombies.
        for slot in slots { slot.process.channel.close() }
        for slot in slots { _ = slot.process.wait() }
    }

    /// Performs `requests` and hands each result to `onResult` as it completes. Once `shouldStop`
    /// answers true no new run starts; runs in flight finish. `tick` is called at least every 100 ms.
    public func perform<S: Sequence<RunRequest>>(
        _ requests: S, shouldStop: () -> Bool = { false }, tick: () throws -> Void = {},
        onResult: (RunResult) throws -> Void
    ) throws {
        var queue = RunQueue(requests.makeIterator())
        while true {
            for request in orphans.reversed() { queue.putBack(request) }
            orphans.removeAll()
            if !shouldStop() {
                try dispatch(from: &queue)
            }
            let busy = slots.filter { !$0.runs.isEmpty }
            if busy.isEmpty && orphans.isEmpty && (queue.isExhausted || shouldStop()) { break }
            for slot in waitForMessages(busy) {
                for result in drain(slot) { try onResult(result) }
            }
            for slot in busy {
                if let result = expireIfOverdue(slot) { try onResult(result) }
            }
            try tick()
        }
    }

    /// Runs handed to a worker that died or was killed before it took them up: they go back to
    /// the head of the queue, never recorded.
    private var orphans: [RunRequest] = []

    /// Runs a worker may hold at once: the one it makes and the next, waiting in its channel.
    static let runsPerWorker = 2

    /// Gives every idle worker (spawning up to `size`) the next run that may start; once none is
    /// idle, gives the next run to a worker whose only run is short. Runs handed to workers it
    /// started are sent once those workers are ready: a starting worker (its process, its network
    /// namespace, its client process) keeps a CPU busy for milliseconds, which would delay the
    /// runs being timed meanwhile.
    private func dispatch<Source>(from queue: inout RunQueue<Source>) throws {
        // A worker makes one run at a time: it counts once, whatever it holds.
        var cpuBound = slots.filter { $0.holdsCPUBoundRun }.count
        var started: [Slot] = []
        var handed: [(slot: Slot, token: Int64)] = []
        while true {
            var slot = slots.first { $0.runs.isEmpty }
            if slot == nil && slots.count < size && !queue.isExhausted {
                let new = Slot(process: try WorkerProcess(executable: executable, userCommand: userCommand))
                slots.append(new)
                started.append(new)
                slot = new
            }
            if slot == nil { slot = slots.first { $0.runs.count < Self.runsPerWorker && $0.runs.allSatisfy(\.request.isShort) } }
            guard let chosen = slot else { break }
            let counted = chosen.holdsCPUBoundRun
            guard let request = queue.next(cpuBoundInFlight: cpuBound - (counted ? 1 : 0), limit: cpuBoundLimit) else { break }
            if request.isHeldToCPUs && !counted { cpuBound += 1 }
            nextToken += 1
            chosen.runs.append(InFlight(request: request, token: nextToken - 1, half: StepLog.half(ofJob: chosen.jobsSent)))
            chosen.jobsSent += 1
            handed.append((chosen, nextToken - 1))
        }
        Self.awaitReady(started)
        // Nor while the kernel tears down what the isolation probe made.
        Isolation.settle()
        for (slot, token) in handed {
            if let index = slot.runs.firstIndex(where: { $0.token == token }) { send(index, of: slot) }
        }
    }

    /// Sends a worker the job of its run at `index`, handed to it but not yet sent.
    private func send(_ index: Int, of slot: Slot) {
        // A run sent to an idle worker begins now: its timeout does not count the wait for workers to start.
        if index == 0 { slot.runs[0].beginsNow() }
        var run = slot.runs[index]
        let job = WireMessage.job(token: run.token, scenario: run.request.scenario, lossSeed: run.lossSeed, capture: capture)
        guard !slot.process.channel.send(job) else { return }
        slot.runs.remove(at: index)
        // The worker died. One with a run in progress is reaped when its channel is read (drain),
        // and this run goes back to the queue; an idle one is replaced at once, and gets it.
        guard slot.runs.isEmpty else { return orphans.append(run.request) }
        _ = slot.process.wait()
        slot.respawn(executable: executable, userCommand: userCommand)
        run.half = StepLog.half(ofJob: slot.jobsSent)
        slot.jobsSent += 1
        slot.runs.append(run)
        _ = slot.process.channel.send(job)
    }

    /// Waits until each of `started` has said it is ready (or has ended: its job's send then
    /// fails), for at most 10 s.
    private static func awaitReady(_ started: [Slot]) {
        var waiting = started
        let deadline = MonotonicClock.nowNs() + 10_000_000_000
        while !waiting.isEmpty && MonotonicClock.nowNs() < deadline {
            var fds = waiting.map { pollfd(fd: $0.process.channel.fd, events: Int16(POLLIN), revents: 0) }
            guard poll(&fds, nfds_t(fds.count), 100) >= 0 || errno == EINTR else { return }
            var still: [Slot] = []
            for (slot, ready) in zip(waiting, fds) {
                guard ready.revents != 0 else {
                    still.append(slot)
                    continue
                }
                // Its first message is `ready`; anything else (the channel closed) ends the wait too.
                _ = slot.process.channel.receive(blocking: false)
            }
            waiting = still
        }
    }

    /// Reaps a dead worker: its current run ends with its death, and runs queued behind it go
    /// back to the queue, never recorded.
    private func retire(_ slot: Slot) -> RunResult? {
        let termination = slot.process.wait()
        orphans += slot.runs.dropFirst().map(\.request)
        defer { slot.runs = [] }
        guard var current = slot.runs.first else { return nil }
        current.absorb(slot.process.log)
        return current.ended(by: termination)
    }

    /// Waits until a worker has something to say (or the nearest timeout); returns those that do.
    private func waitForMessages(_ busy: [Slot]) -> [Slot] {
        let now = MonotonicClock.nowNs()
        let nearest = busy.compactMap { $0.runs.first.map { $0.startNs + timeoutNs - now } }.min() ?? 0
        let timeoutMs = Int32(clamping: min(100, max(0, (nearest + 999_999) / 1_000_000)))
        var fds = busy.map { pollfd(fd: $0.process.channel.fd, events: Int16(POLLIN), revents: 0) }
        guard poll(&fds, nfds_t(fds.count), timeoutMs) > 0 else { return [] }
        return zip(busy, fds).filter { $0.1.revents != 0 }.map(\.0)
    }

    /// Reads what a worker has sent (one message per call: poll says when there is more) and
    /// returns the runs that ended.
    private func drain(_ slot: Slot) -> [RunResult] {
        guard !slot.runs.isEmpty else { return [] }
        var finished: [RunResult] = []
        switch slot.process.channel.receive(blocking: false) {
        case .empty:
            break
        case .closed:
            // The worker died: something killed it, since its own runs die in a forked client.
            if let ended = retire(slot) { finished.append(ended) }
            slot.respawn(executable: executable, userCommand: userCommand)
        case .messages(let messages):
            // A worker's messages are its current run's: it makes its runs one after another.
            for message in messages where !slot.runs.isEmpty {
                if message.endsRun { slot.runs[0].absorb(slot.process.log) }
                if let result = slot.runs[0].handle(message) {
                    finished.append(result)
                    slot.runs.removeFirst()
                    if !slot.runs.isEmpty { slot.runs[0].beginsNow() }
                }
            }
        }
        return finished
    }

    /// A worker has this long to send a stopped run's packets before it is killed without them.
    static let stopGraceMs: Int32 = 1_000

    private func expireIfOverdue(_ slot: Slot) -> RunResult? {
        // Timed from the worker's start of the run, as its duration is (InFlight.absorb).
        guard var run = slot.runs.first,
              MonotonicClock.nowNs() - (slot.process.log.startNs(of: run.token, half: run.half) ?? run.startNs) > timeoutNs else { return nil }
        var finished: RunResult?
        if slot.process.requestStop() {
            finished = Self.collectStopped(&run, from: slot.process)
        }
        _ = slot.process.kill()
        if finished == nil { run.absorb(slot.process.log) }
        // A run queued behind it is run again, whether or not the worker had taken it up.
        orphans += slot.runs.dropFirst().map(\.request)
        slot.runs = []
        slot.respawn(executable: executable, userCommand: userCommand)
        return finished ?? run.timedOut()
    }

    /// Reads the stopped run's packets until the worker says it has sent them all; returns the
    /// run's own result when it ended on its own in the meantime.
    private static func collectStopped(_ run: inout InFlight, from process: WorkerProcess) -> RunResult? {
        let deadline = MonotonicClock.nowNs() + Int64(stopGraceMs) * 1_000_000
        while MonotonicClock.nowNs() < deadline {
            var ready = pollfd(fd: process.channel.fd, events: Int16(POLLIN), revents: 0)
            let waitMs = Int32(clamping: max(0, (deadline - MonotonicClock.nowNs()) / 1_000_000))
            guard poll(&ready, 1, waitMs) > 0 else { return nil }
            guard case .messages(let messages) = process.channel.receive(blocking: false) else { return nil }
            for message in messages {
                if case .runStopped(let token) = message, token == run.token { return nil }
                if message.endsRun { run.absorb(process.log) }
                if let result = run.handle(message) { return result }
            }
        }
        return nil
    }
}

/// A worker and the runs handed to it, the one it makes first.
private final class Slot {
    package var process: WorkerProcess
    package var runs: [InFlight] = []
    /// Jobs sent to this worker process: the next writes into the step log's half of that number.
    package var jobsSent = 0

    package init(process: WorkerProcess) { self.process = process }

    /// Whether it holds a run that counts against the CPU-bound limit (RunQueue).
    package var holdsCPUBoundRun: Bool { runs.contains { $0.request.isHeldToCPUs } }

    /// A new worker in place of a dead one; false when none could be started.
    @discardableResult
    package func respawn(executable: String, userCommand: String?) -> Bool {
        do {
            process = try WorkerProcess(executable: executable, userCommand: userCommand)
            jobsSent = 0
            return true
        } catch {
            // Keep the dead process's handle: its next send fails and dispatch retries the spawn.
            writeStandardError("pipelab: \(error)")
            return false
        }
    }
}
