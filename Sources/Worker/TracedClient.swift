import PipeLabExperiment
import PipeLabKernel

/// A real client's steps, read from its strace record: its connect to the peer's port and, on that
/// connection, every write (write, send, sendto, sendmsg, writev), shutdown and close, plus each
/// rt_sigaction that sets SIGPIPE. A SIGPIPE delivered right after a write of the same thread is
/// that write's, and is marked the way pipelab's own client marks it, so signatures mean the same:
/// seen by a handler → `+SIGPIPE`; with the default action the program never returns from the
/// write (no result, as for a harness client killed inside its send); while ignored it is not
/// marked (a traced process is told of an ignored signal, an untraced one is not). While SIGPIPE
/// is in the writing thread's mask (as started, or as it set it with rt_sigprocmask; a thread
/// starts with its creator's mask), strace sees no signal: a write that fails with EPIPE without
/// MSG_NOSIGNAL left it pending (sk_stream_error(), net/core/stream.c, raises it), and is marked
/// `+SIGPIPE` as pipelab's own client marks it.
package struct TracedClient {
    package var steps: [Step] = []
    /// The disposition the program's writes met last (as it started, or as it set it): `blocked`
    /// when SIGPIPE was in the writing thread's mask.
    package var disposition: SigpipeDisposition
    /// The signal that killed a thread that wrote on the connection: the program's death even when
    /// a shell started it and lives on (`--client-cmd` runs under /bin/sh, which reports 141).
    package var writerKilledBy: Int32?

    /// - Parameter port: the peer's port, which tells the experiment's connection from any other.
    /// - Parameter runStartNs: the run's start on the wall clock strace stamps lines with.
    package init(_ events: [StraceEvent], port: UInt16, runStartNs: Int64, startedWith disposition: SigpipeDisposition) {
        self.disposition = disposition
        // The action a delivered SIGPIPE meets; a program started blocked has the default action.
        var action: SigpipeDisposition = disposition == .blocked ? .default : disposition
        // Per thread, whether SIGPIPE is in its mask; a thread not seen yet has the program's first.
        var blocked: [Int32: Bool] = [:]
        let startedBlocked = disposition == .blocked
        // Who created each thread or process: with -f, a child's first lines may come before its
        // creator's clone returns, and it starts with its creator's mask.
        var creators: [Int32: Int32] = [:]
        for case .call(let call) in events where Self.creatingCalls.contains(call.name) {
            if let child = call.result.flatMap(Int32.init(exactly:)), child > 0 { creators[child] = call.pid }
        }
        var connection: Set<Int32> = []
        // Per thread, the step of its last call if that call was a write on the connection.
        var lastWrite: [Int32: Int] = [:]
        var writers: Set<Int32> = []
        for event in events {
            switch event {
            case .call(let call):
                lastWrite[call.pid] = nil
                if blocked[call.pid] == nil, let creator = creators[call.pid] { blocked[call.pid] = blocked[creator] ?? startedBlocked }
                if Self.creatingCalls.contains(call.name), let child = call.result.flatMap(Int32.init(exactly:)), child > 0 {
                    if blocked[child] == nil { blocked[child] = blocked[call.pid] ?? startedBlocked }
                    continue
                }
                if call.name == "rt_sigprocmask" {
                    if call.result == 0, let masked = Self.masksSigpipe(call.arguments, before: blocked[call.pid] ?? startedBlocked) {
                        blocked[call.pid] = masked
                    }
                    continue
                }
                guard let op = Self.operation(call.name) else { continue }
                if op == .sigaction {
                    guard call.arguments.first == "SIGPIPE", call.arguments.count > 1,
                          let set = Self.disposition(call.arguments[1]) else { continue }
                    action = set
                    self.disposition = set
                    append(call, op: .sigaction, bytes: 0, runStartNs: runStartNs, value: set.rawValue)
                    continue
                }
                guard let fd = call.arguments.first.flatMap({ Int32($0) }) else { continue }
                if op == .connect {
                    guard call.arguments.count > 1, Self.port(call.arguments[1]) == port else { continue }
                    connection.insert(fd)
                }
                guard connection.contains(fd) else { continue }
                if op == .close { connection.remove(fd) }
                append(call, op: op, bytes: op.isClientWrite ? Self.bytes(call) : 0, runStartNs: runStartNs)
                if op.isClientWrite {
                    lastWrite[call.pid] = steps.count - 1
                    writers.insert(call.pid)
                    let masked = blocked[call.pid] ?? startedBlocked
                    self.disposition = masked ? .blocked : action
                    if masked && call.errnoName == "EPIPE" && !call.arguments.contains(where: { $0.contains("MSG_NOSIGNAL") }) {
                        steps[steps.count - 1].sigpipe = true
                    }
                }
            case .signal(let pid, _, let name):
                guard name == "SIGPIPE", let index = lastWrite[pid] else { continue }
                switch action {
                case .handler:
                    steps[index].sigpipe = true
                case .default:
                    (steps[index].result, steps[index].errno, steps[index].sigpipe) = (nil, 0, true)
                case .ignore, .blocked:
                    break
                }
            case .killed(let pid, _, let name):
                if writers.contains(pid), writerKilledBy == nil { writerKilledBy = SignalName.number(name) }
            }
        }
        steps.sort { $0.startNs < $1.startNs }
    }

    private mutating func append(_ call: StraceCall, op: Operation, bytes: Int64, runStartNs: Int64, value: Int64? = nil) {
        steps.append(Step(actor: .client, op: op, bytes: bytes, result: call.result,
                          errno: call.result == -1 ? call.errnoName.flatMap(ErrnoName.code(of:)) ?? 0 : 0,
                          sigpipe: false, startNs: call.timeNs - runStartNs, durationNs: call.durationNs, tcpState: nil,
                          value: value))
    }

    /// The syscalls strace is asked to trace (`-e trace=`): those the steps name, and those that
    /// change or hand on a thread's signal mask.
    package static let traced = ["connect", "write", "writev", "sendto", "sendmsg", "shutdown", "close", "rt_sigaction",
                                 "rt_sigprocmask"] + creatingCalls
    private static let creatingCalls = ["clone", "clone3", "fork", "vfork"]

    /// Whether SIGPIPE is masked after `rt_sigprocmask(HOW, SET, …)`, from `before`; nil when the
    /// call left the mask as it was (no set given). strace writes a set as `[PIPE CHLD]`, and as
    /// `~[…]` for everything but the signals listed.
    private static func masksSigpipe(_ arguments: [String], before: Bool) -> Bool? {
        guard arguments.count > 1, arguments[1] != "NULL" else { return nil }
        let set = arguments[1]
        let listed = set.split { $0 == " " || $0 == "[" || $0 == "]" || $0 == "~" }.contains { $0 == "PIPE" || $0 == "SIGPIPE" }
        let contains = set.hasPrefix("~") ? !listed : listed
        switch arguments[0] {
        case "SIG_BLOCK": return before || contains
        case "SIG_UNBLOCK": return before && !contains
        case "SIG_SETMASK": return contains
        default: return nil
        }
    }

    private static func operation(_ name: String) -> Operation? {
        switch name {
        case "connect": .connect
        case "write": .write
        case "writev": .writev
        case "send": .send
        case "sendto": .sendto
        case "sendmsg": .sendmsg
        case "shutdown": .shutdown
        case "close": .close
        case "rt_sigaction": .sigaction
        default: nil
        }
    }

    /// write and sendto carry a count as their third argument; writev and sendmsg a list of iovecs
    /// (their lengths are what the program asked for, whatever they add up to: the sum saturates).
    private static func bytes(_ call: StraceCall) -> Int64 {
        if call.name == "writev" || call.name == "sendmsg" {
            return call.arguments.joined(separator: ",").ranges(after: "iov_len=").reduce(0) { sum, length in
                let (total, overflow) = sum.addingReportingOverflow(length)
                return overflow ? .max : total
            }
        }
        return call.arguments.count > 2 ? Int64(call.arguments[2]) ?? 0 : 0
    }

    /// `{sa_family=AF_INET, sin_port=htons(41234), …}` → 41234 (IPv4 and IPv6 alike).
    private static func port(_ address: String) -> UInt16? {
        address.ranges(after: "_port=htons(").first.flatMap { UInt16(exactly: $0) }
    }

    /// `{sa_handler=SIG_IGN, …}` → ignore; NULL (a query) → nil.
    private static func disposition(_ action: String) -> SigpipeDisposition? {
        guard action.hasPrefix("{sa_handler=") else { return nil }
        let handler = action.dropFirst(12).prefix { $0 != "," && $0 != "}" }
        switch handler {
        case "SIG_DFL": return .default
        case "SIG_IGN": return .ignore
        default: return .handler
        }
    }
}

extension String {
    /// The decimal numbers that directly follow each occurrence of `marker`.
    fileprivate func ranges(after marker: String) -> [Int64] {
        split(separator: marker, omittingEmptySubsequences: false).dropFirst().compactMap { Int64($0.prefix { $0.isNumber }) }
    }
}
