/// The wire protocol between the recorder and its workers: fixed-size records of twelve Int64 on a
/// SOCK_SEQPACKET socket pair, so each message arrives whole and in order even when the worker's
/// client and peer threads write at the same time, and no parsing can go wrong.
enum WireMessage: Equatable {
    /// Recorder → worker: perform one run.
    case job(token: Int64, scenario: Scenario)
    /// Worker → recorder: the client is about to make a call it may not return from.
    case callBegins(token: Int64, actor: Actor, op: Operation, bytes: Int64, startNs: Int64)
    /// Worker → recorder: a call returned.
    case step(token: Int64, Step)
    /// Worker → recorder: the run is over.
    case runDone(token: Int64)
    /// Worker → recorder: the harness could not set the run up.
    case harnessError(token: Int64, stage: HarnessStage, errno: Int32)

    static let slots = 12
    static let byteCount = slots * MemoryLayout<Int64>.size

    func encode() -> [Int64] {
        var slots = [Int64](repeating: 0, count: Self.slots)
        switch self {
        case let .job(token, s):
            slots[0...7] = [1, token, s.transport.index, s.peer.index, s.sigpipe.index, s.sleepNs, Int64(s.sends), s.payloadBytes]
        case let .callBegins(token, actor, op, bytes, startNs):
            slots[0...5] = [2, token, actor.index, op.index, bytes, startNs]
        case let .step(token, step):
            slots[0...10] = [3, token, step.actor.index, step.op.index, step.bytes, step.result ?? Int64.min,
                             Int64(step.errno), step.sigpipe ? 1 : 0, step.startNs, step.durationNs ?? -1,
                             Int64(step.tcpState?.rawValue ?? 0)]
        case let .runDone(token):
            slots[0...1] = [4, token]
        case let .harnessError(token, stage, errno):
            slots[0...3] = [5, token, stage.index, Int64(errno)]
        }
        return slots
    }

    /// nil for a record that is not one of ours (which would be a pipelab bug).
    static func decode(_ s: UnsafeBufferPointer<Int64>) -> WireMessage? {
        guard s.count == slots else { return nil }
        switch s[0] {
        case 1:
            guard let transport = Transport(index: s[2]), let peer = PeerAction(index: s[3]),
                  let sigpipe = SigpipeMode(index: s[4]) else { return nil }
            return .job(token: s[1], scenario: Scenario(transport: transport, peer: peer, sigpipe: sigpipe,
                                                        sleepNs: s[5], sends: Int(s[6]), payloadBytes: s[7]))
        case 2:
            guard let actor = Actor(index: s[2]), let op = Operation(index: s[3]) else { return nil }
            return .callBegins(token: s[1], actor: actor, op: op, bytes: s[4], startNs: s[5])
        case 3:
            guard let actor = Actor(index: s[2]), let op = Operation(index: s[3]) else { return nil }
            return .step(token: s[1], Step(
                actor: actor, op: op, bytes: s[4], result: s[5] == Int64.min ? nil : s[5], errno: Int32(s[6]),
                sigpipe: s[7] != 0, startNs: s[8], durationNs: s[9] < 0 ? nil : s[9], tcpState: TCPState(rawValue: Int32(s[10]))))
        case 4:
            return .runDone(token: s[1])
        case 5:
            guard let stage = HarnessStage(index: s[2]) else { return nil }
            return .harnessError(token: s[1], stage: stage, errno: Int32(s[3]))
        default:
            return nil
        }
    }
}

/// What the harness was doing when it failed, for a readable `harness-error`.
enum HarnessStage: String, CaseIterable {
    case listenTCP4 = "listening on 127.0.0.1"
    case listenTCP6 = "listening on [::1] (is IPv6 available?)"
    case clientSocket = "creating the client socket"
    case connect = "connecting the client to its peer"
    case accept = "accepting the client"
    case socketpair = "creating the Unix socket pair"
    case pipe = "creating the pipe"
}

/// Enum cases travel as their position in `allCases`.
extension CaseIterable where Self: Equatable {
    var index: Int64 { Int64(Array(Self.allCases).firstIndex(of: self) ?? 0) }

    init?(index: Int64) {
        let all = Array(Self.allCases)
        guard index >= 0, index < all.count else { return nil }
        self = all[Int(index)]
    }
}
