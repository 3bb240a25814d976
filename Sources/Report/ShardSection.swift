import PipeLabStore
import PipeLabExperiment
import PipeLabKernel

/// The report's section on the shards of a group: which parts of the grid were recorded, where,
/// and how far each got.
public enum ShardSection {
    public static func render(_ selection: SweepSelection) -> String {
        guard let group = selection.group, let count = selection.shards.values.first?.count else { return "" }
        let present = Set(selection.shards.values.map(\.index))
        let missing = (0..<count).filter { !present.contains($0) }
        var out = "\n## Shards\n\nThis report covers group " + Markdown.code(group) + ": \(present.count) of \(count) shards"
        out += missing.isEmpty ? ", so the whole grid.\n\n" : "; missing: " + missing.map(String.init).joined(separator: ", ") + ".\n\n"
        let rows = selection.sweeps.map { sweep -> [String] in
            [selection.shards[sweep.id].map { "\($0.index)/\($0.count)" } ?? "", String(sweep.id), Markdown.text(sweep.host.hostname),
             sweep.status.rawValue, "\(sweep.recordedRuns)/\(sweep.plannedRuns)"]
        }
        return out + Markdown.table(["shard", "sweep", "host", "status", "runs"], rows, rightAligned: [1, 4])
    }
}
