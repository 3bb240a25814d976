/// Which runs of a grid belong to one shard, balanced in expected time without listing the runs.
///
/// A run's expected time is dominated by its sleeps: weight = sleep × (sends − 1) + a constant
/// for everything else. Runs of equal weight are interchangeable, so the runs are put in weight
/// classes (one per sleep × sends), heaviest class first, each class's runs in grid order, and
/// dealt round-robin over the shards along that sequence. Every shard gets ⌊n/N⌋ or ⌈n/N⌉ runs
/// of every class, and the extra runs rotate from shard to shard, so two shards' expected times
/// differ by at most the weight of one run of the heaviest class. Every (cell, repeat) lands in
/// exactly one shard: the union of the N shards is the unsharded sweep.
public struct ShardPlan: Sendable {
    public let shard: Shard
    /// What a run costs besides its sleeps (set-up, sends, recording), in the same unit.
    public static let runOverheadNs: Int64 = 1_000_000

    let cells: GridCells
    let repeats: Int
    /// Position of each (sleep, sends) class in the dealing order, indexed by sleep × |sends| + sends.
    let classPosition: [Int]
    /// Weight of each class, in the same index.
    let classWeightNs: [Int64]

    init(_ shard: Shard, cells: GridCells, repeats: Int) {
        self.shard = shard
        self.cells = cells
        self.repeats = repeats
        let weights = cells.sleep.flatMap { sleep in
            cells.sends.map { sends in Self.weightNs(sleepNs: sleep, sends: sends) }
        }
        let order = weights.indices.sorted { (weights[$1], $0) < (weights[$0], $1) }
        var position = Array(repeating: 0, count: weights.count)
        for (rank, classIndex) in order.enumerated() { position[classIndex] = rank }
        classPosition = position
        classWeightNs = weights
    }

    /// Expected time of one run, saturating instead of trapping.
    public static func weightNs(sleepNs: Int64, sends: Int) -> Int64 {
        let (sleeps, overflow) = sleepNs.multipliedReportingOverflow(by: Int64(max(0, sends - 1)))
        let (total, overflowAgain) = sleeps.addingReportingOverflow(runOverheadNs)
        return overflow || overflowAgain ? Int64.max : total
    }

    /// Runs of one class: every repeat of every runnable combination and payload.
    private var classSize: Int { GridCells.product([repeats, cells.combinations.count, cells.payload.count]) }

    /// The run's place in the dealing sequence, from its index in grid order.
    private func dealtPosition(ofRunAt index: Int) -> Int {
        let cell = index % cells.count, repeatIndex = index / cells.count
        let payloads = cells.payload.count, sends = cells.sends.count
        let payloadIndex = cell % payloads
        let sendsIndex = cell / payloads % sends
        let sleepIndex = cell / payloads / sends % cells.sleep.count
        let combination = cell / payloads / sends / cells.sleep.count
        let rank = (repeatIndex * cells.combinations.count + combination) * payloads + payloadIndex
        return classPosition[sleepIndex * sends + sendsIndex] * classSize + rank
    }

    /// Whether the run at `index` of the grid order is this shard's.
    public func contains(runAt index: Int) -> Bool {
        dealtPosition(ofRunAt: index) % shard.count == shard.index
    }

    /// Of the first `positions` places in the dealing sequence, how many are this shard's.
    private func dealt(_ positions: Int) -> Int {
        positions > shard.index ? (positions - shard.index - 1) / shard.count + 1 : 0
    }

    public var runCount: Int { dealt(GridCells.product([classPosition.count, classSize])) }

    /// The sum of this shard's run weights, in seconds.
    public var expectedSeconds: Double {
        classWeightNs.indices.reduce(0) { total, classIndex in
            let start = classPosition[classIndex] * classSize
            let runs = dealt(start + classSize) - dealt(start)
            return total + Double(runs) * Double(classWeightNs[classIndex]) / 1e9
        }
    }
}
