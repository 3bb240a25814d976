/// Which runs of a grid belong to one shard, balanced in expected time without listing the runs.
///
/// A run's expected time is dominated by its sleeps: weight = sleep × (sends − 1) + a constant
/// for everything else. Runs of equal weight are interchangeable, so the runs are put in weight
/// classes (one per sleep × sends), heaviest class first, and dealt round-robin over the shards
/// along that sequence. Every shard gets ⌊n/N⌋ or ⌈n/N⌉ runs of every class, and the extra runs
/// rotate from shard to shard, so two shards' expected times differ by at most the weight of one
/// run of the heaviest class. Every (cell, repeat) lands in exactly one shard: the union of the N
/// shards is the unsharded sweep. (Combinations may have sleeps of their own, as the built-in
/// grid's probes do: a class counts the combinations that have its sleep.)
///
/// Within a class, `spread` dealing (the default since schema 11) takes each repeat's m cells in a
/// seeded permutation, so no dimension lines up with the shards, and moves the sequence on by one
/// shard after every span of lcm(m, N) runs, each of which gives every shard the same number of
/// runs: the first N repeats of every cell land on N different shards, however m and N relate.
/// (Without the shift, a class whose m is a multiple of N put every repeat of a cell on one shard.)
/// `roundRobin`, the dealing of sweeps recorded before, keeps grid order and no shift.
public struct ShardPlan: Sendable {
    public let shard: Shard
    /// What a run costs besides its sleeps (set-up, sends, recording), in the same unit.
    public static let runOverheadNs: Int64 = 1_000_000

    package let cells: GridCells
    package let repeats: Int
    /// Every sleep of the grid, each once.
    package let sleeps: [Int64]
    /// For each combination and each of its sleeps: the index of that sleep in `sleeps`, and the
    /// combination's rank among the combinations that have that sleep.
    package let sleepIndex: [[Int]]
    package let rankAmongSleepers: [[Int]]
    /// Combinations that have each sleep.
    package let sleepers: [Int]
    /// Where each (sleep, sends) class starts in the dealing sequence, indexed by sleep × |sends| + sends.
    package let classStart: [Int]
    package let classSize: [Int]
    package let classWeightNs: [Int64]
    /// Per class, for `spread` dealing: the cells of one repeat (m), the span lcm(m, N) after which
    /// the sequence moves on by a shard (Int.max: never), and the seeded order of its m cells.
    package let classBlock: [Int]
    package let classSpan: [Int]
    package let classOrder: [Permutation?]
    /// Where each class's moved sequence starts, so that its last, partial span continues the round-robin.
    package let classBase: [Int]

    package init(_ shard: Shard, cells: GridCells, repeats: Int, seed: UInt64) {
        self.shard = shard
        self.cells = cells
        self.repeats = repeats
        var sleeps: [Int64] = []
        for combination in cells.combinations {
            for sleep in combination.sleep where !sleeps.contains(sleep) { sleeps.append(sleep) }
        }
        self.sleeps = sleeps
        var sleepers = Array(repeating: 0, count: sleeps.count)
        var sleepIndex: [[Int]] = [], rankAmongSleepers: [[Int]] = []
        for combination in cells.combinations {
            let indexes = combination.sleep.map { sleep in sleeps.firstIndex(of: sleep) ?? 0 }
            sleepIndex.append(indexes)
            rankAmongSleepers.append(indexes.map { index in
                defer { sleepers[index] += 1 }
                return sleepers[index]
            })
        }
        (self.sleepIndex, self.rankAmongSleepers, self.sleepers) = (sleepIndex, rankAmongSleepers, sleepers)
        let weights = sleeps.flatMap { sleep in cells.sends.map { sends in Self.weightNs(sleepNs: sleep, sends: sends) } }
        let sizes = sleeps.indices.flatMap { index in
            cells.sends.map { _ in GridCells.product([repeats, sleepers[index], cells.payload.count]) }
        }
        let blocks = sleeps.indices.flatMap { index in cells.sends.map { _ in GridCells.product([sleepers[index], cells.payload.count]) } }
        let spread = shard.dealing == .spread
        let spans = blocks.map { block in spread ? Self.leastCommonMultiple(block, shard.count) : Int.max }
        let order = weights.indices.sorted { (weights[$1], $0) < (weights[$0], $1) }
        var start = Array(repeating: 0, count: weights.count), base = start
        var total = 0
        for classIndex in order {
            start[classIndex] = total
            // Each whole span is balanced by itself; the runs after the last one (contiguous)
            // must begin where the previous class's ended, at `total` modulo N, so that the
            // classes' rests deal on as one round-robin: the class begins its moves' worth earlier.
            let moves = sizes[classIndex] / spans[classIndex]
            base[classIndex] = Self.saturatingSum(total, (shard.count - moves % shard.count) % shard.count)
            total = Self.saturatingSum(total, sizes[classIndex])
        }
        (classStart, classSize, classWeightNs, classBlock, classSpan, classBase) = (start, sizes, weights, blocks, spans, base)
        classOrder = blocks.indices.map { classIndex in
            spread ? Permutation(count: blocks[classIndex], seed: seed ^ (UInt64(classIndex) &* 0x9E37_79B9_7F4A_7C15)) : nil
        }
    }

