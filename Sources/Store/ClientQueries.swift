import PipeLabExperiment

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
    /// What the program reported at its first failing send, its ports left out (`ClientReport.withoutPorts`).
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
            gaps[try row.decoded("client"), default: []].append(row.int(1))
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
