/// Shares for people: counts (`2 of 3`) always, a percentage only where there are enough runs
/// for it to mean something, and never a rounded 0 % or 100 % that is not exact.
package enum Share {
    /// Below this many trials a share is given as counts only.
    package static let percentFrom = 20

    /// `2 of 3`; `52 of 90 (58 %)`.
    package static func text(_ part: Int, of whole: Int) -> String {
        guard whole >= percentFrom else { return "\(part) of \(whole)" }
        return "\(part) of \(whole) (\(percent(part, of: whole)))"
    }

    /// `58 %`; `<1 %` and `>99 %` where rounding would claim none or all.
    package static func percent(_ part: Int, of whole: Int) -> String {
        guard whole > 0 else { return "–" }
        let rounded = Int((Double(part) * 100 / Double(whole)).rounded())
        if rounded == 0 && part > 0 { return "<1 %" }
        if rounded == 100 && part < whole { return ">99 %" }
        return "\(rounded) %"
    }
}
