import PipeLabExperiment
import PipeLabKernel

/// A run's packets as a pcapng file (the format tcpdump and Wireshark read): one section, one
/// interface of raw IP packets (LINKTYPE_RAW, no link header) with nanosecond timestamps
/// (if_tsresol = 9), one Enhanced Packet Block per packet holding its captured headers.
/// Timestamps are the run's wall-clock start plus each packet's `t_ns`. Little-endian throughout.
public enum Pcapng {
    package static let linktypeRaw: UInt16 = 101

    public static func file(_ run: RunResult) -> [UInt8] {
        var bytes = sectionHeader() + interfaceDescription()
        let startNs = UInt64(max(0, run.startedAt * 1e6).rounded()) &* 1000
        // What a capture on the client's machine saw: a peer's packet the link lost never came.
        for packet in run.packets where !(packet.lost && packet.direction == .peerToClient) {
            bytes += enhancedPacket(packet, timestampNs: startNs &+ UInt64(max(0, packet.tNs)))
        }
        return bytes
    }

    private static func sectionHeader() -> [UInt8] {
        // Byte-order magic, version 1.0, section length unknown (-1).
        block(type: 0x0A0D_0D0A, body: le32(0x1A2B_3C4D) + le16(1) + le16(0) + le64(UInt64.max))
    }

    private static func interfaceDescription() -> [UInt8] {
        // if_tsresol (option 9), one byte: 10^-9 s; then opt_endofopt.
        let options = le16(9) + le16(1) + [9, 0, 0, 0] + le16(0) + le16(0)
        return block(type: 1, body: le16(linktypeRaw) + le16(0) + le32(UInt32(Capture.headerBytes)) + options)
    }

    private static func enhancedPacket(_ packet: Packet, timestampNs: UInt64) -> [UInt8] {
        let data = packet.headers + [UInt8](repeating: 0, count: (4 - packet.headers.count % 4) % 4)
        let body = le32(0) + le32(UInt32(timestampNs >> 32)) + le32(UInt32(timestampNs & 0xffff_ffff))
            + le32(UInt32(packet.headers.count)) + le32(UInt32(clamping: packet.wireLength)) + data
        return block(type: 6, body: body)
    }

    /// Type, total length, body, total length again.
    private static func block(type: UInt32, body: [UInt8]) -> [UInt8] {
        let total = le32(UInt32(12 + body.count))
        return le32(type) + total + body + total
    }

    private static func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xff), UInt8(value >> 8)] }
    private static func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(value >> ($0 * 8) & 0xff) } }
    private static func le64(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8(value >> ($0 * 8) & 0xff) } }
}