    private static func saturatingSum(_ a: Int, _ b: Int) -> Int {
        a.addingReportingOverflow(b).overflow ? Int.max : a + b
    }

    /// lcm(block, count), or Int.max (no moves) where it would overflow: no grid pipelab accepts gets there.
    private static func leastCommonMultiple(_ block: Int, _ count: Int) -> Int {
        var (a, b) = (max(1, block), max(1, count))
        while b != 0 { (a, b) = (b, a % b) }
        let (product, overflow) = (max(1, block) / a).multipliedReportingOverflow(by: max(1, count))
        return overflow ? Int.max : product
    }

    /// Expected time of one run, saturating instead of trapping.
    public static func weightNs(sleepNs: Int64, sends: Int) -> Int64 {
        let (sleeps, overflow) = sleepNs.multipliedReportingOverflow(by: Int64(max(0, sends - 1)))
        let (total, overflowAgain) = sleeps.addingReportingOverflow(runOverheadNs)
        return overflow || overflowAgain ? Int64.max : total
    }

    /// The run's place in the dealing sequence, from its index in grid order.
    private func dealtPosition(ofRunAt index: Int) -> Int {
        let place = cells.place(of: index % cells.count), repeatIndex = index / cells.count
        let sleep = sleepIndex[place.combination][place.sleep]
        let classIndex = sleep * cells.sends.count + place.sends
        let cell = rankAmongSleepers[place.combination][place.sleep] * cells.payload.count + place.payload
        let rank = repeatIndex * classBlock[classIndex] + (classOrder[classIndex]?[cell] ?? cell)
        return classBase[classIndex] + rank + rank / classSpan[classIndex]
    }

    /// Whether the run at `index` of the grid order is this shard's.
    public func contains(runAt index: Int) -> Bool {
        dealtPosition(ofRunAt: index) % shard.count == shard.index
    }

    /// Of the first `positions` places in the dealing sequence, how many are this shard's.
    private func dealt(_ positions: Int) -> Int {
        positions > shard.index ? (positions - shard.index - 1) / shard.count + 1 : 0
    }

    /// This shard's runs of a class: as many as every other shard in each whole span, then its
    /// share of the contiguous rest.
    private func runs(ofClass classIndex: Int) -> Int {
        let size = classSize[classIndex], span = classSpan[classIndex]
        let spans = size / span, base = classBase[classIndex]
        let whole = spans * span
        return spans * (span / shard.count) + dealt(Self.saturatingSum(base, size + spans)) - dealt(Self.saturatingSum(base, whole + spans))
    }

    public var runCount: Int { classSize.indices.reduce(0) { Self.saturatingSum($0, runs(ofClass: $1)) } }

    /// The sum of this shard's run weights, in seconds.
    public var expectedSeconds: Double {
        classWeightNs.indices.reduce(0) { total, classIndex in
            total + Double(runs(ofClass: classIndex)) * Double(classWeightNs[classIndex]) / 1e9
        }
    }
}
