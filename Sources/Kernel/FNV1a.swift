/// The 64-bit FNV-1a hash, in hex: the same on every machine and run, unlike Swift's seeded
/// Hasher, so it can name what is stored or cached. Not for anything an adversary chooses.
package enum FNV1a {
    package static func hex(_ bytes: some Sequence<UInt8>) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return String(hash, radix: 16)
    }
}
