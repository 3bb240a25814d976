/// One TCP packet of a run, as a capture on the client's machine sees it (DESIGN.md, "What is
/// recorded"): the client's packets when they leave, the peer's when they arrive.
public struct Packet: Sendable, Equatable {
    public enum Direction: String, Sendable {
        case clientToPeer = "client->peer"
        case peerToClient = "peer->client"
    }

    /// On the steps' clock: nanoseconds from the run's monotonic start.
    public var tNs: Int64
    public var direction: Direction
    /// TCP flags in tcpdump's notation (`S`, `S.`, `.`, `P.`, `F.`, `R`, `R.`).
    public var flags: String
    /// Sequence number relative to the sender's initial one (its SYN's is 0).
    public var seq: Int64
    /// Acknowledgment relative to the other side's initial sequence number; nil without ACK.
    public var ack: Int64?
    /// TCP payload bytes.
    public var length: Int64
    /// The 1-based `steps.seq` of the step in progress (the last one started before the packet).
    public var stepSeq: Int?
    /// The packet as captured: its IP and TCP headers, cut at `Capture.headerBytes`.
    public var headers: [UInt8]
    /// The whole packet's length on the wire (IP header included).
    public var wireLength: Int
    /// The emulated link dropped it (a lost peer's packet is timed when it left).
    public var lost = false

    public init(tNs: Int64, direction: Direction, flags: String, seq: Int64, ack: Int64?, length: Int64,
                stepSeq: Int?, headers: [UInt8], wireLength: Int, lost: Bool = false) {
        (self.tNs, self.direction, self.flags, self.seq, self.ack) = (tNs, direction, flags, seq, ack)
        (self.length, self.stepSeq, self.headers, self.wireLength, self.lost) = (length, stepSeq, headers, wireLength, lost)
    }
}

/// The fields of an IPv4 or IPv6 packet carrying TCP, read from its first bytes; nil for anything
/// else (another protocol, IPv6 extension headers, headers cut too short).
package struct TCPHeaderFields: Equatable {
    package var sourcePort: UInt16
    package var destinationPort: UInt16
    package var seq: UInt32
    package var ack: UInt32
    package var flagBits: UInt8
    package var payloadLength: Int

    package static let fin: UInt8 = 0x01, syn: UInt8 = 0x02, rst: UInt8 = 0x04, psh: UInt8 = 0x08
    package static let ackBit: UInt8 = 0x10, urg: UInt8 = 0x20, ece: UInt8 = 0x40, cwr: UInt8 = 0x80

    package init?(_ b: [UInt8]) {
        guard let version = b.first.map({ $0 >> 4 }) else { return nil }
        let ipHeader: Int, ipTotal: Int
        switch version {
        case 4:
            guard b.count >= 20, b[9] == 6 else { return nil }
            ipHeader = Int(b[0] & 0x0f) * 4
            ipTotal = Int(b[2]) << 8 | Int(b[3])
        case 6:
            guard b.count >= 40, b[6] == 6 else { return nil }
            ipHeader = 40
            ipTotal = 40 + (Int(b[4]) << 8 | Int(b[5]))
        default:
            return nil
        }
        guard b.count >= ipHeader + 20 else { return nil }
        func word(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 << 8 | UInt32(b[ipHeader + at + $1]) } }
        sourcePort = UInt16(b[ipHeader]) << 8 | UInt16(b[ipHeader + 1])
        destinationPort = UInt16(b[ipHeader + 2]) << 8 | UInt16(b[ipHeader + 3])
        seq = word(4)
        ack = word(8)
        flagBits = b[ipHeader + 13]
        payloadLength = max(0, ipTotal - ipHeader - Int(b[ipHeader + 12] >> 4) * 4)
    }

    package func has(_ bit: UInt8) -> Bool { flagBits & bit != 0 }

    /// tcpdump's notation: the letters in its order (F S R P U E W), then `.` for ACK.
    package var flagsText: String {
        let letters: [(UInt8, Character)] = [(Self.fin, "F"), (Self.syn, "S"), (Self.rst, "R"), (Self.psh, "P"),
                                             (Self.urg, "U"), (Self.ece, "E"), (Self.cwr, "W"), (Self.ackBit, ".")]
        return String(letters.filter { has($0.0) }.map(\.1))
    }
}
