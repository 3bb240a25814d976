/// The expansion of a spec into cells and runs, in a specified order:
/// repeat (outermost), then transport, peer, sigpipe, sleep, sends, payload, each in the order
/// its values were given. `shuffle` visits the same runs in a seeded pseudo-random permutation.
/// Cells and runs are computed from their position, never stored: a grid's memory does not grow
/// with its size. Counts saturate instead of overflowing; `Grid.check` refuses a grid beyond
/// `Limits.runs` before anything is opened.
public struct Grid: Sendable {
    public let spec: SweepSpec
    /// The cells that can be run, in grid order.
    public let cells: GridCells
    /// The combinations that cannot exist, with the number of cells each removes.
    public let skipped: [SkippedCombination]
    /// With `--shard`: which part of the grid's runs this sweep runs.
    public let shard: ShardPlan?

    public init(_ spec: SweepSpec, shard: Shard? = nil) {
        self.spec = spec
        var runnable: [GridCells.Combination] = []
        var skipped: [SkippedCombination] = []
        let perCombination = GridCells.product([spec.sleep.count, spec.sends.count, spec.payload.count])
        for transport in spec.transport {
            for peer in spec.peer {
                for sigpipe in spec.sigpipe {
                    let probe = Scenario(transport: transport, peer: peer, sigpipe: sigpipe, sleepNs: 0, sends: 1, payloadBytes: 1)
                    if let reason = probe.inapplicableReason {
                        skipped.append(SkippedCombination(transport: transport, peer: peer, sigpipe: sigpipe,
                                                          cells: perCombination, reason: reason))
                    } else {
                        runnable.append(GridCells.Combination(transport: transport, peer: peer, sigpipe: sigpipe))
                    }
                }
            }
        }
        cells = GridCells(combinations: runnable, sleep: spec.sleep, sends: spec.sends, payload: spec.payload)
        self.skipped = skipped
        let runnableCells = cells
        self.shard = shard.map { ShardPlan($0, cells: runnableCells, repeats: spec.repeats) }
    }

    /// Runs of the whole grid, every shard's.
    public var gridRunCount: Int { GridCells.product([cells.count, spec.repeats]) }
    /// Runs this sweep runs: the grid's, or its shard's.
    public var runCount: Int { shard?.runCount ?? gridRunCount }
    public var skippedCellCount: Int { GridCells.product([skipped.count, skipped.first?.cells ?? 0]) }

    /// Refuses a spec whose grid has no cell that can exist, or more runs than `Limits.runs`;
    /// only counts, so it costs nothing however large the grid.
    public static func check(_ spec: SweepSpec) throws(InputError) {
        let grid = Grid(spec)
        if grid.cells.isEmpty && !grid.skipped.isEmpty {
            let reasons = Dictionary(grouping: grid.skipped, by: \.reason).sorted { $0.key < $1.key }.map { reason, combinations in
                reason + " (" + combinations.map { "\($0.transport.rawValue)/\($0.peer.rawValue)/\($0.sigpipe.rawValue)" }.joined(separator: ", ") + ")"
            }
            throw InputError("no cell of the grid can exist: \(reasons.joined(separator: "; ")); accepted: at least one possible combination (tcp4, tcp6 and unix take every peer and sigpipe; pipe takes peer close or close-unread with any sigpipe but nosignal)")
        }
        let (runs, overflow) = grid.cells.count.multipliedReportingOverflow(by: spec.repeats)
        guard overflow || runs > Limits.runs else { return }
        let size = overflow || grid.cells.count == Int.max ? "more than \(Int.max) runs" : "\(runs) runs (\(grid.cells.count) cells × \(spec.repeats) repeats)"
        throw InputError("the grid has \(size); accepted: at most \(Limits.runs) runs per sweep (give fewer values or repeats, or split it into several sweeps)")
    }

    /// The run at position `index` of the grid order.
    public func request(at index: Int) -> RunRequest {
        RunRequest(scenario: cells[index % cells.count], repeatIndex: index / cells.count)
    }

    /// Every run (of the shard) in the spec's order, lazily, leaving out those in `done` (for `--resume`).
    public func requests(excluding done: Set<RunRequest> = []) -> some Sequence<RunRequest> {
        let permutation = Permutation(count: gridRunCount, seed: spec.seed)
        let shuffled = spec.order == .shuffle
        return (0..<gridRunCount).lazy
            .map { shuffled ? permutation[$0] : $0 }
            .filter { shard?.contains(runAt: $0) ?? true }
            .map(request(at:))
            .filter { done.isEmpty || !done.contains($0) }
    }
}

/// The runnable cells of a grid in grid order, each computed from its index (a mixed-radix number
/// over the runnable combinations, sleeps, sends and payloads).
public struct GridCells: RandomAccessCollection, Sendable {
    struct Combination: Sendable {
        var transport: Transport
        var peer: PeerAction
        var sigpipe: SigpipeMode
    }

    let combinations: [Combination]
    let sleep: [Int64]
    let sends: [Int]
    let payload: [Int64]
    public let count: Int

    init(combinations: [Combination], sleep: [Int64], sends: [Int], payload: [Int64]) {
        (self.combinations, self.sleep, self.sends, self.payload) = (combinations, sleep, sends, payload)
        count = Self.product([combinations.count, sleep.count, sends.count, payload.count])
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(index: Int) -> Scenario {
        let payloadIndex = index % payload.count
        let sendsIndex = index / payload.count % sends.count
        let sleepIndex = index / payload.count / sends.count % sleep.count
        let combination = combinations[index / payload.count / sends.count / sleep.count]
        return Scenario(transport: combination.transport, peer: combination.peer, sigpipe: combination.sigpipe,
                        sleepNs: sleep[sleepIndex], sends: sends[sendsIndex], payloadBytes: payload[payloadIndex])
    }

    /// A product of counts that saturates at Int.max instead of trapping.
    static func product(_ factors: [Int]) -> Int {
        factors.reduce(1) { product, factor in
            let (result, overflow) = product.multipliedReportingOverflow(by: factor)
            return overflow ? Int.max : result
        }
    }
}

/// A seeded bijection of 0..<count computed on demand (a Feistel network with cycle-walking),
/// so a shuffled sweep needs no array of its runs.
struct Permutation: Sendable {
    let count: Int
    let keys: [UInt64]
    let halfBits: Int

    init(count: Int, seed: UInt64) {
        self.count = count
        var bits = 2
        while bits < 62 && (1 << bits) < count { bits += 1 }
        halfBits = (bits + 1) / 2
        var state = seed
        keys = (0..<4).map { _ in SplitMix64.next(&state) }
    }

    subscript(index: Int) -> Int {
        guard count > 1 else { return index }
        var value = UInt64(index)
        repeat { value = encrypt(value) } while value >= UInt64(count)
        return Int(value)
    }

    private func encrypt(_ value: UInt64) -> UInt64 {
        let mask = (UInt64(1) << halfBits) - 1
        var left = value >> halfBits, right = value & mask
        for key in keys {
            var mixed = key ^ right
            let next = left ^ (SplitMix64.next(&mixed) & mask)
            left = right
            right = next
        }
        return (left << halfBits) | right
    }
}

enum SplitMix64 {
    static func next(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
