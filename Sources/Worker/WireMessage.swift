import PipeLabNetwork
import PipeLabExperiment
import PipeLabKernel

/// The wire protocol between the recorder and its workers: fixed-size records of `slots` Int64,
/// batched into SOCK_SEQPACKET messages, so each batch arrives whole and in order even when the
/// worker's client and peer threads write at the same time, and no parsing can go wrong.
package enum WireMessage: Equatable {
    /// Recorder → worker: perform one run; the link draws its losses from `lossSeed`; `capture`:
    /// record the run's packets.
    case job(token: Int64, scenario: Scenario, lossSeed: UInt32, capture: Bool = false)
    /// Worker → recorder: the client is about to make a call it may not return from.
    case callBegins(token: Int64, actor: Actor, op: Operation, bytes: Int64, startNs: Int64)
    /// Worker → recorder: a call returned.
    case step(token: Int64, Step)
    /// Worker → recorder: the forked client of the run was killed by a signal.
    case clientKilled(token: Int64, signal: Int32)
    /// Worker → recorder: the run is over.
    case runDone(token: Int64)
    /// Worker → recorder: the harness could not set the run up.
    case harnessError(token: Int64, stage: HarnessStage, errno: Int32)
    /// Worker → recorder: one of the run's packets (sent before `runDone`).
    case packet(token: Int64, CapturedPacket)
    /// Worker → recorder: the run, stopped at its timeout, has sent the packets it captured.
    case runStopped(token: Int64)
    /// Worker → recorder: it has started (its namespace, its client process) and waits for jobs.
    case ready
    /// Worker → recorder: how a real client program ended (its exit status, nil when a signal ended
    /// it) and the SIGPIPE disposition its writes met.
    case clientEnded(token: Int64, exitCode: Int32?, disposition: SigpipeDisposition)
    /// Worker → recorder: the next bytes of what a real client program printed (its report).
    case clientOutput(token: Int64, [UInt8])

    /// Whether the message closes its run, so the recorder reads the step log.
    package var endsRun: Bool {
        switch self {
        case .runDone, .harnessError: true
        case .job, .callBegins, .step, .clientKilled, .clientEnded, .clientOutput, .packet, .runStopped, .ready: false
        }
    }

    /// A job's record: kind, token, one slot per dimension (Dimensions.all, in order), then the
    /// loss seed and the capture flag; other records use at most twelve.
    package static let slots = max(12, 3 + Dimensions.all.count)
    private static let jobSettingsSlot = 2 + Dimensions.all.count
    package static let byteCount = slots * MemoryLayout<Int64>.size

    package func encode() -> [Int64] {
        var slots = [Int64](repeating: 0, count: Self.slots)
        slots.withUnsafeMutableBufferPointer { encode(into: $0.baseAddress!) }
        return slots
    }

    /// Writes the record's slots, with no allocation for a step (the step log's hot path).
    package func encode(into s: UnsafeMutablePointer<Int64>) {
        s.update(repeating: 0, count: Self.slots)
        switch self {
        case let .job(token, scenario, lossSeed, capture):
            (s[0], s[1]) = (1, token)
            for (offset, dimension) in Dimensions.all.enumerated() { s[2 + offset] = dimension.wire(scenario) }
            // The seed in the low 32 bits, capture in bit 32.
            s[Self.jobSettingsSlot] = Int64(lossSeed) | (capture ? 1 << 32 : 0)
        case let .callBegins(token, actor, op, bytes, startNs):
            (s[0], s[1], s[2], s[3], s[4], s[5]) = (2, token, actor.index, op.index, bytes, startNs)
        case let .step(token, step):
            (s[0], s[1], s[2], s[3], s[4], s[5]) = (3, token, step.actor.index, step.op.index, step.bytes, step.result ?? Int64.min)
            (s[6], s[7], s[8], s[9]) = (Int64(step.errno), step.sigpipe ? 1 : 0, step.startNs, step.durationNs ?? -1)
            (s[10], s[11]) = (Int64(step.tcpState?.rawValue ?? 0), step.value ?? Int64.min)
        case let .runDone(token):
            (s[0], s[1]) = (4, token)
        case let .harnessError(token, stage, errno):
            (s[0], s[1], s[2], s[3]) = (5, token, stage.index, Int64(errno))
        case let .clientKilled(token, signal):
            (s[0], s[1], s[2]) = (6, token, Int64(signal))
        case let .packet(token, packet):
            // Lengths and direction in one slot, the captured bytes in the last eight.
            (s[0], s[1], s[2]) = (7, token, packet.tNs)
            s[3] = Int64(packet.wireLength & 0xffff) | Int64(packet.headers.count) << 16 | (packet.direction == .peerToClient ? 1 << 24 : 0)
                | (packet.lost ? 1 << 25 : 0)
            UnsafeMutableRawPointer(s + 4).copyMemory(from: packet.headers, byteCount: min(packet.headers.count, Capture.headerBytes))
        case let .clientEnded(token, exitCode, disposition):
            (s[0], s[1], s[2], s[3]) = (9, token, exitCode.map(Int64.init) ?? -1, disposition.rawValue)
        case let .clientOutput(token, bytes):
            // Up to `outputBytes` bytes from slot 3 on; their count in slot 2.
            (s[0], s[1], s[2]) = (10, token, Int64(min(bytes.count, Self.outputBytes)))
            bytes.withUnsafeBytes { UnsafeMutableRawPointer(s + 3).copyMemory(from: $0.baseAddress!, byteCount: min($0.count, Self.outputBytes)) }
        case let .runStopped(token):
            (s[0], s[1]) = (8, token)
        case .ready:
            s[0] = 11
        }
    }

    /// nil for a record that is not one of ours, or whose values are out of range: a job the
    /// command line would refuse, a number that does not fit its field. Nothing here can trap.
    package static func decode(_ s: UnsafeBufferPointer<Int64>) -> WireMessage? {
        guard s.count == slots else { return nil }
        switch s[0] {
        case 1:
            var scenario = Scenario.classic
            for (offset, dimension) in Dimensions.all.enumerated() {
                guard dimension.setFromWire(s[2 + offset], in: &scenario) else { return nil }
            }
            let settings = s[Self.jobSettingsSlot]
            guard scenario.inapplicableReason == nil else { return nil }
            return .job(token: s[1], scenario: scenario, lossSeed: UInt32(truncatingIfNeeded: settings), capture: settings >> 32 == 1)
        case 2:
            guard let actor = Actor(index: s[2]), let op = Operation(index: s[3]) else { return nil }
            return .callBegins(token: s[1], actor: actor, op: op, bytes: s[4], startNs: s[5])
        case 3:
            guard let actor = Actor(index: s[2]), let op = Operation(index: s[3]),
                  let errno = Int32(exactly: s[6]), let state = Int32(exactly: s[10]) else { return nil }
            return .step(token: s[1], Step(
                actor: actor, op: op, bytes: s[4], result: s[5] == Int64.min ? nil : s[5], errno: errno,
                sigpipe: s[7] != 0, startNs: s[8], durationNs: s[9] < 0 ? nil : s[9], tcpState: TCPState(rawValue: state),
                value: s[11] == Int64.min ? nil : s[11]))
        case 4:
            return .runDone(token: s[1])
        case 5:
            guard let stage = HarnessStage(index: s[2]), let errno = Int32(exactly: s[3]) else { return nil }
            return .harnessError(token: s[1], stage: stage, errno: errno)
        case 6:
            guard let signal = Int32(exactly: s[2]) else { return nil }
            return .clientKilled(token: s[1], signal: signal)
        case 7:
            let count = Int(s[3] >> 16 & 0xff)
            guard count <= Capture.headerBytes, s[3] >> 26 == 0 else { return nil }
            let headers = Array(UnsafeRawBufferPointer(start: s.baseAddress.map { UnsafeRawPointer($0 + 4) }, count: count))
            return .packet(token: s[1], CapturedPacket(tNs: s[2], direction: s[3] >> 24 & 1 == 1 ? .peerToClient : .clientToPeer,
                                                       wireLength: Int(s[3] & 0xffff), headers: headers, lost: s[3] >> 25 & 1 == 1))
        case 8:
            return .runStopped(token: s[1])
        case 9:
            guard let disposition = SigpipeDisposition(rawValue: s[3]), (-1...255).contains(s[2]) else { return nil }
            return .clientEnded(token: s[1], exitCode: s[2] < 0 ? nil : Int32(s[2]), disposition: disposition)
        case 10:
            guard (0...Int64(outputBytes)).contains(s[2]) else { return nil }
            return .clientOutput(token: s[1], Array(UnsafeRawBufferPointer(start: s.baseAddress.map { UnsafeRawPointer($0 + 3) }, count: Int(s[2]))))
        case 11:
            return .ready
        default:
            return nil
        }
    }

    /// The bytes of program output one record carries.
    package static let outputBytes = (slots - 3) * 8

    /// A program's output as the records that carry it.
    package static func clientOutput(token: Int64, _ text: String) -> [WireMessage] {
        let bytes = Array(text.utf8)
        return stride(from: 0, to: bytes.count, by: outputBytes).map {
            .clientOutput(token: token, Array(bytes[$0..<min(bytes.count, $0 + outputBytes)]))
        }
    }
}

