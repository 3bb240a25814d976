import Glibc
import PipeLabExperiment
import PipeLabKernel

/// Where a worker writes its steps as they happen: a memory region shared with the recorder.
/// Writing a step costs no system call, and whatever the worker wrote before it died or hung is
/// still there for the recorder to read. The client and the peer each append to their own
/// area; a record is written before the count that covers it, so a killed worker never leaves a
/// half-written record counted.
///
/// The log has two halves, used by a worker's runs in turn (its first job the first half, its
/// second the second, …), so the recorder may hand a worker its next run before it has read the
/// current one's steps: the next run writes into the other half. The recorder reads a half only
/// once that run has ended (the worker's `runDone` message, its death, or the timeout), and hands
/// the run after next only after that, so no half is written while it is read.
package final class StepLog: @unchecked Sendable {
    package enum Area: Int { case client = 0, peer = 1 }

    /// Records per area: a client's two records per send (announce, result) for up to 10,000 sends.
    package static let capacity = [20_064, 64]
    /// Slot 0 unused; then per half its two counts, the run's token and the CLOCK_MONOTONIC time
    /// it began.
    package static let headerSlots = 16
    private static let halfHeaderSlots = 4
    private static let halfSlots = (capacity[0] + capacity[1]) * WireMessage.slots
    package static let byteCount = (headerSlots + 2 * halfSlots) * 8
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

    /// The half a worker's `job`-th job (0-based) writes into.
    package static func half(ofJob job: Int) -> Int { job & 1 }

    /// Starts run `token` in `half`: both its areas empty, its start stamped. The run's steps are
    /// appended to that half (its StepRecorders carry it), whatever run begins after it: a
    /// worker may set its next run up while the client process still makes this one's calls.
    package func begin(token: Int64, half: Int, startNs: Int64) {
        let header = Self.halfHeader(half)
        base[header] = 0
        base[header + 1] = 0
        base[header + 2] = token
        base[header + 3] = startNs
    }

    package func append(_ message: WireMessage, to area: Area, half: Int) {
        let half = half & 1
        let countSlot = Self.halfHeader(half) + area.rawValue
        let count = Int(base[countSlot])
        guard count >= 0, count < Self.capacity[area.rawValue] else { return }
        message.encode(into: base + Self.offset(half, area, count))
        base[countSlot] = Int64(count + 1)
    }

    /// When run `token` began in `half` (CLOCK_MONOTONIC), or nil when that half holds another run:
    /// the worker had not taken it up.
    package func startNs(of token: Int64, half: Int) -> Int64? {
        let header = Self.halfHeader(half)
        return base[header + 2] == token ? base[header + 3] : nil
    }

    /// Everything written in `half`, client first.
    package func read(half: Int) -> [WireMessage] {
        var messages: [WireMessage] = []
        for area in [Area.client, .peer] {
            let count = min(Int(base[Self.halfHeader(half) + area.rawValue]), Self.capacity[area.rawValue])
            for index in 0..<max(0, count) {
                let record = UnsafeBufferPointer(start: base + Self.offset(half & 1, area, index), count: WireMessage.slots)
                if let message = WireMessage.decode(record) { messages.append(message) }
            }
        }
        return messages
    }

    private static func halfHeader(_ half: Int) -> Int { 1 + (half & 1) * halfHeaderSlots }

    private static func offset(_ half: Int, _ area: Area, _ index: Int) -> Int {
        headerSlots + half * halfSlots + (area == .client ? 0 : capacity[0] * WireMessage.slots) + index * WireMessage.slots
    }
}
