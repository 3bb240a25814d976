/// The expansion of a spec into cells and runs, in a specified order:
/// repeat (outermost), then transport, peer, sigpipe, sleep, sends, payload, each in the order
/// its values were given. `shuffle` visits the same runs in a seeded pseudo-random permutation.
/// Runs are produced lazily: a sweep of a million runs holds only its cells in memory.
public struct Grid: Sendable {
    public let spec: SweepSpec
    /// The cells that can be run, in grid order.
    public let cells: [Scenario]
    /// The combinations that cannot exist, with the number of cells each removes.
    public let skipped: [SkippedCombination]

    public init(_ spec: SweepSpec) {
        self.spec = spec
        var cells: [Scenario] = []
        var skipped: [SkippedCombination] = []
        let perCombination = spec.sleep.count * spec.sends.count * spec.payload.count
        for transport in spec.transport {
            for peer in spec.peer {
                for sigpipe in spec.sigpipe {
                    let probe = Scenario(transport: transport, peer: peer, sigpipe: sigpipe, sleepNs: 0, sends: 1, payloadBytes: 1)
                    if let reason = probe.inapplicableReason {
                        skipped.append(SkippedCombination(transport: transport, peer: peer, sigpipe: sigpipe,
                                                          cells: perCombination, reason: reason))
                        continue
                    }
                    for sleep in spec.sleep {
                        for sends in spec.sends {
                            for payload in spec.payload {
                                cells.append(Scenario(transport: transport, peer: peer, sigpipe: sigpipe,
                                                      sleepNs: sleep, sends: sends, payloadBytes: payload))
                            }
                        }
                    }
                }
            }
        }
        self.cells = cells
        self.skipped = skipped
    }

    public var runCount: Int { cells.count * spec.repeats }
    public var skippedCellCount: Int { skipped.reduce(0) { $0 + $1.cells } }

    /// The run at position `index` of the grid order.
    public func request(at index: Int) -> RunRequest {
        RunRequest(scenario: cells[index % cells.count], repeatIndex: index / cells.count)
    }

    /// Every run in the spec's order, lazily, leaving out those in `done` (for `--resume`).
    public func requests(excluding done: Set<RunRequest> = []) -> some Sequence<RunRequest> {
        let permutation = Permutation(count: runCount, seed: spec.seed)
        let shuffled = spec.order == .shuffle
        return (0..<runCount).lazy
            .map { shuffled ? permutation[$0] : $0 }
            .map(request(at:))
            .filter { done.isEmpty || !done.contains($0) }
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
        while (1 << bits) < count { bits += 1 }
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
