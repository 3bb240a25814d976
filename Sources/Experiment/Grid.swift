/// The expansion of a spec into cells and runs, in a specified order: repeat (outermost), then
/// the dimensions of the table expanded per combination (transport, peer, sigpipe, probe, interval,
/// rtt, loss: every dimension but the three below), then sleep, sends and payload, each in the
/// order its values were given. Sleep, sends and payload are the inner loops because a run's
/// expected time is theirs (ShardPlan balances shards by them); a new dimension is a combination
/// one and needs nothing here. Probes other than none take only the sleeps in `probe-sleep` (when
/// given), networks other than plain only those in `link-sleep` and probe none: the grid is then a
/// union of smaller grids. A combination that `Dimensions.impossible` rules out is not a cell: it
/// is listed in `skipped` with its reason and the cells the grid would have had, and so is a real
/// client whose runtime is not installed on this machine (`unavailable`); so are the link cells a
/// machine cannot run (`linksUnrunnable`), which stay cells so that every machine deals a shard
/// the same runs. `shuffle` visits the same runs in a seeded pseudo-random permutation.
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
    /// Why this machine cannot run the cells with an emulated link, or nil: they stay in `cells`
    /// (a shard's runs do not depend on the machine), are listed in `skipped` with this reason,
    /// and no run of theirs is requested or planned.
    public let linksUnrunnable: String?
    /// Cells that have a link, when this machine cannot run them; and their runs in this sweep (or shard).
    public let unrunnableCellCount: Int
    private let unrunnableRunCount: Int

    /// The dimensions each combination fixes, outermost first.
    public static let combinationDimensions = Dimensions.all.filter { $0.gridLevel == .combination }

    /// - Parameter unavailable: the real clients that cannot run on this machine, with why.
    /// - Parameter linksUnrunnable: why this machine cannot make an emulated link, if it cannot.
    public init(_ spec: SweepSpec, shard: Shard? = nil, unavailable: [ClientProgram: String] = [:], linksUnrunnable: String? = nil) {
        self.spec = spec
        var runnable: [GridCells.Combination] = []
        var skipped: [SkippedCombination] = []
        for base in Self.combinations(of: spec) {
            let sleeps = spec.sleeps(for: base.probe, network: base.network)
            let cells = GridCells.product([sleeps.count, spec.sends.count, spec.payload.count])
            if let reason = base.impossibility?.reason ?? unavailable[base.client] {
                if cells > 0 { skipped.append(SkippedCombination(base, cells: cells, reason: reason)) }
                continue
            }
            guard !sleeps.isEmpty else { continue }
            runnable.append(GridCells.Combination(base: base, sleep: sleeps))
            if let linksUnrunnable, base.hasLink { skipped.append(SkippedCombination(base, cells: cells, reason: linksUnrunnable)) }
        }
        let cells = GridCells(combinations: runnable, sends: spec.sends, payload: spec.payload)
        let plan = shard.map { ShardPlan($0, cells: cells, repeats: spec.repeats, seed: spec.seed) }
        (self.cells, self.skipped, self.shard, self.linksUnrunnable) = (cells, skipped, plan, linksUnrunnable)
        let linkCells = linksUnrunnable == nil ? [] : cells.combinations.indices.filter { cells.combinations[$0].base.hasLink }.map { k in
            cells.starts[k] ..< (k + 1 < cells.starts.count ? cells.starts[k + 1] : cells.count)
        }
        unrunnableCellCount = linkCells.reduce(0) { $0 + $1.count }
        // A shard's share of them is counted run by run: only link cells' runs are visited.
        unrunnableRunCount = plan.map { plan in
            (0..<spec.repeats).reduce(0) { total, repeatIndex in
                linkCells.reduce(total) { total, range in total + range.count { plan.contains(runAt: repeatIndex * cells.count + $0) } }
            }
        } ?? GridCells.product([unrunnableCellCount, spec.repeats])
    }

    /// Every combination of the combination dimensions' values, in grid order (the first
    /// dimension outermost), as the classic scenario with those values set.
    package static func combinations(of spec: SweepSpec) -> [Scenario] {
        combinationDimensions.reduce([Scenario.classic]) { partial, dimension in
            partial.flatMap { scenario in
                spec[dimension].map { value in
                    var next = scenario
                    dimension.set(value, in: &next)
                    return next
                }
            }
        }
    }

    /// Runs of the whole grid, every shard's.
    public var gridRunCount: Int { GridCells.product([cells.count, spec.repeats]) }
    /// Runs this sweep runs: the grid's, or its shard's, but for those this machine cannot run.
    public var runCount: Int { (shard?.runCount ?? gridRunCount) - unrunnableRunCount }
    public var skippedCellCount: Int {
        skipped.reduce(0) { total, s in total.addingReportingOverflow(s.cells).overflow ? Int.max : total + s.cells }
    }

    /// Refuses a spec whose grid has no cell that can exist, or more runs than `Limits.runs`;
    /// only counts, so it costs nothing however large the grid.
    public static func check(_ spec: SweepSpec, unavailable: [ClientProgram: String] = [:]) throws(InputError) {
        if spec.client.contains(.command) != (spec.clientCommand != nil) {
            throw InputError(spec.clientCommand == nil
                ? "client command runs your own program; accepted: --client-cmd 'COMMAND' (or the spec key client-cmd) with it"
                : "--client-cmd runs your own program as the client, and the clients \(spec.client.map(\.rawValue).joined(separator: ",")) do not include it; accepted: --client-cmd alone, or with command among --client's values")
        }
        if spec.probe.contains(where: { $0 != .none }), let probeSleep = spec.probeSleep, spec.sleeps(for: .poll).isEmpty {
            throw InputError("probe-sleep: none of \(probeSleep.map(DurationText.format).joined(separator: ", ")) is among the sleeps \(spec.sleep.map(DurationText.format).joined(separator: ", ")); accepted: some of the sweep's sleeps")
        }
        if let linkSleep = spec.linkSleep, !spec.sleep.contains(where: linkSleep.contains) {
            throw InputError("link-sleep: none of \(linkSleep.map(DurationText.format).joined(separator: ", ")) is among the sleeps \(spec.sleep.map(DurationText.format).joined(separator: ", ")); accepted: some of the sweep's sleeps")
        }
        let grid = Grid(spec, unavailable: unavailable)
        if grid.cells.isEmpty && !spec.transport.contains(where: \.crossesLink) && grid.skipped.allSatisfy(\.combination.hasLink) {
            throw InputError("no cell of the grid can exist: rtt and loss are properties of the emulated link, which carries IPv4 TCP only, and \(spec.transport.map(\.rawValue).joined(separator: ", ")) cross none; accepted: rtt 0 and loss 0 for tcp6, unix and pipe, or the tcp4 transport")
        }
        if grid.cells.isEmpty && !grid.skipped.isEmpty {
            let reasons = Dictionary(grouping: grid.skipped, by: \.reason).sorted { $0.key < $1.key }.map { reason, combinations in
                reason + " (" + combinations.map { $0.label.replacingOccurrences(of: " ", with: "/") }.joined(separator: ", ") + ")"
            }
            throw InputError("no cell of the grid can exist: \(reasons.joined(separator: "; ")); accepted: at least one possible combination (tcp4, tcp6 and unix take every peer and sigpipe; pipe takes peer close or close-unread with any sigpipe but nosignal, and probe none or poll)")
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
            .filter { linksUnrunnable == nil || !cells[$0 % cells.count].hasLink }
            .map(request(at:))
            .filter { done.isEmpty || !done.contains($0) }
    }
}

