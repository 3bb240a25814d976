import Glibc
import PipeLabExperiment
import PipeLabKernel

/// Where a worker writes its steps as they happen: a memory region shared with the recorder.
/// Writing a step costs no system call, and whatever the worker wrote before it died or hung is
/// still there for the recorder to read. The client and the peer each append to their own
/// area; a record is written before the count that covers it, so a killed worker never leaves a
/// half-written record counted. The recorder reads the log only once the run has ended (the
/// worker's `runDone` message, its death, or the timeout).
package final class StepLog: @unchecked Sendable {
    package enum Area: Int { case client = 0, peer = 1 }

    /// Records per area: a client's two records per send (announce, result) for up to 10,000 sends.
    package static let capacity = [20_064, 64]
    package static let headerSlots = 8
    package static let byteCount = (headerSlots + (capacity[0] + capacity[1]) * WireMessage.slots) * 8
    /// The fd on which a spawned worker finds the log.
    package static let workerFD: Int32 = 4

    private let base: UnsafeMutablePointer<Int64>

    /// The recorder's side: a new, unlinked file in /dev/shm (or /tmp), mapped; returns the fd to
    /// hand to the worker.
    package static func create() throws(SystemError) -> (StepLog, fd: Int32) {
        var fd: Int32 = -1
        for directory in ["/dev/shm", "/tmp"] {
            var template = Array("\(directory)/pipelab-steps-XXXXXX".utf8CString)
            fd = mkstemp(&template)
            if fd >= 0 {
                unlink(template)
                // Close-on-exec: only the worker it is handed to (by dup2) may keep it.
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                break
            }
        }
        guard fd >= 0 else { throw SystemError("creating a step log in /dev/shm or /tmp", errno: errno) }
        guard ftruncate(fd, off_t(byteCount)) == 0 else {
            let error = SystemError("sizing a step log", errno: errno)
            close(fd)
            throw error
        }
        do {
            return (try StepLog(fd: fd), fd)
        } catch {
            close(fd)
            throw error
        }
    }

    /// Maps the log behind `fd` (the worker's side, or the recorder's after `create`).
    package init(fd: Int32) throws(SystemError) {
        guard let pointer = mmap(nil, Self.byteCount, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0),
              pointer != MAP_FAILED else {
            throw SystemError("mapping the step log", errno: errno)
        }
        base = pointer.assumingMemoryBound(to: Int64.self)
    }

    deinit { munmap(base, Self.byteCount) }

    /// Starts a run: both areas empty.
    package func reset() {
        base[0] = 0
        base[1] = 0
    }

    package func append(_ message: WireMessage, to area: Area) {
        let count = Int(base[area.rawValue])
        guard count < Self.capacity[area.rawValue] else { return }
        message.encode(into: base + offset(area, count))
        base[area.rawValue] = Int64(count + 1)
    }

    /// Everything written in both areas, client first.
    package func read() -> [WireMessage] {
        var messages: [WireMessage] = []
        for area in [Area.client, .peer] {
            let count = min(Int(base[area.rawValue]), Self.capacity[area.rawValue])
            for index in 0..<max(0, count) {
                let record = UnsafeBufferPointer(start: base + offset(area, index), count: WireMessage.slots)
                if let message = WireMessage.decode(record) { messages.append(message) }
            }
        }
        return messages
    }

    private func offset(_ area: Area, _ index: Int) -> Int {
        Self.headerSlots + (area == .client ? 0 : Self.capacity[0] * WireMessage.slots) + index * WireMessage.slots
    }
}
