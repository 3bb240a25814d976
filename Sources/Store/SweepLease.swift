import Glibc
import PipeLabExperiment
import PipeLabKernel

/// One runner per sweep: the `sweep_leases` row names the process that records the sweep's runs.
/// Every write of runs renews it and checks it is still ours, so a process that lost its lease
/// never writes another run; a status is only ever moved forward, by the holder.
extension Store {
    /// A lease without a heartbeat for this long is taken over, whoever held it.
    package static let leaseStaleAfterSeconds = 30.0

    /// This process, as the lease names it.
    package static let leaseHolder: (hostname: String, pid: Int64) = {
        var name = [CChar](repeating: 0, count: 256)
        let hostname = gethostname(&name, name.count - 1) == 0 ? String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "unknown"
        return (hostname, Int64(getpid()))
    }()

    /// Takes the lease of `sweepID` for this process (in the caller's transaction, or its own).
    /// Refuses, naming the holder, while another live process holds it.
    package func takeLease(sweepID: Int64) throws(StoreError) {
        try db.writeTransaction { () throws(StoreError) in
            let holders = try db.prepare("SELECT hostname, pid, heartbeat_at FROM sweep_leases WHERE sweep_id = ?")
                .bind([.int(sweepID)]).rows { ($0.text(0), $0.int(1), $0.text(2)) }
            let me = Self.leaseHolder
            if let (hostname, pid, heartbeat) = holders.first, (hostname, pid) != me,
               let age = Timestamp.parse(heartbeat).map({ WallClock.now() - $0 }),
               age < Self.leaseStaleAfterSeconds, !(hostname == me.hostname && !Self.processExists(pid)) {
                throw StoreError(.busy, "sweep \(sweepID) is being run by pid \(pid) on \(hostname) (heartbeat \(Int(max(0, age))) s ago); wait for it to finish, or stop it first (a lease without a heartbeat for \(Int(Self.leaseStaleAfterSeconds)) s is taken over)")
            }
            let now = Timestamp.iso8601(WallClock.now())
            try db.prepare("INSERT OR REPLACE INTO sweep_leases (sweep_id, hostname, pid, acquired_at, heartbeat_at) VALUES (?, ?, ?, ?, ?)")
                .bind([.int(sweepID), .text(me.hostname), .int(me.pid), .text(now), .text(now)]).run()
        }
    }

    /// Renews this process's lease; fails when another process has taken the sweep over.
    package func renewLease(sweepID: Int64) throws(StoreError) {
        try db.writeTransaction { () throws(StoreError) in
            try db.prepare("UPDATE sweep_leases SET heartbeat_at = ? WHERE sweep_id = ? AND hostname = ? AND pid = ?")
                .bind([.text(Timestamp.iso8601(WallClock.now())), .int(sweepID), .text(Self.leaseHolder.hostname), .int(Self.leaseHolder.pid)])
                .run()
            guard db.changes == 1 else {
                throw StoreError(.busy, "sweep \(sweepID) was taken over by another process (this one was silent for over \(Int(Self.leaseStaleAfterSeconds)) s); this process stops recording it")
            }
        }
    }

    /// For `--resume`: checks in one transaction that the sweep is not completed and no live
    /// process runs it, takes its lease, marks it running and adds this attempt's `scheduler` ids (an
    /// object, `{}` for none) to the sweep's.
    public func beginResume(of sweepID: Int64, scheduler: String) throws(StoreError) -> SweepRecord {
        try db.writeTransaction { () throws(StoreError) in
            let current = try sweep(id: sweepID)
            guard current.status != .completed else {
                throw StoreError(.notFound, "sweep \(sweepID) '\(current.name)' is already completed; accepted: a sweep that is interrupted or was cut short")
            }
            try takeLease(sweepID: sweepID)
            // This attempt's scheduler ids join those of the attempts before (sweeps.scheduler).
            try db.prepare("""
                UPDATE sweeps SET status = 'running', ended_at = NULL,
                                  scheduler = json_insert(coalesce(scheduler, '[]'), '$[#]', json(?2)) WHERE id = ?1
                """).bind([.int(sweepID), .text(scheduler)]).run()
        }
        return try sweep(id: sweepID)
    }

    /// Ends this process's run of a sweep: sets its final status and drops the lease. A
    /// completed sweep stays completed, and a process that lost the lease changes nothing.
    public func setStatus(of sweepID: Int64, to status: SweepStatus) throws(StoreError) {
        let ended: Statement.Value = status == .running ? .null : .text(Timestamp.iso8601(WallClock.now()))
        try db.writeTransaction { () throws(StoreError) in
            try renewLease(sweepID: sweepID)
            try db.prepare("UPDATE sweeps SET status = ?, ended_at = ? WHERE id = ? AND status != 'completed'")
                .bind([.text(status.rawValue), ended, .int(sweepID)]).run()
            if status != .running {
                try db.prepare("DELETE FROM sweep_leases WHERE sweep_id = ?").bind([.int(sweepID)]).run()
            }
        }
    }

    private static func processExists(_ pid: Int64) -> Bool {
        guard let pid = pid_t(exactly: pid), pid > 0 else { return false }
        return kill(pid, 0) == 0 || errno == EPERM
    }
}
