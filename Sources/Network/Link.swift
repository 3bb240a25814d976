import CPipeLabSupport
import Glibc
import PipeLabExperiment
import PipeLabKernel

/// The emulated link of a worker (DESIGN.md, "Network: isolation and emulated links"): a TUN
/// device `pl0` in the worker's namespace with 10.77.0.1/24. The client connects to 10.77.0.2,
/// which is routed into the TUN; a thread of the worker reads each packet from it, drops it with
/// the run's loss probability (see `LossDraw`), holds it for half the round trip, swaps its
/// source and destination addresses and writes it back. So the client's
/// packet (10.77.0.1 → 10.77.0.2) comes in as 10.77.0.2 → 10.77.0.1 to the peer listening on
/// 10.77.0.1, and the peer's answer goes back the same way. Swapping two addresses leaves the IP
/// and TCP checksums as they were (both sum the same words), so both ends stay the kernel's own
/// TCP, unchanged: the link only delays, drops and forwards.
package final class Link: @unchecked Sendable {
    package static let deviceName = "pl0"
    package static let localAddress: [UInt8] = [10, 77, 0, 1]
    package static let remoteAddress: [UInt8] = [10, 77, 0, 2]

    private let tun: Int32
    private var mutex = pthread_mutex_t()
    private var thread = pthread_t()
    private var oneWayNs: Int64 = 0
    private var losses = LossDraw(seed: 0, basisPoints: 0)
    /// The packets the link dropped during the run, as it read them, with their time.
    private var dropped: [(tNs: Int64, bytes: [UInt8])] = []
    /// Packets in flight, in the order they are due (the delay is the same for all).
    private var queue: [(due: Int64, bytes: [UInt8])] = []
    private var head = 0
    /// The link thread's own share of the sweep's real-time tokens (RealTimeWaits).
    private let tokens: RealTimeTokenSource?

    package init(tokens: RealTimeTokenSource?) throws(SystemError) {
        var fd: Int32 = -1
        let failure = pipelab_link_open(Self.deviceName, "10.77.0.1", &fd)
        guard failure == 0 else { throw SystemError("creating the link's TUN device \(Self.deviceName)", errno: failure) }
        tun = fd
        self.tokens = tokens
        pthread_mutex_init(&mutex, nil)
        let context = Unmanaged.passRetained(self).toOpaque()
        let status = pthread_create(&thread, nil, { context in
            Unmanaged<Link>.fromOpaque(context!).takeRetainedValue().forward()
            return nil
        }, context)
        guard status == 0 else {
            Unmanaged<Link>.fromOpaque(context).release()
            close(fd)
            throw SystemError("starting the link's thread", errno: status)
        }
    }

    /// A run begins: its delay and loss, and the losses drawn afresh from its seed.
    package func configure(rttNs: Int64, lossBasisPoints: Int, seed: UInt32) {
        pthread_mutex_lock(&mutex)
        oneWayNs = rttNs / 2
        losses = LossDraw(seed: seed, basisPoints: lossBasisPoints)
        dropped.removeAll()
        queue.removeAll(keepingCapacity: true)
        head = 0
        pthread_mutex_unlock(&mutex)
    }

    /// The packets dropped since the run began (monotonic times), and forgets them.
    package func takeDropped() -> [(tNs: Int64, bytes: [UInt8])] {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        let taken = dropped
        dropped.removeAll()
        return taken
    }

    /// The link thread: it lives as long as the worker. 1 ns timer slack, and it waits in the
    /// real-time class where allowed, so a packet leaves when it is due even on a busy machine;
    /// awake, it stays in the class only with a token and within the busy budget (RealTimeWaits).
    private func forward() {
        _ = pipelab_set_timer_slack(1)
        var realTime = RealTimeWaits(tokens: tokens, priority: RealTimePriority.pausing)
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            pthread_mutex_lock(&mutex)
            let nextDue = head < queue.count ? queue[head].due : nil
            pthread_mutex_unlock(&mutex)
            realTime.beforeWait()
            _ = pipelab_wait_readable(tun, nextDue.map { max(0, $0 - MonotonicClock.nowNs()) } ?? 1_000_000_000)
            realTime.afterWait()
            pthread_mutex_lock(&mutex)
            while true {
                realTime.checkBudget()
                let count = buffer.withUnsafeMutableBytes { read(tun, $0.baseAddress, $0.count) }
                guard count > 0 else { break }
                let packet = Array(buffer[0..<count])
                if losses.drops(packet) {
                    dropped.append((MonotonicClock.nowNs(), Array(packet.prefix(Capture.headerBytes))))
                    continue
                }
                queue.append((MonotonicClock.nowNs() + oneWayNs, packet))
            }
            let now = MonotonicClock.nowNs()
            while head < queue.count && queue[head].due <= now {
                var packet = queue[head].bytes
                head += 1
                guard packet.count >= 20, packet[0] >> 4 == 4 else { continue }
                for index in 12..<16 { packet.swapAt(index, index + 4) }
                _ = packet.withUnsafeBytes { write(tun, $0.baseAddress, $0.count) }
                realTime.checkBudget()
            }
            if head == queue.count {
                queue.removeAll(keepingCapacity: true)
                head = 0
            }
            pthread_mutex_unlock(&mutex)
        }
    }
}
