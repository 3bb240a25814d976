import ArgumentParser
import Foundation
import PipeLabExperiment
import PipeLabKernel
import PipeLabNetwork
import PipeLabReport
import PipeLabStore
import PipeLabSweep
import PipeLabWorker

/// `pipelab sweep --shard K/N|auto [--shards N] [--group UUID]`: run one part of a grid.
struct ShardOptions: ParsableArguments {
    @Option(help: "Run the K-th (0-based) of N balanced, disjoint parts of the grid: K/N, or auto (from SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX or PIPELAB_SHARD_INDEX).")
    var shard: String?
    @Option(help: "With --shard auto: the group's number of shards (or set PIPELAB_SHARDS); Kubernetes needs it, and in a Slurm array it makes the array id the shard index.")
    var shards: String?
    @Option(help: "With --shard: the group UUID shared by the shards (default: derived from the spec and --name).")
    var group: String?

    /// The flags given, for refusing them where they do not apply.
    var given: [String] {
        [("--shard", shard), ("--shards", shards), ("--group", group)].compactMap { $0.1 == nil ? nil : $0.0 }
    }

    /// The shard to run, nil for the whole grid; checked before anything is opened.
    func shard(of spec: SweepSpec) throws(InputError) -> Shard? {
        guard let shard else {
            if let flag = given.first { throw InputError("\(flag): only with --shard; accepted: --shard K/N or --shard auto") }
            return nil
        }
        let environment = ProcessInfo.processInfo.environment
        let group: String
        if let given = self.group {
            group = try Shard.group(given)
        } else {
            group = GroupIdentity.derived(from: spec, campaign: try Campaign.from(environment))
        }
        guard shard == "auto" else {
            if shards != nil { throw InputError("--shards: only with --shard auto; accepted: --shard K/N alone, or --shard auto --shards N") }
            return try Shard.parse(shard, group: group)
        }
        let count = try shards.map { (text: String) throws(InputError) in try CountText.parse(text, name: "--shards", maximum: Shard.maximumCount) }
        return try Shard.fromScheduler(environment, shards: count, group: group)
    }

    /// The campaign the group was derived from, for the summary line; nil with --group.
    var campaign: Campaign? {
        group == nil ? try? Campaign.from(ProcessInfo.processInfo.environment) : nil
    }

    func summary(_ shard: Shard, grid: Grid) -> String {
        let expected = grid.shard.map { String(format: ", expected %.1f s of sleeps and overhead", $0.expectedSeconds) } ?? ""
        let campaign = self.campaign.map { " (campaign \($0.variable)=\($0.value))" } ?? ""
        return "shard \(shard.index)/\(shard.count) of group \(shard.group)\(campaign): \(grid.runCount) of \(grid.gridRunCount) runs\(expected)"
    }
}
