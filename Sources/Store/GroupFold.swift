import Foundation
import PipeLabExperiment
import PipeLabKernel

/// A group of shards as one sweep, for the report: the group's hosts, sweeps, runs and steps are
/// copied (by `copy(from:group:)`, in SQL) into a temporary database and their runs put under the
/// group's first sweep, so that every query and chart of a one-sweep report covers the whole
/// group. The temporary database is SQLite's own (an empty path): its file is unlinked as soon as
/// it is opened, so nothing is left in TMPDIR however the process ends.
public final class GroupFold {
    public let store: Store
    /// The one sweep of the temporary database.
    public let sweepID: Int64

    public init(_ selection: SweepSelection, from source: Store) throws(StoreError) {
        guard let group = selection.group else { throw StoreError(.other, "sweep \(selection.record.id) is not a shard") }
        store = try Store(path: "", create: true)
        _ = try store.copy(from: source.path, group: group)
        sweepID = try store.foldSweeps()
    }
}

extension Store {
    /// Puts every run under the lowest-id sweep and deletes the others. A (cell, repeat) recorded
    /// by two sweeps of one shard (files of two attempts merged side by side) keeps one run: one
    /// pipelab carried out (not a harness error) before one it could not, then the earlier sweep's.
    fileprivate func foldSweeps() throws(StoreError) -> Int64 {
        try db.writeTransaction { () throws(StoreError) -> Int64 in
            guard let first = try db.prepare("SELECT MIN(id) FROM sweeps").rows({ $0.optionalInt(0) }).first ?? nil else {
                throw StoreError(.notFound, "no sweep of the group in \(path)")
            }
            try db.execute("""
                DELETE FROM runs WHERE id IN (SELECT id FROM (
                    SELECT id, ROW_NUMBER() OVER (PARTITION BY \(Dimensions.columnList()), repeat_index
                                                  ORDER BY outcome = 'harness-error', sweep_id, id) AS kept
                    FROM runs) WHERE kept > 1)
                """)
            try db.prepare("UPDATE runs SET sweep_id = ? WHERE sweep_id <> ?").bind([.int(first), .int(first)]).run()
            try db.prepare("DELETE FROM sweeps WHERE id <> ?").bind([.int(first)]).run()
            return first
        }
    }
}
