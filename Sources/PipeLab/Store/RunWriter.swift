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
                              harness_error, started_at, duration_ns)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        insertStep = try store.db.prepare("""
            INSERT INTO steps (run_id, seq, actor, op, send_number, bytes, result, errno, errno_name, sigpipe,
                               start_ns, duration_ns, tcp_state)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
        let failingErrno = run.firstFailingErrno.flatMap { $0 == 0 ? nil : $0 }
        try insertRun.bind([
            .text(newUUID()), .int(sweepID), .text(s.transport.rawValue), .text(s.peer.rawValue), .text(s.sigpipe.rawValue),
            .int(s.sleepNs), .int(Int64(s.sends)), .int(s.payloadBytes), .int(Int64(run.repeatIndex)),
            .text(run.outcome.rawValue), .optional(run.termSignal.map(SignalName.of)), .text(run.signature),
            .optional(run.firstFailingSend.map { Int64($0) }), .optional(failingErrno.map { Int64($0) }),
            .optional(failingErrno.map(ErrnoName.of)), .optional(run.harnessMessage),
            .text(Timestamp.iso8601(run.startedAt)), .int(run.durationNs),
        ]).run()
        let runID = store.db.lastInsertedRowID
        var sendNumber: Int64 = 0
        for (offset, step) in run.steps.enumerated() {
            let isSend = step.actor == .client && step.op.isClientWrite
            if isSend { sendNumber += 1 }
            try insertStep.bind([
                .int(runID), .int(Int64(offset + 1)), .text(step.actor.rawValue), .text(step.op.rawValue),
                isSend ? .int(sendNumber) : .null, .int(step.bytes), .optional(step.result),
                step.errno == 0 ? .null : .int(Int64(step.errno)), .optional(step.errnoName), .int(step.sigpipe ? 1 : 0),
                .int(step.startNs), .optional(step.durationNs), .optional(step.tcpState?.name),
            ]).run()
        }
    }
}

extension Store {
    public func runWriter(sweepID: Int64) throws(StoreError) -> RunWriter {
        try RunWriter(store: self, sweepID: sweepID)
    }
}
