@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabStore
import Testing

/// How runs are dealt to shards: every cell's repeats spread over the shards, whatever the number
/// of cells per repeat, so a machine's effect is never confounded with a cell.
@Suite struct ShardDealingTests {
    /// For each cell, the shards its first `count` repeats landed on.
    static func shardsOfEachCell(_ spec: SweepSpec, count: Int, dealing: Shard.Dealing) -> [Set<Int>] {
        let whole = Grid(spec)
        var shards = [Set<Int>](repeating: [], count: whole.cells.count)
        for index in 0..<count {
            let grid = Grid(spec, shard: Shard(index: index, count: count, group: "g", dealing: dealing))
            for position in 0..<min(whole.gridRunCount, count * whole.cells.count) where grid.shard?.contains(runAt: position) == true {
                shards[position % whole.cells.count].insert(index)
            }
        }
        return shards
    }

    @Test func everyCellsRepeatsLandOnDifferentShards() throws {
        var tenRepeats = SpecOverrides()
        try tenRepeats.set("repeat", "10", label: "--repeat")
        // Five sigpipe values: the cells of a repeat are a multiple of 5 and 10 (the issue's 10 shards).
        var sigpipes = SpecOverrides()
        try sigpipes.set("sigpipe", "default,ignore,handler,blocked,nosignal", label: "--sigpipe")
        try sigpipes.set("repeat", "10", label: "--repeat")
        for spec in [SweepSpec.builtIn, tenRepeats.applied(to: .builtIn), sigpipes.applied(to: .builtIn)] {
            for count in [2, 3, 4, 5, 10] {
                let spread = Self.shardsOfEachCell(spec, count: count, dealing: .spread)
                let expected = min(count, spec.repeats)
                #expect(spread.allSatisfy { $0.count == expected }, "\(count) shards, \(spec.repeats) repeats: \(Set(spread.map(\.count)))")
            }
        }
        // The dealing of shards recorded before schema 11 put every repeat of a cell on one shard
        // when the cells of a repeat were a multiple of N: what this test exists to catch.
        let roundRobin = Self.shardsOfEachCell(sigpipes.applied(to: .builtIn), count: 5, dealing: .roundRobin)
        #expect(roundRobin.contains { $0.count == 1 })
    }

    /// A shard recorded before schema 11 (shard_dealing NULL) is resumed with the dealing it was recorded with.
    @Test func aShardRecordedBeforeKeepsItsDealing() throws {
        let store = try Store(path: "", create: true)
        let spread = Shard(index: 1, count: 3, group: "2f1c9a4e-5b7d-5e21-9c3a-0d4b6e8f1a27")
        let sweep = try store.createSweep(name: "s", spec: SweepSpec.builtIn.json(), commandLine: "", plannedRuns: 1, skipped: [],
                                          host: HostProbe.current(), isolation: "host", shard: spread, scheduler: #"[{"SLURM_JOB_ID":"7"}]"#)
        #expect(try store.shard(of: sweep.id) == spread)
        try store.db.execute("UPDATE sweeps SET shard_dealing = NULL")
        var before = spread
        before.dealing = .roundRobin
        #expect(try store.shard(of: sweep.id) == before)
        #expect(try store.db.prepare("SELECT scheduler FROM sweeps").rows { $0.text(0) } == [#"[{"SLURM_JOB_ID":"7"}]"#])
    }

    /// Schemas 11 to 13 kept the first attempt's object alone; migration 14 makes it the array of that
    /// one object, so every row holds one object per attempt. NULL stays NULL.
    @Test func theSchedulerMigrationMakesTheFirstAttemptsObjectAnArray() throws {
        let store = try Store(path: "", create: true)
        for scheduler in [#"{"SLURM_JOB_ID":"7"}"#, nil] {
            _ = try store.createSweep(name: "s", spec: SweepSpec.builtIn.json(), commandLine: "", plannedRuns: 1, skipped: [],
                                      host: HostProbe.current(), isolation: "host", scheduler: scheduler)
        }
        let migration = try #require(Migrator.all.first { $0.name == "scheduler_attempts" })
        try store.db.execute(migration.sql)
        #expect(try store.db.prepare("SELECT coalesce(scheduler, 'NULL') FROM sweeps ORDER BY id").rows { $0.text(0) } == [#"[{"SLURM_JOB_ID":"7"}]"#, "NULL"])
    }

    @Test func schedulerIDsAreTheVariablesSetAndShortPrintable() {
        #expect(SchedulerIDs.json([:]) == nil)
        #expect(SchedulerIDs.json(["HOME": "/root"]) == nil)
        let ids = SchedulerIDs.json(["SLURM_JOB_ID": "12", "SLURM_ARRAY_TASK_ID": "3", "JOB_COMPLETION_INDEX": "bad value", "GITHUB_RUN_ID": "99"])
        #expect(ids == #"{"SLURM_JOB_ID":"12","SLURM_ARRAY_TASK_ID":"3","GITHUB_RUN_ID":"99"}"#)
    }
}
