import PipeLabExperiment
import PipeLabKernel
import PipeLabStore

/// What `sweep --shard` does with the database it records into. A task is idempotent: the same
/// shard command again (a Slurm requeue, a pod retry, a CI re-run) continues that shard's sweep,
/// or does nothing when it is complete; and a group keeps the N and the spec it was recorded with.
public enum ShardTask {
    /// Record this shard anew: dealt as the group's other shards in the file were, if any.
    case start(Shard)
    case resume(SweepRecord)
    case complete(SweepRecord)

    /// Refuses (InputError, nothing written) a shard that would record a different partition or
    /// spec of a group already in `store`, another campaign's unfinished shard left in the same
    /// file, or a shard recorded on a host with other facts.
    public static func plan(_ shard: Shard, spec: SweepSpec, in store: Store, host: HostInfo) throws -> ShardTask {
        let name = "shard \(shard.index)/\(shard.count)"
        let members = try store.shards(ofGroup: shard.group)
        if let other = members.first(where: { $0.shard.count != shard.count }) {
            let n = other.shard.count
            throw InputError("\(name): group \(shard.group) is recorded in \(store.path) as \(n) shards (sweep \(other.record.id) is shard \(other.shard.index)/\(n)); accepted: the group's N (--shard K/\(n), or --shard auto --shards \(n)), or another campaign (PIPELAB_CAMPAIGN or --group)")
        }
        let key = GroupIdentity.specKey(spec.json())
        if let other = members.first(where: { GroupIdentity.specKey($0.record.spec) != key }) {
            throw InputError("\(name): group \(shard.group) is recorded in \(store.path) with another spec (sweep \(other.record.id) '\(other.record.name)'); accepted: that spec (pipelab sweeps --db \(store.path) shows it), or another --group")
        }
        let mine = members.filter { $0.shard.index == shard.index }.map(\.record)
        if let done = mine.first(where: { $0.status == .completed }) { return .complete(done) }
        guard let unfinished = mine.last else {
            if let other = try store.unfinishedShards(like: shard).first(where: { GroupIdentity.specKey($0.record.spec) == key }) {
                throw InputError("\(name): another campaign's \(name) of this spec (group \(other.shard.group), sweep \(other.record.id)) is unfinished in \(store.path); accepted: continue it (--group \(other.shard.group), or that campaign's PIPELAB_CAMPAIGN), or another --db for a new campaign")
            }
            var fresh = shard
            fresh.dealing = members.first?.shard.dealing ?? shard.dealing
            return .start(fresh)
        }
        // The host name may change (another pod, another node of one image); its facts may not:
        // the runs are filed under the sweep's host.
        let was = unfinished.host
        guard (was.kernel, was.os, was.arch) == (host.kernel, host.os, host.arch) else {
            throw InputError("\(name): its sweep \(unfinished.id) in \(store.path) was recorded on \(was.hostname) (\(was.kernel), \(was.arch)), not on a host like this one (\(host.kernel), \(host.arch)); accepted: continue it on such a host, or another --db")
        }
        return .resume(unfinished)
    }
}