/// What the harness was doing when it failed, for a readable `harness-error`.
package enum HarnessStage: String, CaseIterable {
    case listenTCP4 = "listening on 127.0.0.1"
    case listenTCP6 = "listening on [::1] (is IPv6 available?)"
    case clientSocket = "creating the client socket"
    case connect = "connecting the client to its peer"
    case accept = "accepting the client"
    case socketpair = "creating the Unix socket pair"
    case pipe = "creating the pipe"
    case payload = "mapping the payload"
    case link = "creating the emulated link (a TUN device in the worker's network namespace)"
    case clientProgram = "starting the real client program (is it installed, and strace?)"
    case fork = "forking the client"
    case clientProcess = "handing the run to the client process"
}

/// Enum cases travel as their position in `allCases`, kept once per type so that encoding a
/// record allocates nothing.
package protocol WireEnum: CaseIterable, Equatable {
    static var wireOrder: [Self] { get }
}

extension WireEnum {
    package var index: Int64 { Int64(Self.wireOrder.firstIndex(of: self) ?? 0) }

    package init?(index: Int64) {
        guard index >= 0, index < Self.wireOrder.count else { return nil }
        self = Self.wireOrder[Int(index)]
    }
}

extension Actor: WireEnum { package static let wireOrder = Array(allCases) }
extension Operation: WireEnum { package static let wireOrder = Array(allCases) }
extension HarnessStage: WireEnum { package static let wireOrder = Array(allCases) }
