/// Which runs of a grid belong to one shard, balanced in expected time without listing the runs.
///
/// A run's expected time is dominated by its sleeps: weight = sleep × (sends − 1) + a constant
/// for everything else. Runs of equal weight are interchangeable, so the runs are put in weight
/// classes (one per sleep × sends), heaviest class first, each class's runs in grid order, and
/// dealt round-robin over the shards along that sequence. Every shard gets ⌊n/N⌋ or ⌈n/N⌉ runs
/// of every class, and the extra runs rotate from shard to shard, so two shards' expected times
/// differ by at most the weight of one run of the heaviest class. Every (cell, repeat) lands in
/// exactly one shard: the union of the N shards is the unsharded sweep. (Combinations may have
/// sleeps of their own, as the built-in grid's probes do: a class counts the combinations that
/// have its sleep.)
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

    package init(_ shard: Shard, cells: GridCells, repeats: Int) {
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
        let order = weights.indices.sorted { (weights[$1], $0) < (weights[$0], $1) }
        var start = Array(repeating: 0, count: weights.count)
        var total = 0
        for classIndex in order {
            start[classIndex] = total
            total = total.addingReportingOverflow(sizes[classIndex]).overflow ? Int.max : total + sizes[classIndex]
        }
        (classStart, classSize, classWeightNs) = (start, sizes, weights)
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
        let rank = (repeatIndex * sleepers[sleep] + rankAmongSleepers[place.combination][place.sleep]) * cells.payload.count + place.payload
        return classStart[sleep * cells.sends.count + place.sends] + rank
    }

    /// Whether the run at `index` of the grid order is this shard's.
    public func contains(runAt index: Int) -> Bool {
        dealtPosition(ofRunAt: index) % shard.count == shard.index
    }

    /// Of the first `positions` places in the dealing sequence, how many are this shard's.
    private func dealt(_ positions: Int) -> Int {
        positions > shard.index ? (positions - shard.index - 1) / shard.count + 1 : 0
    }

    public var runCount: Int { dealt(classSize.reduce(0) { $0.addingReportingOverflow($1).overflow ? Int.max : $0 + $1 }) }

    /// The sum of this shard's run weights, in seconds.
    public var expectedSeconds: Double {
        classWeightNs.indices.reduce(0) { total, classIndex in
            let start = classStart[classIndex]
            let runs = dealt(start + classSize[classIndex]) - dealt(start)
            return total + Double(runs) * Double(classWeightNs[classIndex]) / 1e9
        }
    }
}
