import Foundation

/// The lines of `strace -f -ttt -T -o FILE` that a real client's run needs, parsed: completed calls
/// (an `<unfinished ...>` call joined with its `<... resumed>` end), signals and deaths. Each line
/// starts with the thread's pid and the wall-clock time in microseconds; a line in any other shape
/// is skipped, since strace's output is not an interface it promises to keep.
package enum StraceEvent: Equatable {
    case call(StraceCall)
    /// `--- SIGPIPE {…} ---`: the signal was delivered to (dequeued by) that thread.
    case signal(pid: Int32, timeNs: Int64, name: String)
    /// `+++ killed by SIGPIPE +++`.
    case killed(pid: Int32, timeNs: Int64, signal: String)
}

package struct StraceCall: Equatable {
    package var pid: Int32
    /// Wall-clock nanoseconds (CLOCK_REALTIME, microsecond resolution) when the call began.
    package var timeNs: Int64
    package var name: String
    /// The arguments as strace printed them, split at the top level.
    package var arguments: [String]
    /// nil when strace printed `?` (the call did not return).
    package var result: Int64?
    /// errno's name when the call returned -1, e.g. `EPIPE`.
    package var errnoName: String?
    package var durationNs: Int64?
}

package enum StraceTrace {
    package static func parse(_ text: String) -> [StraceEvent] {
        var unfinished: [Int32: (timeNs: Int64, name: String, head: Substring)] = [:]
        var events: [StraceEvent] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
            guard fields.count == 3, let pid = Int32(fields[0]), let timeNs = wallClockNs(fields[1]) else { continue }
            let rest = fields[2]
            if rest.hasPrefix("--- ") {
                let name = rest.dropFirst(4).prefix { $0 != " " }
                events.append(.signal(pid: pid, timeNs: timeNs, name: String(name)))
            } else if rest.hasPrefix("+++ killed by ") {
                let name = rest.dropFirst(14).prefix { $0 != " " }
                events.append(.killed(pid: pid, timeNs: timeNs, signal: String(name)))
            } else if rest.hasPrefix("<... ") {
                guard let begun = unfinished.removeValue(forKey: pid), let close = rest.range(of: " resumed>") else { continue }
                if let call = completed(pid: pid, timeNs: begun.timeNs, name: begun.name,
                                        text: begun.head + rest[close.upperBound...]) {
                    events.append(.call(call))
                }
            } else if let open = rest.firstIndex(of: "(") {
                let name = String(rest[..<open])
                let body = rest[rest.index(after: open)...]
                if body.hasSuffix(" <unfinished ...>") {
                    unfinished[pid] = (timeNs, name, body.dropLast(17))
                } else if let call = completed(pid: pid, timeNs: timeNs, name: name, text: body) {
                    events.append(.call(call))
                }
            }
        }
        return events
    }

    /// `ARGS) = RESULT [ERRNO (text)] [<DURATION>]`, the call's name and opening parenthesis removed.
    private static func completed(pid: Int32, timeNs: Int64, name: String, text: Substring) -> StraceCall? {
        var text = text
        var durationNs: Int64?
        if text.hasSuffix(">"), let open = text.lastIndex(of: "<") {
            durationNs = wallClockNs(text[text.index(after: open)..<text.index(before: text.endIndex)])
            text = text[..<open]
            while text.hasSuffix(" ") { text = text.dropLast() }
        }
        guard let equals = text.range(of: ") = ", options: .backwards) else { return nil }
        let outcome = text[equals.upperBound...].split(separator: " ")
        guard let first = outcome.first else { return nil }
        let result = Int64(first)
        let errnoName = result == -1 && outcome.count > 1 ? String(outcome[1]) : nil
        return StraceCall(pid: pid, timeNs: timeNs, name: name, arguments: topLevelArguments(text[..<equals.lowerBound]),
                          result: result, errnoName: errnoName, durationNs: durationNs)
    }

    /// `3, {sa_family=AF_INET, …}, 16` → three arguments: commas inside braces, brackets,
    /// parentheses and quoted strings do not split.
    package static func topLevelArguments(_ text: Substring) -> [String] {
        var arguments: [String] = []
        var depth = 0
        var quoted = false
        var escaped = false
        var current = ""
        for character in text {
            if quoted {
                if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == "\"" { quoted = false }
                current.append(character)
                continue
            }
            switch character {
            case "\"": quoted = true
            case "{", "[", "(": depth += 1
            case "}", "]", ")": depth -= 1
            case "," where depth == 0:
                arguments.append(current.trimmingLeadingSpaces)
                current = ""
                continue
            default: break
            }
            current.append(character)
        }
        if !current.isEmpty { arguments.append(current.trimmingLeadingSpaces) }
        return arguments
    }

    /// `1796319593.619071` (seconds, a fraction of up to nine digits) → nanoseconds.
    package static func wallClockNs(_ text: Substring) -> Int64? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[1].count <= 9, let seconds = Int64(parts[0]), let fraction = Int64(parts[1]),
              seconds >= 0, seconds < Int64.max / 1_000_000_000 else { return nil }
        var scale: Int64 = 1
        for _ in parts[1].count..<9 { scale *= 10 }
        return seconds * 1_000_000_000 + fraction * scale
    }
}

extension String {
    fileprivate var trimmingLeadingSpaces: String { String(drop { $0 == " " }) }
}
