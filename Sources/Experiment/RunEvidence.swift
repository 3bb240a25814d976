/// What a run's recorded steps and packets show, beyond its signature: what the peer read, whether
/// it ended the connection with data unread, when it ended it, how long the client's pauses really
/// were, what the link did, and whether (and why) the run was disturbed. Explanations and the run's
/// derived columns (`slept_ns`, `peer_late`, `disturbance`, `fatal_send`, `peer_read_bytes`,
/// `peer_left_unread`) come from here.
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
    /// The run's packets (empty without capture): what crossed, what the link dropped.
    public let packets: [Packet]
    /// The client's probe call, when it made one.
    public let probe: Step?
    /// The peer's first call of its own (its recv, or its poll for close-unread): when it was ready.
    public let peerFirstCall: Step?
    /// The client's timed pauses as they really ran: the sleep, then each interval.
    public let pauses: [Pause]
    /// The call the run was stopped or killed in: announced, never returned.
    public let pendingCall: Step?

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
        packets = run.packets
        probe = run.probeStep
        peerFirstCall = peerSteps.first { $0.op != .accept }
        // A real program times its own pauses, in its runtime and slowed by strace: how long they
        // took says nothing of the machine.
        pauses = run.scenario.client.isReal ? [] : Pause.of(run.scenario, writes: writes, probe: probe)
        pendingCall = run.steps.last { $0.result == nil }
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

    /// The first send that did not write all its bytes (`runs.first_failing_send`).
    public var firstFailingWrite: Step? { writes.first { $0.result != $0.bytes } }

    /// How long the first failing send took (`runs.failing_call_ns`); nil when no send failed or it never returned.
    public var failingCallNs: Int64? { firstFailingWrite?.durationNs }

    /// From the start of the peer's ending call to the return of the first failing send
    /// (`runs.peer_end_to_error_ns`); nil without either.
    public var peerEndToErrorNs: Int64? {
        guard let failing = firstFailingWrite, let duration = failing.durationNs, let end = peerEnd else { return nil }
        return failing.startNs &+ duration &- end.startNs
    }

    /// The call the sleep is for: send #2, or the probe when there is one send.
    public var afterSleep: Step? {
        writes.count >= 2 ? writes[1] : probe
    }

    /// Whether the sleep should let the peer end the connection before the call after it: over a
    /// link the peer can end it only after our data crossed, so the sleep must cover the round trip.
    public var sleepIsSettled: Bool { scenario.sleepNs >= Self.settledSleepNs &+ scenario.rttNs }

    /// DESIGN.md's run validity: the sleep should have let the peer end the connection before send
    /// #2 (or, with one send, before the probe), and the peer had not begun to (it started later, or never).
    public var peerLate: Bool {
        guard sleepIsSettled, let next = afterSleep else { return false }
        guard let end = peerEnd else { return true }
        return end.startNs >= next.startNs
    }

    /// The packets the emulated link dropped, in time order.
    public var lostPackets: [Packet] { packets.filter(\.lost) }

    /// The packets the link dropped before the call after the sleep started.
    public var lostBeforeSleepEnds: [Packet] {
        let deadline = afterSleep?.startNs ?? Int64.max
        return lostPackets.filter { $0.tNs < deadline }
    }

    /// Over a link, send `number` started before anything the peer did on receiving send #1 could
    /// have come back (a round trip after send #1 began): the link, not a race, fixed that it
    /// found the connection whole.
    public func linkFixedOrder(send number: Int) -> Bool {
        guard scenario.rttNs > 0, let first = writes.first, number >= 1, number <= writes.count else { return false }
        return writes[number - 1].startNs < first.startNs &+ scenario.rttNs
    }

    /// The sends (1-based) whose bytes a client's data segment carried, by sequence numbers (the
    /// first data byte is seq 1): more than one where Nagle's algorithm coalesced them.
    public func sends(carriedBy packet: Packet) -> [Int] {
        guard packet.direction == .clientToPeer, packet.length > 0 else { return [] }
        var start: Int64 = 1
        var carried: [Int] = []
        for (index, write) in writes.enumerated() {
            let written = write.result.map { max(0, $0) } ?? write.bytes
            if written > 0 && start < packet.seq &+ packet.length && packet.seq < start &+ written { carried.append(index + 1) }
            start &+= written
        }
        return carried
    }

    /// The first pause that ran more than 1 % + 100 µs over what was asked.
    public var latePause: Pause? { pauses.first(where: \.isLate) }

    /// At a sleep too short to settle, the peer's first call began more than 1 ms after send #1
    /// began: the client's sends did not meet a waiting peer, as they do on an idle machine.
    public var peerStartedLate: Bool {
        // A real program sends as soon as it has connected, while the peer is still accepting: the
        // peer's late start is part of what such a program meets.
        guard !sleepIsSettled, !scenario.client.isReal, let first = writes.first, let peerFirst = peerFirstCall else { return false }
        return peerFirst.startNs > first.startNs &+ Self.settledSleepNs
    }

    /// Everything that kept the run from being the plain experiment, the link's first: a peer late
    /// because the link dropped a segment before the call it should have preceded is the link's
    /// doing (the experiment); a late peer without a loss, a late pause, or a peer that started
    /// late is the machine's.
    public var disturbances: [Disturbance] {
        var found: [Disturbance] = []
        if peerLate {
            found.append(lostBeforeSleepEnds.isEmpty ? Disturbance(.cpu, .peerLate) : Disturbance(.link, .segmentLost))
        }
        if latePause != nil { found.append(Disturbance(.cpu, .pauseLate)) }
        if peerStartedLate { found.append(Disturbance(.cpu, .peerStartedLate)) }
        return found
    }

    /// The run's disturbance as recorded (`runs.disturbance`): the machine's when there is any,
    /// since it takes the run out of the verdict; else the link's; nil when neither.
    public var disturbance: Disturbance? {
        disturbances.first(where: \.leavesVerdict) ?? disturbances.first
    }

    /// The machine disturbed the run: it is kept but left out of its cell's verdict (`runs.peer_late`).
    public var machineDisturbed: Bool { disturbance?.leavesVerdict == true }

    /// Send #1 had not returned when the peer began to end the connection: the peer ended it
    /// while the first send's data was still being queued or arriving.
    public var firstSendOverlapsPeerEnd: Bool {
        guard let first = writes.first, let end = peerEnd else { return false }
        return first.durationNs.map { first.startNs + $0 > end.startNs } ?? true
    }
}

