import Foundation
import PipeLabExperiment
import PipeLabKernel

/// What a report or a comparison covers: one sweep, or every shard of a sharded sweep's group
/// found in the database, read as one sweep.
public struct SweepSelection: Sendable {
    /// The sweep named, or the group's lowest-id shard: its spec, name and host head the report.
    public var record: SweepRecord
    /// Every sweep covered, by id, oldest first.
    public var sweeps: [SweepRecord]
    /// The group's UUID when the selection is a group of shards.
    public var group: String?
    /// Shard index and count per sweep of `sweeps`, when a group.
    public var shards: [Int64: Shard]

    public var sweepIDs: [Int64] { sweeps.map(\.id) }
}

extension Store {
    package func recordShard(_ shard: Shard, sweepID: Int64) throws(StoreError) {
        let dealing: Statement.Value = shard.dealing == .roundRobin ? .null : .int(Int64(shard.dealing.rawValue))
        try db.prepare("UPDATE sweeps SET group_uuid = ?, shard_index = ?, shard_count = ?, shard_dealing = ? WHERE id = ?")
            .bind([.text(shard.group), .int(Int64(shard.index)), .int(Int64(shard.count)), dealing, .int(sweepID)]).run()
    }

    /// The shard a sweep ran, or nil for an unsharded sweep.
    public func shard(of sweepID: Int64) throws(StoreError) -> Shard? {
        try db.prepare("SELECT group_uuid, shard_index, shard_count, shard_dealing FROM sweeps WHERE id = ? AND group_uuid IS NOT NULL")
            .bind([.int(sweepID)]).rows(Self.shard).first
    }

    /// A shard from its columns: group_uuid, shard_index, shard_count, shard_dealing (NULL: round-robin, recorded before schema 11).
    private static func shard(_ row: Row) -> Shard {
        let dealing = row.optionalInt(3).flatMap { Shard.Dealing(rawValue: Int($0)) } ?? .roundRobin
        return Shard(index: Int(row.int(1)), count: Int(row.int(2)), group: row.text(0), dealing: dealing)
    }

    /// A sweep as `findSweep` takes it, or `group:UUIDPREFIX`. A sweep that is a shard selects its
    /// whole group: after `pipelab merge` the shards of one sweep are reported as one.
    public func findSelection(_ selector: String) throws(StoreError) -> SweepSelection {
        let group: String
        if selector.hasPrefix("group:") {
            let prefix = String(selector.dropFirst("group:".count)).lowercased()
            let groups = Set(try db.prepare("SELECT DISTINCT group_uuid FROM sweeps WHERE group_uuid IS NOT NULL")
                .rows { $0.text(0) }.filter { $0.hasPrefix(prefix) })
            guard !prefix.isEmpty, groups.count == 1, let only = groups.first else {
                throw StoreError(.notFound, "\(groups.isEmpty ? "no" : "more than one") group of shards '\(prefix)' in \(path) (`SELECT * FROM shard_groups` lists them)")
            }
            group = only
        } else {
            let record = try findSweep(selector)
            guard let shard = try shard(of: record.id) else {
                return SweepSelection(record: record, sweeps: [record], group: nil, shards: [:])
            }
            group = shard.group
        }
        let members = try shards(ofGroup: group)
        guard let first = members.first?.record else { throw StoreError(.notFound, "no sweep of group \(group) in \(path)") }
        return SweepSelection(record: first, sweeps: members.map(\.record), group: group,
                              shards: Dictionary(uniqueKeysWithValues: members.map { ($0.record.id, $0.shard) }))
    }

    /// The sweeps recorded as shards of `group`, oldest first.
    public func shards(ofGroup group: String) throws(StoreError) -> [(record: SweepRecord, shard: Shard)] {
        try sweeps(whereShard: "group_uuid = ?", [.text(group)])
    }

    /// Shards K/N of other groups than `group` that are not completed: another campaign's.
    public func unfinishedShards(like shard: Shard) throws(StoreError) -> [(record: SweepRecord, shard: Shard)] {
        try sweeps(whereShard: "shard_index = ? AND shard_count = ? AND group_uuid <> ? AND status <> 'completed'",
                   [.int(Int64(shard.index)), .int(Int64(shard.count)), .text(shard.group)])
    }

