import CPipeLabSupport
import Glibc
import PipeLabExperiment
import PipeLabKernel

/// A packet as the worker captured it, before the recorder reads its fields.
package struct CapturedPacket: Equatable {
    /// On the run's clock.
    package var tNs: Int64
    package var direction: Packet.Direction
    package var wireLength: Int
    /// The first `Capture.headerBytes` bytes of the IP packet.
    package var headers: [UInt8]
    /// The emulated link dropped it: a client's packet that left and never arrived, or a peer's
    /// that never arrived (its time is then when it left).
    package var lost = false

    package init(tNs: Int64, direction: Packet.Direction, wireLength: Int, headers: [UInt8], lost: Bool = false) {
        self.lost = lost
        self.tNs = tNs
        self.direction = direction
        self.wireLength = wireLength
        self.headers = headers
    }
}

/// A worker's packet capture, opened at its first captured run and kept (its ring costs 16 MB of
/// kernel memory to set up): emptied when a run begins and read once the run is over, so nothing
/// runs beside the experiment while it happens. Only the run's connection is kept, each packet
/// once, as the client's machine sees it: the client's packets as they leave (PACKET_OUTGOING)
/// and the peer's as they arrive (loopback shows every packet both ways).
package final class Capture {
    /// Bytes kept of each packet: the IPv4 and TCP headers with their options (a SYN's 60), and
    /// IPv6's fixed header with TCP's first 24. The payload is the client's zeros.
    package static let headerBytes = 64

    private let ring: OpaquePointer
    /// CLOCK_REALTIME minus CLOCK_MONOTONIC, for the stamps the kernel gives in wall time.
    private var realtimeOffsetNs: Int64 = 0
    private var runStartNs: Int64 = 0

    package init() throws(SystemError) {
        var error: Int32 = 0
        guard let opened = pipelab_capture_open(&error) else {
            throw SystemError("opening a packet socket for the capture", errno: error)
        }
        ring = opened
    }

    deinit { pipelab_capture_close(ring) }

    /// A run starts: what came before it is dropped, and its clock is taken.
    package func begin(runStartNs: Int64) {
        var buffer = [UInt8](repeating: 0, count: Self.headerBytes)
        var length: UInt = 0, stamp: Int64 = 0, outgoing: Int32 = 0
        while (buffer.withUnsafeMutableBufferPointer {
            pipelab_capture_next(ring, $0.baseAddress, UInt(Self.headerBytes), &length, &stamp, &outgoing)
        }) > 0 {}
        realtimeOffsetNs = WallClock.nowNs() - MonotonicClock.nowNs()
        self.runStartNs = runStartNs
    }

    /// Everything queued that belongs to the connection between `clientPort` and `peerPort`, with
    /// the packets the link dropped (`lost`, monotonic times, as the link read them) marked or added.
    package func drain(clientPort: UInt16, peerPort: UInt16, lost: [(tNs: Int64, bytes: [UInt8])] = []) -> [CapturedPacket] {
        var packets = drainRing(clientPort: clientPort, peerPort: peerPort)
        for drop in lost {
            guard let tcp = TCPHeaderFields(drop.bytes) else { continue }
            if tcp.sourcePort == clientPort, let seen = packets.firstIndex(where: { $0.headers == drop.bytes && !$0.lost }) {
                packets[seen].lost = true
            } else if tcp.sourcePort == peerPort && tcp.destinationPort == clientPort {
                packets.append(CapturedPacket(tNs: drop.tNs - runStartNs, direction: .peerToClient,
                                              wireLength: drop.bytes.count, headers: drop.bytes, lost: true))
            }
        }
        return packets
    }

    private func drainRing(clientPort: UInt16, peerPort: UInt16) -> [CapturedPacket] {
        var packets: [CapturedPacket] = []
        var buffer = [UInt8](repeating: 0, count: Self.headerBytes)
        while true {
            var length: UInt = 0, stamp: Int64 = 0, outgoing: Int32 = 0
            let copied = buffer.withUnsafeMutableBufferPointer {
                pipelab_capture_next(ring, $0.baseAddress, UInt(Self.headerBytes), &length, &stamp, &outgoing)
            }
            guard copied > 0 else { return packets }
            let headers = Array(buffer[0..<copied])
            guard let tcp = TCPHeaderFields(headers) else { continue }
            let direction: Packet.Direction
            switch (tcp.sourcePort, tcp.destinationPort, outgoing != 0) {
            case (clientPort, peerPort, true): direction = .clientToPeer
            case (peerPort, clientPort, false): direction = .peerToClient
            default: continue
            }
            packets.append(CapturedPacket(tNs: stamp - realtimeOffsetNs - runStartNs, direction: direction,
                                          wireLength: Int(length), headers: headers))
        }
    }
}