/// One of the client's timed pauses (DESIGN.md `sleep`, `interval`), as asked and as it ran.
public struct Pause: Sendable, Equatable {
    public enum Kind: Sendable { case sleep, interval }
    public let kind: Kind
    /// The call the pause came before: a send's number (the sleep's is 2, or 1 with the probe after it).
    public let beforeSend: Int
    public let askedNs: Int64
    /// From the end of the call before to the start of the call after.
    public let tookNs: Int64

    /// Over by more than 1 % + 100 µs: the machine held the client back.
    public var isLate: Bool { tookNs - askedNs > askedNs / 100 + 100_000 }

    /// The sleep (from send #1's end to the next call: the probe or send #2) and each interval
    /// (from send #k-1's end to send #k's start, k ≥ 3); a pause whose ends were not both recorded is
    /// left out. Only where pipelab times the client's pauses (a sleep, an interval or a link: the
    /// client then holds the real-time class); at sleep 0 without either the client's pace is the race's.
    static func of(_ scenario: Scenario, writes: [Step], probe: Step?) -> [Pause] {
        guard scenario.sleepNs > 0 || scenario.intervalNs > 0 || scenario.hasLink else { return [] }
        func took(_ before: Step, _ after: Step) -> Int64? {
            before.durationNs.map { after.startNs - (before.startNs + $0) }
        }
        var pauses: [Pause] = []
        if let first = writes.first, let next = probe ?? writes.dropFirst().first, let ns = took(first, next) {
            pauses.append(Pause(kind: .sleep, beforeSend: writes.count >= 2 ? 2 : 1, askedNs: scenario.sleepNs, tookNs: ns))
        }
        for index in writes.indices.dropFirst(2) {
            if let ns = took(writes[index - 1], writes[index]) {
                pauses.append(Pause(kind: .interval, beforeSend: index + 1, askedNs: scenario.intervalNs, tookNs: ns))
            }
        }
        return pauses
    }
}
