/// Durations and byte sizes as users write them (`250us`, `1s`, `64KiB`) and their canonical text,
/// each range-checked when parsed so that no later arithmetic on a user's value can overflow.

/// The largest values pipelab accepts (README, "Limits"). They keep every sum and product of
/// user values far inside Int64, and each is far beyond what an experiment needs.
public enum Limits {
    /// Any duration (sleep, timeout): one day.
    public static let durationNs: Int64 = 86_400 * 1_000_000_000
    public static let durationText = "1 day (86400s)"
    /// Bytes per send: 1 GiB.
    public static let payloadBytes: Int64 = 1 << 30
    /// Sends per run: the worker's step log holds 10,000.
    public static let sends = 10_000
    /// Runs per cell.
    public static let repeats = 10_000_000
    /// Runs in flight.
    public static let jobs = 512
    /// Runs per sweep (cells × repeats): a sweep this large takes hours at thousands of runs a second.
    public static let runs = 10_000_000
    /// Characters of a sweep name.
    public static let nameCharacters = 200
}

public enum DurationText {
    package static let units: [(suffix: String, nanoseconds: Int64)] = [
        ("s", 1_000_000_000), ("ms", 1_000_000), ("us", 1_000), ("ns", 1),
    ]

    package static let accepted = "accepted: 0 or a number with a unit ns, us, ms, s (e.g. 250us, 10ms, 1s), up to \(Limits.durationText)"
    package static let timeoutAccepted = "accepted: more than 0, a number with a unit ns, us, ms, s (e.g. 500ms, 5s), up to \(Limits.durationText)"

    /// Parses `0`, or a non-negative number (decimals allowed) with a unit ns, us, ms or s, up to a day.
    public static func parse(_ text: String, name: String = "sleep") throws(InputError) -> Int64 {
        try parse(text, name: name, accepted: accepted)
    }

    /// A run's timeout: a duration more than 0.
    public static func parseTimeout(_ text: String, name: String) throws(InputError) -> Int64 {
        let value = try parse(text, name: name, accepted: timeoutAccepted)
        guard value > 0 else { throw InputError("\(name): must be more than 0; \(timeoutAccepted)") }
        return value
    }

    private static func parse(_ text: String, name: String, accepted: String) throws(InputError) -> Int64 {
        let trimmed = text.trimmingSpaces()
        if trimmed == "0" { return 0 }
        if trimmed.hasPrefix("-") { throw InputError("\(name): '\(text)' is negative; \(accepted)") }
        // Longest suffix first, so "ms" is not read as "s".
        for (suffix, scale) in units.sorted(by: { $0.suffix.count > $1.suffix.count })
        where trimmed.hasSuffix(suffix) {
            let number = String(trimmed.dropLast(suffix.count))
            guard let value = ExactDecimal(parsing: number) else { break }
            guard let ns = value.scaled(by: scale), ns.integer <= Limits.durationNs else {
                throw InputError("\(name): '\(text)' is out of range; \(accepted)")
            }
            guard ns.isWhole else {
                throw InputError("\(name): '\(text)' is not a whole number of nanoseconds; \(accepted)")
            }
            return ns.integer
        }
        throw InputError("\(name): '\(text)' is not a duration; \(accepted)")
    }

    /// The shortest exact spelling: 1000000000 → "1s", 250000 → "250us", 0 → "0".
    public static func format(_ nanoseconds: Int64) -> String {
        if nanoseconds == 0 { return "0" }
        for (suffix, scale) in units where nanoseconds % scale == 0 {
            return "\(nanoseconds / scale)\(suffix)"
        }
        return "\(nanoseconds)ns"
    }
}

public enum SizeText {
    package static let units: [(suffix: String, bytes: Int64)] = [
        ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("B", 1),
    ]

    /// Parses a positive byte count, optionally with B, KiB, MiB or GiB.
    public static func parse(_ text: String, name: String = "payload") throws(InputError) -> Int64 {
        let accepted = "accepted: a positive whole number of bytes, optionally with B, KiB, MiB, GiB (e.g. 5, 64KiB, 4MiB), up to 1GiB"
        let trimmed = text.trimmingSpaces()
        var number = trimmed
        var scale: Int64 = 1
        for (suffix, bytes) in units where trimmed.hasSuffix(suffix) {
            number = String(trimmed.dropLast(suffix.count))
            scale = bytes
            break
        }
        if number.hasPrefix("-") { throw InputError("\(name): '\(text)' is negative; \(accepted)") }
        guard !number.isEmpty, number.allSatisfy(\.isASCIIDigit) else {
            throw InputError("\(name): '\(text)' is not a size; \(accepted)")
        }
        // Digits beyond Int64 are out of range too, not "not a size".
        let (bytes, overflow) = (Int64(number) ?? Int64.max).multipliedReportingOverflow(by: scale)
        guard bytes > 0, !overflow, bytes <= Limits.payloadBytes else {
            throw InputError("\(name): '\(text)' is out of range (1 B to 1GiB); \(accepted)")
        }
        return bytes
    }

    /// For people: 5 → "5B", 65536 → "64KiB".
    public static func label(_ bytes: Int64) -> String {
        let text = format(bytes)
        return text.last?.isASCIIDigit == true ? text + "B" : text
    }

    /// 5 → "5", 65536 → "64KiB", 4194304 → "4MiB".
    public static func format(_ bytes: Int64) -> String {
        for (suffix, scale) in units where scale > 1 && bytes % scale == 0 {
            return "\(bytes / scale)\(suffix)"
        }
        return "\(bytes)"
    }
}

public enum CountText {
    /// Parses a whole number from `minimum` to `maximum`.
    public static func parse(_ text: String, name: String, minimum: Int = 1, maximum: Int) throws(InputError) -> Int {
        let accepted = "accepted: a whole number from \(minimum) to \(maximum)"
        let trimmed = text.trimmingSpaces()
        if trimmed.hasPrefix("-") && trimmed.dropFirst().allSatisfy(\.isASCIIDigit) && trimmed.count > 1 {
            throw InputError("\(name): '\(text)' is negative; \(accepted)")
        }
        guard !trimmed.isEmpty, trimmed.allSatisfy(\.isASCIIDigit) else {
            throw InputError("\(name): '\(text)' is not a whole number; \(accepted)")
        }
        guard let value = Int(trimmed), value >= minimum, value <= maximum else {
            throw InputError("\(name): '\(text)' is out of range; \(accepted)")
        }
        return value
    }
}

/// A small exact decimal: the digits of "1.25" as 125 with 2 fraction digits, enough to turn
/// user-written durations into whole nanoseconds without floating-point rounding.
package struct ExactDecimal {
    package var digits: Int64
    package var fractionDigits: Int

    package init?(parsing text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), !parts[0].isEmpty,
              parts.allSatisfy({ $0.allSatisfy(\.isASCIIDigit) }),
              parts.count == 1 || !parts[1].isEmpty,
              text.count <= 18
        else { return nil }
        guard let value = Int64(parts.joined()) else { return nil }
        digits = value
        fractionDigits = parts.count == 2 ? parts[1].count : 0
    }

    /// The value times `scale`, if it fits.
    package func scaled(by scale: Int64) -> (integer: Int64, isWhole: Bool)? {
        var divisor: Int64 = 1
        for _ in 0..<fractionDigits { divisor *= 10 }
        let (product, overflow) = digits.multipliedReportingOverflow(by: scale)
        guard !overflow else { return nil }
        return (product / divisor, product % divisor == 0)
    }
}

extension Character {
    package var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

extension String {
    package func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
