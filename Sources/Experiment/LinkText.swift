/// The network dimensions as users write them: loss in percent (`0`, `1%`, `0.5%`), kept as whole
/// basis points (hundredths of a percent) so that a cell's identity is exact; rtt as a duration
/// up to `maximumRttNs`.
public enum LossText {
    package static let accepted = "accepted: a percent from 0 to 100 in steps of 0.01, with or without % (e.g. 0, 1%, 0.5%)"

    public static func parse(_ text: String, name: String = "loss") throws(InputError) -> Int {
        let trimmed = text.trimmingSpaces()
        let number = trimmed.hasSuffix("%") ? String(trimmed.dropLast()).trimmingSpaces() : trimmed
        if number.hasPrefix("-") { throw InputError("\(name): '\(text)' is negative; \(accepted)") }
        guard let value = ExactDecimal(parsing: number), let points = value.scaled(by: 100) else {
            throw InputError("\(name): '\(text)' is not a percent; \(accepted)")
        }
        guard points.isWhole else { throw InputError("\(name): '\(text)' is finer than 0.01 %; \(accepted)") }
        guard points.integer <= 10_000 else { throw InputError("\(name): '\(text)' is more than 100 %; \(accepted)") }
        return Int(points.integer)
    }

    /// 0 → "0", 100 → "1%", 50 → "0.5%".
    public static func format(_ basisPoints: Int) -> String {
        guard basisPoints != 0 else { return "0" }
        let whole = basisPoints / 100, fraction = basisPoints % 100
        if fraction == 0 { return "\(whole)%" }
        return fraction % 10 == 0 ? "\(whole).\(fraction / 10)%" : "\(whole).\(fraction < 10 ? "0" : "")\(fraction)%"
    }
}

public enum RttText {
    /// The longest round trip the emulated link holds packets for: 10 s.
    public static let maximumNs: Int64 = 10_000_000_000

    public static func parse(_ text: String, name: String = "rtt") throws(InputError) -> Int64 {
        let value = try DurationText.parse(text, name: name)
        guard value <= maximumNs else {
            throw InputError("\(name): '\(text)' is longer than the link holds packets; accepted: 0 (plain loopback) or a duration up to 10s (e.g. 1ms, 20ms, 100ms)")
        }
        return value
    }
}

/// `run --seed N`: the seed the link draws its losses from, as recorded in `runs.loss_seed`.
public enum LossSeedText {
    public static func parse(_ text: String, name: String = "--seed") throws(InputError) -> UInt32 {
        guard let seed = UInt32(text.trimmingSpaces()) else {
            throw InputError("\(name): '\(text)' is not a seed; accepted: a whole number from 0 to 4294967295 (a run's loss_seed)")
        }
        return seed
    }
}
