/// The single writer of a sweep's runs: prepared statements, one transaction per batch, so a run
/// is recorded whole (its row and all its steps) or not at all.
public final class RunWriter {
    private let store: Store
    private let sweepID: Int64
    private let insertRun: Statement
    private let insertStep: Statement

    init(store: Store, sweepID: Int64) throws(StoreError) {
        self.store = store
        self.sweepID = sweepID
        insertRun = try store.db.prepare("""
            INSERT INTO runs (uuid, sweep_id, transport, peer, sigpipe, sleep_ns, sends, payload_bytes, repeat_index,
                              outcome, term_signal, signature, first_failing_send, first_errno, first_errno_name,
                              harness_error, started_at, duration_ns,
                              slept_ns, peer_late, fatal_send, peer_read_bytes, peer_left_unread, probe, probe_result)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        insertStep = try store.db.prepare("""
            INSERT INTO steps (run_id, seq, actor, op, send_number, bytes, result, errno, errno_name, sigpipe,
                               start_ns, duration_ns, tcp_state, value)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
    }

    /// Writes `runs` in one transaction.
    public func write(_ runs: [RunResult]) throws(StoreError) {
        guard !runs.isEmpty else { return }
        try store.db.writeTransaction { () throws(StoreError) in
            for run in runs { try insert(run) }
        }
    }

    private func insert(_ run: RunResult) throws(StoreError) {
        let s = run.scenario
        let failure = run.firstFailure
        let failingErrno = failure.flatMap { $0.errno == 0 ? nil : $0.errno }
        insertRun.clear()
        insertRun.bind(1, newUUID())
        insertRun.bind(2, sweepID)
        insertRun.bind(3, constant: s.transport.rawValue)
        insertRun.bind(4, constant: s.peer.rawValue)
        insertRun.bind(5, constant: s.sigpipe.rawValue)
        insertRun.bind(6, s.sleepNs)
        insertRun.bind(7, Int64(s.sends))
        insertRun.bind(8, s.payloadBytes)
        insertRun.bind(9, Int64(run.repeatIndex))
        insertRun.bind(10, constant: run.outcome.rawValue)
        insertRun.bind(11, constant: run.termSignal.map(SignalName.of))
        insertRun.bind(12, run.signature)
        insertRun.bind(13, failure.map { Int64($0.send) })
        insertRun.bind(14, failingErrno.map { Int64($0) })
        insertRun.bind(15, constant: failingErrno.map(ErrnoName.of))
        insertRun.bind(16, run.harnessMessage)
        insertRun.bind(17, Timestamp.iso8601(run.startedAt))
        insertRun.bind(18, run.durationNs)
        let evidence = RunEvidence(run)
        insertRun.bind(19, evidence.sleptNs)
        insertRun.bind(20, Int64(evidence.peerLate ? 1 : 0))
        insertRun.bind(21, evidence.fatalSend.map { Int64($0) })
        insertRun.bind(22, evidence.peerReadBytes)
        insertRun.bind(23, evidence.peerLeftUnread.map { Int64($0 ? 1 : 0) })
        insertRun.bind(24, constant: s.probe.rawValue)
        insertRun.bind(25, run.probeResult)
        try insertRun.run()
        let runID = store.db.lastInsertedRowID
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
    }
}

extension Store {
    public func runWriter(sweepID: Int64) throws(StoreError) -> RunWriter {
        try RunWriter(store: self, sweepID: sweepID)
    }
}
