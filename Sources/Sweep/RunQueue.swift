import Foundation
import PipeLabExperiment
import PipeLabKernel
import PipeLabStore
import PipeLabWorker

extension RunRequest {
    /// A run that sleeps less than a millisecond is busy on the CPU nearly all its life; so is one
    /// whose many sends are close together (10,000 sends 1 ns apart after a 1 ms sleep: about
    /// 50 ms of sending), counted by its pauses: less than `busyNsPerSend` of pause per send.
    package var isCPUBound: Bool {
        guard !scenario.hasLink else { return false }
        if scenario.sleepNs < 1_000_000 && scenario.intervalNs < 1_000_000 { return true }
        let pausesNs = Double(scenario.sleepNs) + Double(max(0, scenario.sends - 2)) * Double(scenario.intervalNs)
        return pausesNs < Double(scenario.sends) * Double(Self.busyNsPerSend)
    }

    /// A harness run busy on the CPU nearly all its life (a real program waits tens of
    /// milliseconds for its runtime to start): a worker making one may be handed its next run
    /// (WorkerPool), since it will not idle meanwhile.
    package var isShort: Bool { isCPUBound && !scenario.client.isReal }

    /// What a send costs the CPU, as an order of magnitude (a few µs on loopback), generously.
    package static let busyNsPerSend: Int64 = 20_000

    /// Held to the CPU-bound limit too: a run over the emulated link, whose packets the kernel
    /// delivers in softirq context, which on a busy machine waits in ksoftirqd behind the other
    /// runs (measured: a 20 ms round trip stretched to 75 ms with 36 link runs in flight on 2 CPUs).
    package var isHeldToCPUs: Bool { isCPUBound || scenario.hasLink }
}

/// Hands out runs in their order, except that no more than `limit` CPU-bound runs are in flight
/// at once: those wait (in order) while runs that sleep may overtake them. Without this, a grid
/// that mixes sleeps of 0 with sleeps of seconds, run with many jobs, overloads the CPUs, and a
/// peer thread can wait so long to be scheduled that even a 10 ms sleep no longer separates the
/// client's sends from the peer's close. The waiting room is bounded, so memory stays flat.
package struct RunQueue<Source: IteratorProtocol<RunRequest>> {
    private var source: Source
    private var waiting: [RunRequest] = []
    private var sourceDone = false
    private let lookahead: Int

    package init(_ source: Source, lookahead: Int = 4_096) {
        self.source = source
        self.lookahead = lookahead
    }

    /// Nothing is left to hand out.
    package var isExhausted: Bool { sourceDone && waiting.isEmpty }

    /// A run handed out that was never made (its worker died first): it is handed out next.
    package mutating func putBack(_ request: RunRequest) {
        waiting.insert(request, at: 0)
    }

    /// The next run that may start now, or nil when none may.
    package mutating func next(cpuBoundInFlight: Int, limit: Int) -> RunRequest? {
        let cpuFree = cpuBoundInFlight < limit
        if cpuFree && !waiting.isEmpty { return waiting.removeFirst() }
        while !sourceDone && waiting.count < lookahead {
            guard let request = source.next() else {
                sourceDone = true
                break
            }
            if cpuFree || !request.isHeldToCPUs { return request }
            waiting.append(request)
        }
        return nil
    }
}

extension SweepSpec {
    /// How many CPU-bound runs may be in flight: two per CPU when the grid also has runs that sleep
    /// (they need the CPU promptly when they wake), else as many as the jobs.
    public var cpuBoundLimit: Int {
        let sleeping = sleep.contains { $0 >= 1_000_000 }
        return sleeping ? min(jobs, max(2, 2 * UsableCPUs.count)) : jobs
    }
}
