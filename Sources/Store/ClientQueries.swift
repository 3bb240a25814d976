import PipeLabExperiment
import PipeLabKernel

/// What a client program saw in one (client, transport, peer, sigpipe) of a sweep: one row per
/// distinct signature, report and end, over its undisturbed runs. The report's runtime table.
public struct ClientOutcome: Sendable, Equatable {
    public var client: ClientProgram
    public var transport: Transport
    public var peer: PeerAction
    /// The disposition the program was started with (the sigpipe dimension).
    public var sigpipe: SigpipeMode
    public var sleepNs: Int64
    public var signature: String
    public var outcome: Outcome
    /// Every failure the program was told of, in order (`runs.client_error`), its ports left out (`ClientReport.withoutPorts`).
    public var error: String?
    /// The disposition its writes met (`runs.client_sigpipe`); nil for the harness.
    public var disposition: SigpipeDisposition?
    public var exitCode: Int64?
    public var termSignal: String?
    public var runs: Int
}

extension Store {
    /// Every client's outcomes in the sweep, in the table's order of clients, transports, peers and
    /// dispositions; a program's reports that differ only in its ports count as one.
    package func clientOutcomes(sweepIDs: [Int64]) throws(StoreError) -> [ClientOutcome] {
        var outcomes: [ClientOutcome] = []
        try db.prepare("""
            SELECT client, transport, peer, sigpipe, sleep_ns, signature, outcome, client_error, client_sigpipe, client_exit,
                   term_signal, COUNT(*) AS runs
            FROM runs WHERE \(Self.inSweeps(1)) AND peer_late = 0 AND outcome <> 'harness-error'
            GROUP BY client, transport, peer, sigpipe, sleep_ns, signature, outcome, client_error, client_sigpipe, client_exit,
                     term_signal
            """).bind([.text(Self.jsonList(sweepIDs))]).forEachRow { (row: Row) throws(StoreError) in
            let found = ClientOutcome(
                client: try row.decoded("client"), transport: try row.decoded("transport"), peer: try row.decoded("peer"),
                sigpipe: try row.decoded("sigpipe"), sleepNs: row.int("sleep_ns"), signature: row.text("signature"),
                outcome: try row.decoded("outcome"),
                error: row.optionalText("client_error").map(ClientReport.withoutPorts),
                disposition: row.optionalText("client_sigpipe").flatMap(SigpipeDisposition.init(name:)),
                exitCode: row.optionalInt("client_exit"), termSignal: row.optionalText("term_signal"), runs: Int(row.int("runs")))
            if let same = outcomes.firstIndex(where: { $0.sameReport(as: found) }) {
                outcomes[same].runs += found.runs
            } else {
                outcomes.append(found)
            }
        }
        return outcomes.sorted {
            ($0.client.position, $0.transport.position, $0.peer.position, $0.sigpipe.position, -$0.runs)
                < ($1.client.position, $1.transport.position, $1.peer.position, $1.sigpipe.position, -$1.runs)
        }
    }
}

/// Runs of a real program whose runtime told it of a failure at another send, or of another error,
/// than its system calls' first failure (a runtime that fails a send itself, without a call; a
/// send the runtime split into several calls): what the program saw, beside what strace recorded.
public struct ToldFailure: Sendable, Equatable {
    /// The runs as their system calls read (the heatmap's other squares), counted in `runs`.
    public var group: RunGroup
    /// The program's send (1-based) it was first told failed.
    public var send: Int
    /// The errno its report names; nil for an error of the runtime's own (`ERR_STREAM_DESTROYED`).
    public var errnoName: String?
    /// Every failure it was told of, in order (`ClientReport.error`), its ports left out.
    public var error: String
}

extension Store {
    /// The undisturbed runs of real programs whose report (`runs.client_output`) names another first
    /// failing send or errno than their system calls, by cell, system-call view and what they were told.
    package func toldFailures(sweepIDs: [Int64]) throws(StoreError) -> [ToldFailure] {
        var ids: [Int64] = []
        var reported: [(group: RunGroup, output: String)] = []
        try db.prepare("""
            SELECT id, \(Dimensions.columnList()), signature, outcome, first_failing_send, first_errno_name, term_signal, client_output
            FROM runs WHERE \(Self.inSweeps(1)) AND client <> 'harness' AND peer_late = 0 AND client_output IS NOT NULL ORDER BY id
            """).bind([.text(Self.jsonList(sweepIDs))]).forEachRow { (row: Row) throws(StoreError) in
            ids.append(row.int("id"))
            let group = RunGroup(scenario: try row.scenario(), signature: row.text("signature"), outcome: try row.decoded("outcome"),
                                 firstFailingSend: row.optionalInt("first_failing_send").map { Int($0) },
                                 firstErrnoName: row.optionalText("first_errno_name"), termSignal: row.optionalText("term_signal"), runs: 1)
            reported.append((group, row.text("client_output")))
        }
        // Checked before a report is read: what a program printed is the file's to say.
        try checkRead(runs: ids)
        var found: [ToldFailure] = []
        for (group, output) in reported {
            let report = ClientReport(exitCode: nil, disposition: .default, output: output)
            guard let said = report.sends.first(where: { !$0.ok }) else { continue }
            // The errno it names, by number or, as Node's EPIPE, by name.
            let errno = said.errno.flatMap(Int32.init(exactly:)).map(ErrnoName.of) ?? said.code.flatMap { ErrnoName.code(of: $0) != nil ? $0 : nil }
            // A report without an errno (Java's exception) at the call's own send says the same as the call.
            guard said.number != group.firstFailingSend || (errno != nil && errno != group.firstErrnoName) else { continue }
            let told = ToldFailure(group: group, send: said.number, errnoName: errno, error: ClientReport.withoutPorts(report.error ?? ""))
            if let same = found.firstIndex(where: { var mine = $0; mine.group.runs = told.group.runs; return mine == told }) {
                found[same].group.runs += 1
            } else {
                found.append(told)
            }
        }
        return found
    }
}

extension Store {
    /// Per client, the time from the start of send #2 to the start of send #3 in undisturbed runs
    /// with back-to-back sends (no interval, no link): one system call and the program's own step
    /// between two writes, which for a real program includes strace's stops.
    package func sendGaps(sweepIDs: [Int64]) throws(StoreError) -> [ClientProgram: [Int64]] {
        var gaps: [ClientProgram: [Int64]] = [:]
        try db.prepare("""
            SELECT r.client, s3.start_ns - s2.start_ns FROM runs r
            JOIN steps s2 ON s2.run_id = r.id AND s2.send_number = 2
            JOIN steps s3 ON s3.run_id = r.id AND s3.send_number = 3
            WHERE \(Self.inSweeps(1, alias: "r")) AND r.peer_late = 0 AND r.interval_ns = 0 AND r.rtt_ns = 0 AND r.loss_percent = 0
            ORDER BY r.id
            """).bind([.text(Self.jsonList(sweepIDs))]).forEachRow { (row: Row) throws(StoreError) in
            gaps[try row.decoded("client"), default: []].append(try Self.bounded(row.int(1), "steps.start_ns"))
        }
        return gaps
    }
}

extension ClientOutcome {
    package func sameReport(as other: ClientOutcome) -> Bool {
        var mine = other
        mine.runs = runs
        return mine == self
    }
}
