/// What a run's recorded steps show, beyond its signature: what the peer read, whether it ended
/// the connection with data unread, when it ended it, how long the client really slept, and
/// whether the machine disturbed the run. Explanations and the run's derived columns
/// (`slept_ns`, `peer_late`, `fatal_send`, `peer_read_bytes`, `peer_left_unread`) come from here.
public struct RunEvidence: Sendable {
    public let scenario: Scenario
    public let outcome: Outcome
    /// The signal that killed the process that sent, for `killed` runs.
    public let termSignal: Int32?
    /// The client's send/write calls, in order (the last may have no result: the process died or hung in it).
    public let writes: [Step]
    /// What the peer's single read returned; nil when it did not read (close-unread) or did not get to.
    public let peerReadBytes: Int64?
    /// The call with which the peer began to end the connection (close, shutdown, or SO_LINGER before close).
    public let peerEnd: Step?
    /// Bytes in the peer's receive queue (or pipe) just before its ending call: ioctl(FIONREAD).
    public let peerUnreadBytes: Int64?
    /// Whether the peer ended the connection with data it had not read: true when its FIONREAD
    /// found bytes waiting; false when it found none and no write of ours was in progress between
    /// that measurement and the ending call; nil when one was, or nothing was measured.
    public let peerLeftUnread: Bool?
    /// From the end of send #1 to the start of send #2: the sleep the client really slept.
    public let sleptNs: Int64?
    /// The send during which the process died (it never returned); nil when it did not die.
    public let fatalSend: Int?
    /// When the peer's first RST reached the client, from the run's packets; nil without capture.
    public let rstArrivalNs: Int64?

    /// Sleeps at least this long should let the peer end the connection before send #2: on an idle
    /// machine the peer ends it within a fraction of a millisecond of the data's arrival.
    public static let settledSleepNs: Int64 = 1_000_000

    public init(_ run: RunResult) {
        scenario = run.scenario
        outcome = run.outcome
        termSignal = run.termSignal
        writes = run.clientWrites
        let peerSteps = run.steps.filter { $0.actor == .peer }
        peerReadBytes = peerSteps.first { $0.op == .recv || $0.op == .read }?.result.flatMap { $0 >= 0 ? $0 : nil }
        peerEnd = peerSteps.first { $0.op == .close || $0.op == .shutdown || $0.op == .setsockopt }
        if let first = writes.first, let second = writes.dropFirst().first,
           let firstDuration = first.durationNs {
            sleptNs = second.startNs - (first.startNs + firstDuration)
        } else {
            sleptNs = nil
        }
        rstArrivalNs = run.packets.first { $0.direction == .peerToClient && $0.flags.hasPrefix("R") && !$0.lost }?.tNs
        fatalSend = run.outcome == .killed ? writes.firstIndex { $0.result == nil }.map { $0 + 1 } : nil
        let measurement = peerSteps.first { $0.op == .ioctl }
        peerUnreadBytes = measurement?.result.flatMap { $0 >= 0 ? $0 : nil }
        peerLeftUnread = Self.leftUnread(writes: writes, measurement: measurement, unread: peerUnreadBytes,
                                         read: peerReadBytes ?? 0, end: peerEnd)
    }

    private static func leftUnread(writes: [Step], measurement: Step?, unread: Int64?, read: Int64, end: Step?) -> Bool? {
        guard let measurement, let unread, let end else { return nil }
        if unread > 0 { return true }
        // Data can have arrived between the measurement and the ending call only if a write was in
        // flight then and not all the bytes of the writes begun before the ending call were accounted for.
        let measuredAt = measurement.startNs
        let inFlight = writes.contains { write in
            write.startNs < end.startNs && (write.durationNs.map { write.startNs + $0 > measuredAt } ?? true)
        }
        let begun = writes.filter { $0.startNs < end.startNs }.reduce(Int64(0)) { $0 + $1.bytes }
        return inFlight && begun > read + unread ? nil : false
    }

    /// The peer began to end the connection before send `number` (1-based) started; nil when the
    /// peer never got to it or there is no such send.
    public func peerEndedBefore(send number: Int) -> Bool? {
        guard let end = peerEnd, number >= 1, number <= writes.count else { return nil }
        return end.startNs < writes[number - 1].startNs
    }

    /// DESIGN.md's run validity: in a cell whose sleep should let the peer end the connection before
    /// send #2, the peer had not begun to (it started later, or never) when send #2 started. The
    /// machine starved the peer of the CPU; the run is kept but left out of its cell's verdict.
    public var peerLate: Bool {
        // Over a link the peer can end it only after our data crossed: the sleep must cover the round trip too.
        guard scenario.sleepNs >= Self.settledSleepNs &+ scenario.rttNs, writes.count >= 2 else { return false }
        return peerEndedBefore(send: 2) != true
    }

    /// Send #1 had not returned when the peer began to end the connection: the peer ended it
    /// while the first send's data was still being queued or arriving.
    public var firstSendOverlapsPeerEnd: Bool {
        guard let first = writes.first, let end = peerEnd else { return false }
        return first.durationNs.map { first.startNs + $0 > end.startNs } ?? true
    }
}