    private func sweeps(whereShard condition: String, _ values: [Statement.Value]) throws(StoreError) -> [(record: SweepRecord, shard: Shard)] {
        let members = try db.prepare("""
            SELECT group_uuid, shard_index, shard_count, shard_dealing, id FROM sweeps WHERE group_uuid IS NOT NULL AND \(condition) ORDER BY id
            """).bind(values).rows { ($0.int(4), Self.shard($0)) }
        var found: [(record: SweepRecord, shard: Shard)] = []
        for (id, shard) in members { found.append((try sweep(id: id), shard)) }
        return found
    }

    /// Signature counts per cell over several sweeps, as `cellSignatures(sweepID:)` gives for one.
    public func cellSignatures(sweepIDs: [Int64]) throws(StoreError) -> [CellSignature] {
        try namingBrokenRow { () throws(StoreError) in try cellSignatureRows(sweepIDs: sweepIDs) }
    }

    private func cellSignatureRows(sweepIDs: [Int64]) throws(StoreError) -> [CellSignature] {
        try countRunGroups(sweepIDs: sweepIDs)
        return try groupedCellSignatures()
    }

    /// Every sweep of the database whose spec is `spec`'s, apart from jobs and name: the same
    /// experiment, run on whichever hosts, sharded or not.
    public func sweepsOfSameSpec(as spec: String) throws(StoreError) -> [SweepRecord] {
        let key = GroupIdentity.specKey(spec)
        return try sweeps().filter { key != nil && GroupIdentity.specKey($0.spec) == key }
    }

    /// The runs of `spec` per host, hosts in the order of their first sweep.
    public func hostRuns(sameSpecAs spec: String) throws(StoreError) -> [HostRuns] {
        var hosts: [HostRuns] = []
        for sweep in try sweepsOfSameSpec(as: spec) {
            if let index = hosts.firstIndex(where: { HostRuns.key($0.host) == HostRuns.key(sweep.host) }) {
                hosts[index].sweeps.append(sweep)
            } else {
                hosts.append(HostRuns(host: sweep.host, sweeps: [sweep], cells: []))
            }
        }
        try namingBrokenRow { () throws(StoreError) in
            for index in hosts.indices { hosts[index].cells = try cellSignatureRows(sweepIDs: hosts[index].sweeps.map(\.id)) }
        }
        return hosts
    }

    package static func jsonList(_ ids: [Int64]) -> String { "[" + ids.map(String.init).joined(separator: ",") + "]" }
}

extension SweepSelection {
    /// Whether some shard of the group was recorded by more than one of its sweeps.
    public var hasRepeatedShards: Bool {
        Set(shards.values.map(\.index)).count < shards.count
    }

    /// The selection as one sweep: a group takes its UUID, the planned and recorded runs of all
    /// its shards (of a shard recorded by two sweeps, the one further along), and is `completed`
    /// only when every shard is here and completed.
    public var asOneSweep: SweepRecord {
        guard let group, let count = shards.values.first?.count else { return record }
        var one = record
        one.uuid = group
        let perShard = { (runs: (SweepRecord) -> Int) in
            Dictionary(sweeps.compactMap { sweep in shards[sweep.id].map { ($0.index, runs(sweep)) } }, uniquingKeysWith: max).values.reduce(0, +)
        }
        one.plannedRuns = perShard(\.plannedRuns)
        one.recordedRuns = perShard(\.recordedRuns)
        one.startedAt = sweeps.map(\.startedAt).min() ?? record.startedAt
        let completed = Set(sweeps.filter { $0.status == .completed }.compactMap { shards[$0.id]?.index })
        let complete = completed.count == count
        one.status = complete ? .completed : sweeps.contains { $0.status == .running } ? .running : .interrupted
        one.endedAt = complete ? sweeps.compactMap(\.endedAt).max() : nil
        return one
    }
}
