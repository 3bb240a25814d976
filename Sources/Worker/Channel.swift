import Glibc
import PipeLabExperiment
import PipeLabKernel

/// One end of a recorder–worker SOCK_SEQPACKET pair. Sends use MSG_NOSIGNAL: neither side may be
/// killed by SIGPIPE because the other one died.
package struct Channel: @unchecked Sendable {
    package let fd: Int32

    /// Records per message at most; a message is one send(2) and one recv(2). Steps do not travel
    /// here (they go through the StepLog), only jobs, a captured run's packets and the few records
    /// that end a run.
    package static let maxBatch = 8

    /// A connected pair; both ends close on exec, the worker's end is dup2'ed into place by the spawn.
    package static func pair() throws(SystemError) -> (Channel, Channel) {
        var fds: [Int32] = [-1, -1]
        let type = Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        _ = try retryingEINTR("socketpair for a worker channel") { socketpair(AF_UNIX, type, 0, &fds) }
        return (Channel(fd: fds[0]), Channel(fd: fds[1]))
    }

    /// Sends messages as one batch; false when the other side is gone.
    @discardableResult
    package func send(_ messages: [WireMessage]) -> Bool {
        var start = 0
        while start < messages.count {
            let batch = messages[start..<min(messages.count, start + Self.maxBatch)]
            let slots = batch.flatMap { $0.encode() }
            while true {
                let sent = slots.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if sent == slots.count * 8 { break }
                if sent < 0 && errno == EINTR { continue }
                return false
            }
            start += batch.count
        }
        return true
    }

    @discardableResult
    package func send(_ message: WireMessage) -> Bool { send([message]) }

    package enum Received {
        case messages([WireMessage])
        /// Nothing to read right now (non-blocking reads only).
        case empty
        /// The other side closed or died.
        case closed
    }

    /// The recorder's side: a message that is not the protocol counts as the worker's end.
    package func receive(blocking: Bool) -> Received {
        switch receiveRecords(blocking: blocking) {
        case .records(let messages): .messages(messages)
        case .empty: .empty
        case .closed, .invalid: .closed
        }
    }

    package struct Job {
        package var token: Int64
        package var scenario: Scenario
        package var lossSeed: UInt32
        package var capture: Bool
    }

    /// What a worker reads: the recorder's jobs, the end of the channel, or what else came.
    package enum Jobs {
        case jobs([Job])
        case closed
        case invalid(String)
    }

    /// The worker's side: blocks for the next batch of jobs.
    package func receiveJobs() -> Jobs {
        switch receiveRecords(blocking: true) {
        case .records(let messages):
            var jobs: [Job] = []
            for message in messages {
                guard case .job(let token, let scenario, let lossSeed, let capture) = message else { return .invalid("a record that is not a job") }
                jobs.append(Job(token: token, scenario: scenario, lossSeed: lossSeed, capture: capture))
            }
            return .jobs(jobs)
        case .empty, .closed: return .closed
        case .invalid(let what): return .invalid(what)
        }
    }

    private enum Records {
        case records([WireMessage])
        case empty
        case closed
        case invalid(String)
    }

    private func receiveRecords(blocking: Bool) -> Records {
        var slots = [Int64](repeating: 0, count: WireMessage.slots * Self.maxBatch)
        while true {
            // MSG_TRUNC: the message's real length, so one longer than a batch is not cut silently.
            let count = slots.withUnsafeMutableBytes {
                recv(fd, $0.baseAddress, $0.count, (blocking ? 0 : Int32(MSG_DONTWAIT)) | Int32(MSG_TRUNC))
            }
            if count < 0 && errno == EINTR { continue }
            if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return .empty }
            if count <= 0 { return .closed }
            guard count % WireMessage.byteCount == 0, count <= slots.count * 8 else {
                return .invalid("a message of \(count) bytes (not 1 to \(Self.maxBatch) records of \(WireMessage.byteCount) bytes)")
            }
            return slots.withUnsafeBufferPointer { buffer in
                var messages: [WireMessage] = []
                for offset in stride(from: 0, to: count / 8, by: WireMessage.slots) {
                    let record = UnsafeBufferPointer(rebasing: buffer[offset..<offset + WireMessage.slots])
                    guard let message = WireMessage.decode(record) else {
                        return .invalid("a record that is not of the protocol, or out of range (kind \(record[0]))")
                    }
                    messages.append(message)
                }
                return .records(messages)
            }
        }
    }

    /// Whether a message has come and waits to be read (a closed channel has none).
    package var hasMessageWaiting: Bool {
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, Int32(MSG_PEEK) | Int32(MSG_DONTWAIT)) > 0
    }

    package func close() { _ = Glibc.close(fd) }
}
