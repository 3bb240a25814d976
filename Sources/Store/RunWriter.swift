import PipeLabExperiment
import PipeLabKernel

/// The single writer of a sweep's runs: prepared statements, one transaction per batch, so a run
/// is recorded whole (its row and all its steps) or not at all. Each batch renews the sweep's
/// lease first: a process that lost it writes nothing. A run that replaces a `harness-error`
/// row of the same (cell, repeat), a rerun, deletes that row with its steps.
public final class RunWriter {
    private let store: Store
    private let sweepID: Int64
    private let insertRun: Statement
    private let insertStep: Statement
    private let insertPacket: Statement
    private let deleteHarnessError: Statement
    private let recordDisturbance: Statement
    private let recordLinkFate: Statement
    /// The (cell, repeat) pairs recorded as `harness-error`: only a run of one of these replaces a
    /// row, so the others are inserted without a DELETE first (the hot path of a sweep).
    private var harnessErrors: Set<RunRequest>

    package init(store: Store, sweepID: Int64) throws(StoreError) {
        self.store = store
        self.sweepID = sweepID
        // The cell's columns come from the dimension table; the rest follow them.
        let cellPlaces = Dimensions.all.map { _ in "?" }.joined(separator: ", ")
        insertRun = try store.db.prepare("""
            INSERT INTO runs (uuid, sweep_id, \(Dimensions.columnList()), repeat_index,
                              outcome, term_signal, signature, first_failing_send, first_errno, first_errno_name,
                              harness_error, started_at, duration_ns,
                              slept_ns, peer_late, fatal_send, peer_read_bytes, peer_left_unread, probe_result, loss_seed,
                              client_error, client_sigpipe, client_exit, client_output, failing_call_ns, peer_end_to_error_ns)
            VALUES (?, ?, \(cellPlaces), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        insertStep = try store.db.prepare("""
            INSERT INTO steps (run_id, seq, actor, op, send_number, bytes, result, errno, errno_name, sigpipe,
                               start_ns, duration_ns, tcp_state, value)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        insertPacket = try store.db.prepare("""
            INSERT INTO packets (run_id, number, t_ns, direction, flags, seq, ack, length, step_seq, lost)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        // Only disturbed runs need it, so it stays off the hot path of a sweep.
        recordDisturbance = try store.db.prepare("UPDATE runs SET disturbance = ?, disturbance_reason = ? WHERE id = ?")
        // Only captured runs have one (their packets are written below anyway).
        recordLinkFate = try store.db.prepare("UPDATE runs SET link_fate = ? WHERE id = ?")
        deleteHarnessError = try store.db.prepare("""
            DELETE FROM runs WHERE sweep_id = ? AND \(Store.cellEquals) AND repeat_index = ? AND outcome = 'harness-error'
            """)
        var recorded = Set<RunRequest>()
        try store.db.prepare("""
            SELECT \(Dimensions.columnList()), repeat_index FROM runs WHERE sweep_id = ? AND outcome = 'harness-error'
            """).bind([.int(sweepID)]).forEachRow { (row: Row) throws(StoreError) in
            recorded.insert(RunRequest(scenario: try row.scenario(), repeatIndex: Int(row.int("repeat_index"))))
        }
        harnessErrors = recorded
    }

    /// Writes `runs` in one transaction. The tables' CHECK constraints are not evaluated for them:
    /// SQLite 3.40 builds a temporary b-tree for each `IN (…)` list of more than two values at every
    /// row it checks (14 per run of 8 steps; measured, inserting steps took twice as long with
    /// them), and every value written here is a Swift enum's raw value or a number the grid
    /// validated. They still hold for every other writer (merge, hand edits).
    public func write(_ runs: [RunResult]) throws(StoreError) {
        guard !runs.isEmpty else { return }
        try store.db.execute("PRAGMA ignore_check_constraints = ON")
        defer { try? store.db.execute("PRAGMA ignore_check_constraints = OFF") }
        try store.db.writeTransaction { () throws(StoreError) in
            try store.renewLease(sweepID: sweepID)
            for run in runs { try insert(run) }
        }
    }

    /// Renews the lease while no run completes (runs that sleep or hang).
    package func heartbeat() throws(StoreError) {
        try store.renewLease(sweepID: sweepID)
    }

    /// The cell's columns and the repeat index from position `first`; returns the next position.
    private static func bindCell(_ statement: Statement, from first: Int32, _ run: RunResult) -> Int32 {
        let next = statement.bindCell(run.scenario, from: first)
        statement.bind(next, Int64(run.repeatIndex))
        return next + 1
    }

    private func insert(_ run: RunResult) throws(StoreError) {
        let failure = run.firstFailure
        let failingErrno = failure.flatMap { $0.errno == 0 ? nil : $0.errno }
        let request = RunRequest(scenario: run.scenario, repeatIndex: run.repeatIndex)
        if !harnessErrors.isEmpty && harnessErrors.remove(request) != nil {
            deleteHarnessError.clear()
            deleteHarnessError.bind(1, sweepID)
            _ = Self.bindCell(deleteHarnessError, from: 2, run)
            try deleteHarnessError.run()
        }
        if run.outcome == .harnessError { harnessErrors.insert(request) }
        insertRun.clear()
        insertRun.bind(1, newUUID())
        insertRun.bind(2, sweepID)
        // The columns after the cell's and the repeat index.
        let rest = Self.bindCell(insertRun, from: 3, run)
        let evidence = RunEvidence(run)
        insertRun.bind(rest, constant: run.outcome.rawValue)
        insertRun.bind(rest + 1, constant: run.termSignal.map(SignalName.of))
        insertRun.bind(rest + 2, run.signature)
        insertRun.bind(rest + 3, failure.map { Int64($0.send) })
        insertRun.bind(rest + 4, failingErrno.map { Int64($0) })
        insertRun.bind(rest + 5, constant: failingErrno.map(ErrnoName.of))
        insertRun.bind(rest + 6, run.harnessMessage)
        insertRun.bind(rest + 7, Timestamp.iso8601(run.startedAt))
        insertRun.bind(rest + 8, run.durationNs)
        insertRun.bind(rest + 9, evidence.sleptNs)
        insertRun.bind(rest + 10, Int64(evidence.machineDisturbed ? 1 : 0))
        insertRun.bind(rest + 11, evidence.fatalSend.map { Int64($0) })
        insertRun.bind(rest + 12, evidence.peerReadBytes)
        insertRun.bind(rest + 13, evidence.peerLeftUnread.map { Int64($0 ? 1 : 0) })
        insertRun.bind(rest + 14, run.probeResult)
        insertRun.bind(rest + 15, run.lossSeed.map { Int64($0) })
        insertRun.bind(rest + 16, run.client?.error)
        insertRun.bind(rest + 17, constant: run.client?.disposition.name)
        insertRun.bind(rest + 18, run.client?.exitCode.map { Int64($0) })
        insertRun.bind(rest + 19, run.client?.output)
        insertRun.bind(rest + 20, evidence.failingCallNs)
        insertRun.bind(rest + 21, evidence.peerEndToErrorNs)
        try insertRun.run()
        let runID = store.db.lastInsertedRowID
        if let disturbance = evidence.disturbance {
            recordDisturbance.clear()
            recordDisturbance.bind(1, constant: disturbance.cause.rawValue)
            recordDisturbance.bind(2, constant: disturbance.reason.rawValue)
            recordDisturbance.bind(3, runID)
            try recordDisturbance.run()
        }
        if let fate = evidence.linkFate {
            recordLinkFate.clear()
            recordLinkFate.bind(1, fate)
            recordLinkFate.bind(2, runID)
            try recordLinkFate.run()
        }
        var sendNumber: Int64 = 0
        for (offset, step) in run.steps.enumerated() {
            let isSend = step.actor == .client && step.op.isClientWrite
            if isSend { sendNumber += 1 }
            insertStep.clear()
            insertStep.bind(1, runID)
            insertStep.bind(2, Int64(offset + 1))
            insertStep.bind(3, constant: step.actor.rawValue)
            insertStep.bind(4, constant: step.op.rawValue)
            insertStep.bind(5, isSend ? sendNumber : nil)
            insertStep.bind(6, step.bytes)
            insertStep.bind(7, step.result)
            insertStep.bind(8, step.errno == 0 ? nil : Int64(step.errno))
            insertStep.bind(9, constant: step.errnoName)
            insertStep.bind(10, Int64(step.sigpipe ? 1 : 0))
            insertStep.bind(11, step.startNs)
            insertStep.bind(12, step.durationNs)
            insertStep.bind(13, constant: step.tcpState?.name)
            insertStep.bind(14, step.value)
            try insertStep.run()
        }
        for (offset, packet) in run.packets.enumerated() {
            insertPacket.clear()
            insertPacket.bind(1, runID)
            insertPacket.bind(2, Int64(offset + 1))
            insertPacket.bind(3, packet.tNs)
            insertPacket.bind(4, constant: packet.direction.rawValue)
            insertPacket.bind(5, packet.flags)
            insertPacket.bind(6, packet.seq)
            insertPacket.bind(7, packet.ack)
            insertPacket.bind(8, packet.length)
            insertPacket.bind(9, packet.stepSeq.map { Int64($0) })
            insertPacket.bind(10, Int64(packet.lost ? 1 : 0))
            try insertPacket.run()
        }
    }
}

extension Store {
    public func runWriter(sweepID: Int64) throws(StoreError) -> RunWriter {
        try RunWriter(store: self, sweepID: sweepID)
    }
}