/// The runnable cells of a grid in grid order, each computed from its index: the combination is
/// found among the combinations' first indexes (each may have its own sleeps), the rest is a
/// mixed-radix number over its sleeps, the sends and the payloads.
public struct GridCells: RandomAccessCollection, Sendable {
    package struct Combination: Sendable {
        /// The combination dimensions' values (sleep, sends and payload as in the classic case).
        package var base: Scenario
        package var sleep: [Int64]
    }

    package let combinations: [Combination]
    /// The index of each combination's first cell.
    package let starts: [Int]
    package let sends: [Int]
    package let payload: [Int64]
    public let count: Int

    package init(combinations: [Combination], sends: [Int], payload: [Int64]) {
        (self.combinations, self.sends, self.payload) = (combinations, sends, payload)
        var starts: [Int] = []
        var total = 0
        for combination in combinations {
            starts.append(total)
            let cells = Self.product([combination.sleep.count, sends.count, payload.count])
            total = total.addingReportingOverflow(cells).overflow ? Int.max : total + cells
        }
        self.starts = starts
        count = total
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(index: Int) -> Scenario {
        let place = place(of: index)
        let combination = combinations[place.combination]
        var scenario = combination.base
        scenario.sleepNs = combination.sleep[place.sleep]
        scenario.sends = sends[place.sends]
        scenario.payloadBytes = payload[place.payload]
        return scenario
    }

    /// The cell at `index` as positions: its combination, and its sleep (among the combination's),
    /// sends and payload.
    package func place(of index: Int) -> (combination: Int, sleep: Int, sends: Int, payload: Int) {
        // The last combination starting at or before `index`.
        var low = 0, high = starts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if starts[middle] <= index { low = middle } else { high = middle - 1 }
        }
        let offset = index - starts[low]
        return (low, offset / payload.count / sends.count % combinations[low].sleep.count,
                offset / payload.count % sends.count, offset % payload.count)
    }

    /// A product of counts that saturates at Int.max instead of trapping.
    package static func product(_ factors: [Int]) -> Int {
        factors.reduce(1) { product, factor in
            let (result, overflow) = product.multipliedReportingOverflow(by: factor)
            return overflow ? Int.max : result
        }
    }
}

/// A seeded bijection of 0..<count computed on demand (a Feistel network with cycle-walking),
/// so a shuffled sweep needs no array of its runs.
package struct Permutation: Sendable {
    package let count: Int
    package let keys: [UInt64]
    package let halfBits: Int

    package init(count: Int, seed: UInt64) {
        self.count = count
        var bits = 2
        while bits < 62 && (1 << bits) < count { bits += 1 }
        halfBits = (bits + 1) / 2
        var state = seed
        keys = (0..<4).map { _ in SplitMix64.next(&state) }
    }

    package subscript(index: Int) -> Int {
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

package enum SplitMix64 {
    package static func next(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
