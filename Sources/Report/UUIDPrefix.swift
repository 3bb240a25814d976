import PipeLabStore
import PipeLabExperiment

/// Short forms of UUIDs for lists: UUIDv7s begin with their creation time, so sweeps started
/// within a minute of each other share their first 8 characters, and a fixed-width prefix
/// would not tell them apart.
public enum UUIDPrefix {
    /// For each UUID, its shortest prefix of at least `minimum` characters that begins no other
    /// one in the list, at most the whole UUID. (UUIDs that agree up to a `-` agree on it too, so a
    /// prefix of 8 or more never ends on one.)
    public static func shortestUnique(_ uuids: [String], minimum: Int = 8) -> [String] {
        let sorted = Array(Set(uuids)).sorted()
        var needed: [String: Int] = [:]
        for (index, uuid) in sorted.enumerated() {
            let neighbours = [index > 0 ? sorted[index - 1] : nil, index + 1 < sorted.count ? sorted[index + 1] : nil]
            let shared = neighbours.compactMap { $0 }.map { commonPrefixLength(uuid, $0) }.max() ?? 0
            needed[uuid] = min(uuid.count, max(minimum, shared + 1))
        }
        return uuids.map { String($0.prefix(needed[$0] ?? $0.count)) }
    }

    package static func commonPrefixLength(_ a: String, _ b: String) -> Int {
        zip(a, b).prefix { $0 == $1 }.count
    }
}
