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
            if !shouldStop() {
                try dispatch(from: &queue)
            }
            let busy = slots.filter { $0.inFlight != nil }
            if busy.isEmpty && (queue.isExhausted || shouldStop()) { break }
            for slot in waitForMessages(busy) {
                for result in drain(slot) { try onResult(result) }
            }
            for slot in busy {
                if let result = expireIfOverdue(slot) { try onResult(result) }
            }
            try tick()
        }
    }

    /// Gives every idle worker (spawning up to `size`) the next run that may start.
    private func dispatch<Source>(from queue: inout RunQueue<Source>) throws {
        var cpuBound = slots.filter { $0.inFlight?.request.isHeldToCPUs == true }.count
        while true {
            var slot = slots.first { $0.inFlight == nil }
            if slot == nil && slots.count < size && !queue.isExhausted {
                slot = Slot(process: try WorkerProcess(executable: executable, userCommand: userCommand))
                slots.append(slot!)
            }
            guard let idle = slot, let request = queue.next(cpuBoundInFlight: cpuBound, limit: cpuBoundLimit) else { return }
            if request.isHeldToCPUs { cpuBound += 1 }
            let token = nextToken
            nextToken += 1
            let inFlight = InFlight(request: request, token: token)
            idle.inFlight = inFlight
            let job = WireMessage.job(token: token, scenario: request.scenario, lossSeed: inFlight.lossSeed, capture: capture)
            if !idle.process.channel.send(job) {
                // The worker died while idle: replace it and try the same run on the new one.
                _ = idle.process.wait()
                idle.process = try WorkerProcess(executable: executable, userCommand: userCommand)
                _ = idle.process.channel.send(job)
            }
        }
    }

    /// Waits until a worker has something to say (or the nearest timeout); returns those that do.
    private func waitForMessages(_ busy: [Slot]) -> [Slot] {
        let now = MonotonicClock.nowNs()
        let nearest = busy.compactMap { $0.inFlight.map { $0.startNs + timeoutNs - now } }.min() ?? 0
        let timeoutMs = Int32(clamping: min(100, max(0, (nearest + 999_999) / 1_000_000)))
        var fds = busy.map { pollfd(fd: $0.process.channel.fd, events: Int16(POLLIN), revents: 0) }
        guard poll(&fds, nfds_t(fds.count), timeoutMs) > 0 else { return [] }
        return zip(busy, fds).filter { $0.1.revents != 0 }.map(\.0)
    }

    /// Reads what a worker has sent (one message per call: poll says when there is more) and
    /// returns the runs that ended.
    private func drain(_ slot: Slot) -> [RunResult] {
        guard slot.inFlight != nil else { return [] }
        var finished: [RunResult] = []
        switch slot.process.channel.receive(blocking: false) {
        case .empty:
            break
        case .closed:
            // The worker died: something killed it, since its own runs die in a forked client.
            let termination = slot.process.wait()
            if var run = slot.inFlight {
                run.absorb(slot.process.log.read())
                finished.append(run.ended(by: termination))
                slot.inFlight = nil
            }
            slot.respawn(executable: executable, userCommand: userCommand)
        case .messages(let messages):
            for message in messages {
                if message.endsRun { slot.inFlight?.absorb(slot.process.log.read()) }
                if let result = slot.inFlight?.handle(message) {
                    finished.append(result)
                    slot.inFlight = nil
                }
            }
        }
        return finished
    }

    /// A worker has this long to send a stopped run's packets before it is killed without them.
    static let stopGraceMs: Int32 = 1_000

    private func expireIfOverdue(_ slot: Slot) -> RunResult? {
        guard var run = slot.inFlight, MonotonicClock.nowNs() - run.startNs > timeoutNs else { return nil }
        var finished: RunResult?
        if slot.process.requestStop() {
            finished = Self.collectStopped(&run, from: slot.process)
        }
        _ = slot.process.kill()
        if finished == nil { run.absorb(slot.process.log.read()) }
        slot.inFlight = nil
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
                if message.endsRun { run.absorb(process.log.read()) }
                if let result = run.handle(message) { return result }
            }
        }
        return nil
    }
}

/// A worker and the run it is doing.
private final class Slot {
    package var process: WorkerProcess
    package var inFlight: InFlight?

    package init(process: WorkerProcess) { self.process = process }

    package func respawn(executable: String, userCommand: String?) {
        do {
            process = try WorkerProcess(executable: executable, userCommand: userCommand)
        } catch {
            // Keep the dead process's handle: its next send fails and dispatch retries the spawn.
            writeStandardError("pipelab: \(error)")
        }
    }
}
