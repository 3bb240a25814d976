import Foundation
import PipeLabExperiment
import PipeLabKernel

extension Store {
    /// The existing host row with these facts, or a new one.
    package func hostID(for host: HostInfo) throws(StoreError) -> Int64 {
        let existing = try db.prepare("""
            SELECT id FROM hosts WHERE hostname = ? AND kernel = ? AND os = ? AND arch = ? AND cpus = ? AND sysctls = ?
            """).bind(hostValues(host)).rows { $0.int(0) }
        if let id = existing.first { return id }
        // Named by its facts: every database the same machine records into gives it the same
        // UUID, so merging the shards of one machine keeps one host.
        let name = ["host", host.hostname, host.kernel, host.os, host.arch, String(host.cpus), host.sysctls].joined(separator: "\u{1}")
        try db.prepare("INSERT INTO hosts (uuid, hostname, kernel, os, arch, cpus, sysctls) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .bind([.text(UUIDv5.of(name: name))] + hostValues(host)).run()
        return db.lastInsertedRowID
    }

    private func hostValues(_ host: HostInfo) -> [Statement.Value] {
        [.text(host.hostname), .text(host.kernel), .text(host.os), .text(host.arch), .int(Int64(host.cpus)), .text(host.sysctls)]
    }

    /// Creates a sweep in status `running` with its skipped combinations; this process holds
    /// its lease.
    public func createSweep(name: String, spec: String, commandLine: String, plannedRuns: Int,
                            skipped: [SkippedCombination], host: HostInfo, isolation: String, privilegesLost: String = "",
                            shard: Shard? = nil, scheduler: String? = nil) throws(StoreError) -> SweepRecord {
        let id = try db.writeTransaction { () throws(StoreError) -> Int64 in
            let hostID = try hostID(for: host)
            try db.prepare("""
                INSERT INTO sweeps (uuid, name, status, host_id, spec, command_line, pipelab_version, started_at,
                                    planned_runs, skipped_cells, isolation, privileges_lost, scheduler)
                VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).bind([.text(newUUID()), .text(name), .int(hostID), .text(spec), .text(commandLine),
                           .text(PipeLabVersion.current), .text(Timestamp.iso8601(WallClock.now())),
                           .int(Int64(plannedRuns)), .int(Int64(skipped.reduce(0) { $0 + $1.cells })),
                           .text(isolation), .text(privilegesLost), scheduler.map { .text($0) } ?? .null]).run()
            let sweepID = db.lastInsertedRowID
            if let shard { try recordShard(shard, sweepID: sweepID) }
            let dimensions = Grid.combinationDimensions
            let insert = try db.prepare("""
                INSERT INTO skipped (sweep_id, cells, reason, \(dimensions.map(\.column).joined(separator: ", ")))
                VALUES (?, ?, ?\(String(repeating: ", ?", count: dimensions.count)))
                """)
            for s in skipped {
                insert.bind([.int(sweepID), .int(Int64(s.cells)), .text(s.reason)])
                insert.bindCell(s.combination, dimensions, from: 4)
                try insert.run()
            }
            try takeLease(sweepID: sweepID)
            return sweepID
        }
        return try sweep(id: id)
    }

    private static let sweepColumns = """
        SELECT s.id, s.uuid, s.name, s.status, s.spec, s.command_line, s.pipelab_version, s.started_at, s.ended_at,
               s.planned_runs, s.skipped_cells, h.hostname, h.kernel, h.os, h.arch, h.cpus, h.sysctls,
               (SELECT COUNT(*) FROM runs r WHERE r.sweep_id = s.id)
        FROM sweeps s JOIN hosts h ON h.id = s.host_id
        """

    private func sweepRecord(_ row: Row) -> SweepRecord {
        SweepRecord(
            id: row.int(0), uuid: row.text(1), name: row.text(2), status: SweepStatus(rawValue: row.text(3)) ?? .running,
            spec: row.text(4), commandLine: row.text(5), pipelabVersion: row.text(6), startedAt: row.text(7),
            endedAt: row.optionalText(8), plannedRuns: Int(row.int(9)), skippedCells: Int(row.int(10)),
            host: HostInfo(hostname: row.text(11), kernel: row.text(12), os: row.text(13), arch: row.text(14),
                           cpus: Int(row.int(15)), sysctls: row.text(16)),
            recordedRuns: Int(row.int(17)))
    }

    public func sweep(id: Int64) throws(StoreError) -> SweepRecord {
        guard let record = try db.prepare(Self.sweepColumns + " WHERE s.id = ?").bind([.int(id)]).rows(sweepRecord).first else {
            throw StoreError(.notFound, "no sweep with id \(id) in \(path)")
        }
        return record
    }

    /// All sweeps, oldest first.
    public func sweeps() throws(StoreError) -> [SweepRecord] {
        try db.prepare(Self.sweepColumns + " ORDER BY s.id").rows(sweepRecord)
    }

    /// A sweep named by the user: its id, its UUID (or a unique prefix of 4 characters or more),
    /// its name (the latest of that name), `latest`, or `latest-interrupted`. A sweep left
    /// `running` by a pipelab that was killed can be resumed only by naming it. A prefix that
    /// begins several UUIDs is refused with the candidates.
    public func findSweep(_ selector: String) throws(StoreError) -> SweepRecord {
        let all = try sweeps()
        let found: SweepRecord?
        switch selector {
        case "latest": found = all.last
        // Only a sweep marked interrupted: one still `running` may be running right now.
        case "latest-interrupted": found = all.last { $0.status == .interrupted }
        default:
            let prefixed = selector.count >= 4 ? all.filter { $0.uuid.hasPrefix(selector.lowercased()) } : []
            if let exact = all.first(where: { String($0.id) == selector }) ?? all.last(where: { $0.name == selector }) {
                found = exact
            } else if prefixed.count > 1 {
                let candidates = prefixed.map { "\($0.id) '\($0.name)' \($0.uuid)" }.joined(separator: ", ")
                throw StoreError(.notFound, "sweep '\(selector)' is ambiguous: it begins the UUIDs of \(prefixed.count) sweeps: \(candidates); accepted: a longer UUID prefix, an id or a name")
            } else {
                found = prefixed.first
            }
        }
        guard let found else {
            let what = selector == "latest-interrupted" ? "no interrupted sweep" : "no sweep '\(selector)'"
            throw StoreError(.notFound, "\(what) in \(path) (`pipelab sweeps` lists them)")
        }
        return found
    }

    /// The skipped combinations of a sweep.
    public func skipped(sweepID: Int64) throws(StoreError) -> [SkippedCombination] {
        try db.prepare("SELECT * FROM skipped WHERE sweep_id = ? ORDER BY rowid")
            .bind([.int(sweepID)])
            .rows { (row: Row) throws(StoreError) in
                SkippedCombination(try row.scenario(Grid.combinationDimensions), cells: Int(row.int("cells")), reason: row.text("reason"))
            }
    }

    /// The (cell, repeat) pairs a sweep has recorded. A `--resume` runs the rest and, when
    /// `rerunningHarnessErrors`, again those pipelab could not carry out.
    public func recordedRequests(sweepID: Int64, rerunningHarnessErrors: Bool = false) throws(StoreError) -> Set<RunRequest> {
        var done = Set<RunRequest>()
        try db.prepare("""
            SELECT \(Dimensions.columnList()), repeat_index FROM runs
            WHERE sweep_id = ? AND NOT (? AND outcome = 'harness-error')
            """).bind([.int(sweepID), .int(rerunningHarnessErrors ? 1 : 0)]).forEachRow { (row: Row) throws(StoreError) in
            done.insert(RunRequest(scenario: try row.scenario(), repeatIndex: Int(row.int("repeat_index"))))
        }
        return done
    }

    /// Signature counts per cell of a sweep, in grid order of the parameters' values.
    public func cellSignatures(sweepID: Int64) throws(StoreError) -> [CellSignature] {
        try db.prepare("""
            SELECT \(Dimensions.columnList()), signature, outcome, runs, cell_runs, disturbed_runs
            FROM cell_signatures WHERE sweep_id = ?
            ORDER BY \(Dimensions.columnList()), runs DESC, signature
            """).bind([.int(sweepID)]).rows(Self.cellSignature)
    }

    /// A row of signature counts per cell: the cell's columns, signature, outcome, runs, cell_runs, disturbed_runs.
    package static func cellSignature(_ row: Row) throws(StoreError) -> CellSignature {
        CellSignature(scenario: try row.scenario(), signature: row.text("signature"), outcome: try row.decoded("outcome"),
                      runs: Int(row.int("runs")), cellRuns: Int(row.int("cell_runs")), disturbedRuns: Int(row.int("disturbed_runs")))
    }
}

package func newUUID() -> String { UUIDv7.next() }
