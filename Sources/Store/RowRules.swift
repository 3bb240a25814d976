import PipeLabExperiment

/// The documented rules a row of an input database must keep before merge copies it: values of
/// the column's type, numbers in the ranges pipelab itself accepts (Limits), bounded text, every
/// reference to a row of the same file, and no more runs than a sweep planned. A row that keeps
/// them cannot crash or exhaust `report` (no 2^63 − 1 shards to enumerate, no 50 MB names).
enum RowRules {
    struct Column: Sendable {
        var name: String
        var type: String
        var notNull: Bool
    }

    struct Rule {
        /// SQL over the row `t` that is true when the rule holds.
        var holds: String
        var description: String
    }

    /// Integers outside ±2^53 have no use in pipelab and would overflow its arithmetic (sums,
    /// differences, abs) or a Double's exact range.
    static let integerBound: Int64 = 1 << 53
    static let textBytes = 4_096
    /// A UUID is 36 characters; a little room for the identities older pipelabs or users made.
    static let uuidCharacters = 64
    /// A step or a signature token per send, and a few for the setup and the peer.
    static let stepsPerSend = 2, stepsBeyondSends = 64

    /// What names a row in a message.
    static func key(of table: String) -> String {
        switch table {
        case "skipped": "COALESCE(t.sweep_id || '/' || t.transport || '/' || t.peer, '?')"
        case "steps": "COALESCE(t.run_id || '/' || t.seq, '?')"
        case "packets": "COALESCE(t.run_id || '/' || t.number, '?')"
        default: "COALESCE(t.id, '?')"
        }
    }

    /// Ranges narrower than the type's, by table and column: the limits pipelab's own input has.
    static let ranges: [String: [String: ClosedRange<Int64>]] = [
        "hosts": ["cpus": 1...65_536],
        "sweeps": ["planned_runs": 0...Int64(Limits.runs), "skipped_cells": 0...Int64(Limits.runs),
                   "shard_count": 1...Int64(Shard.maximumCount), "shard_index": 0...Int64(Shard.maximumCount - 1),
                   "shard_dealing": 2...2],
        "skipped": ["cells": 0...Int64(Limits.runs)],
        // The cell's columns: the dimension table's ranges.
        "runs": Dimensions.integerColumnRanges.merging([
                 "repeat_index": 0...Int64(Limits.repeats - 1), "first_failing_send": 1...Int64(Limits.sends),
                 "fatal_send": 1...Int64(Limits.sends), "first_errno": 0...4_095, "loss_seed": 0...Int64(UInt32.max),
                 "peer_late": 0...1, "peer_left_unread": 0...1, "peer_read_bytes": 0...Limits.payloadBytes, "client_exit": 0...255]) { $1 },
        "steps": ["seq": 1...Int64(stepsPerSend * Limits.sends + stepsBeyondSends), "send_number": 1...Int64(Limits.sends),
                  "bytes": 0...Limits.payloadBytes, "errno": 0...4_095, "sigpipe": 0...1],
        "packets": ["number": 1...integerBound, "length": 0...65_535, "lost": 0...1],
    ]

    /// Texts longer than `textBytes` that pipelab writes.
    static let textLimits: [String: [String: Int]] = [
        "hosts": ["uuid": uuidCharacters, "sysctls": 65_536],
        "sweeps": ["uuid": uuidCharacters, "name": Limits.nameCharacters, "group_uuid": uuidCharacters,
                   "spec": 1 << 20, "command_line": 1 << 16],
        "runs": ["uuid": uuidCharacters, "signature": 16 * Limits.sends + 64],
    ]

    /// Each row's references, and what its parent allows.
    static let relations: [String: [Rule]] = [
        "sweeps": [
            Rule(holds: "EXISTS (SELECT 1 FROM {input}.hosts h WHERE h.id = t.host_id)", description: "its host_id is a host of the same file"),
            Rule(holds: "t.shard_index IS NULL OR t.shard_index < t.shard_count", description: "shard_index is below shard_count"),
            Rule(holds: "(t.group_uuid IS NULL) = (t.shard_count IS NULL) AND (t.shard_count IS NULL) = (t.shard_index IS NULL)",
                 description: "group_uuid, shard_index and shard_count are all set or all NULL"),
            Rule(holds: "t.shard_dealing IS NULL OR t.group_uuid IS NOT NULL", description: "shard_dealing is set only for a shard"),
            Rule(holds: "(SELECT COUNT(*) FROM {input}.runs r WHERE r.sweep_id = t.id) <= t.planned_runs",
                 description: "no more runs than the sweep planned (planned_runs)"),
        ],
        "skipped": [Rule(holds: "EXISTS (SELECT 1 FROM {input}.sweeps s WHERE s.id = t.sweep_id)", description: "its sweep_id is a sweep of the same file")],
        "runs": [
            Rule(holds: "EXISTS (SELECT 1 FROM {input}.sweeps s WHERE s.id = t.sweep_id)", description: "its sweep_id is a sweep of the same file"),
            Rule(holds: "t.first_failing_send IS NULL OR t.first_failing_send <= t.sends", description: "first_failing_send is one of its sends"),
            Rule(holds: "t.fatal_send IS NULL OR t.fatal_send <= t.sends", description: "fatal_send is one of its sends"),
        ],
        "steps": [
            Rule(holds: "EXISTS (SELECT 1 FROM {input}.runs r WHERE r.id = t.run_id AND t.seq <= \(stepsPerSend) * r.sends + \(stepsBeyondSends))",
                 description: "its run_id is a run of the same file, with at most \(stepsPerSend) steps per send and \(stepsBeyondSends) more"),
        ],
        "packets": [Rule(holds: "EXISTS (SELECT 1 FROM {input}.runs r WHERE r.id = t.run_id)", description: "its run_id is a run of the same file")],
    ]

    /// What one column's values must be: of a kind, within a range (numbers) or a number of
    /// bytes (text, `high`), and NULL only where the column allows it.
    struct ValueRule {
        enum Kind: String { case integer = "i", number = "r", text = "t" }
        var kind: Kind
        var low: Int64, high: Int64
        var nullable: Bool
    }

    static func valueRule(for table: String, _ column: Column) -> ValueRule {
        switch column.type.uppercased() {
        case "INTEGER":
            let range = ranges[table]?[column.name] ?? (-integerBound...integerBound)
            return ValueRule(kind: .integer, low: range.lowerBound, high: range.upperBound, nullable: !column.notNull)
        case "REAL":
            let range: ClosedRange<Int64> = table == "runs" && column.name == "loss_percent" ? 0...100 : (-integerBound...integerBound)
            return ValueRule(kind: .number, low: range.lowerBound, high: range.upperBound, nullable: !column.notNull)
        default:
            return ValueRule(kind: .text, low: 0, high: Int64(textLimits[table]?[column.name] ?? textBytes), nullable: !column.notNull)
        }
    }

    /// Each column's rule in SQL over the row `t`, then the row's relations.
    static func rules(for table: String, columns: [Column], schema: String) -> [Rule] {
        let columnRules = columns.map { column -> Rule in
            let name = "t.\"\(column.name)\""
            let rule = valueRule(for: table, column)
            let null = rule.nullable ? "\(name) IS NULL OR " : ""
            let nullText = rule.nullable ? " or NULL" : ""
            switch rule.kind {
            case .integer:
                return Rule(holds: "\(null)(typeof(\(name)) = 'integer' AND \(name) BETWEEN \(rule.low) AND \(rule.high))",
                            description: "\(column.name) is an integer from \(rule.low) to \(rule.high)\(nullText)")
            case .number:
                return Rule(holds: "\(null)(typeof(\(name)) IN ('integer', 'real') AND \(name) BETWEEN \(rule.low) AND \(rule.high))",
                            description: "\(column.name) is a number from \(rule.low) to \(rule.high)\(nullText)")
            case .text:
                return Rule(holds: "\(null)(typeof(\(name)) = 'text' AND length(CAST(\(name) AS BLOB)) <= \(rule.high))",
                            description: "\(column.name) is text of at most \(rule.high) bytes\(nullText)")
            }
        }
        return columnRules + relationRules(for: table, schema: schema)
    }

    /// The row's references, and what its parent allows. They come after the columns: they
    /// compare values the column rules have bounded.
    static func relationRules(for table: String, schema: String) -> [Rule] {
        (relations[table] ?? []).map { rule in
            Rule(holds: rule.holds.replacingOccurrences(of: "{input}.", with: "\(schema)."), description: rule.description)
        }
    }

    /// Every column rule of `rules(for:columns:schema:)` as one call of pipelab_values_keep
    /// (CPipeLabSupport): true when each of the row's values keeps its column's rule.
    static func valuesKeep(for table: String, columns: [Column]) -> String {
        let spec = columns.map { column in
            let rule = valueRule(for: table, column)
            return "\(rule.kind.rawValue) \(rule.nullable ? 1 : 0) \(rule.low) \(rule.high);"
        }.joined()
        return "pipelab_values_keep('\(spec)', \(columns.map { "t.\"\($0.name)\"" }.joined(separator: ", ")))"
    }
}

extension RowRules {
    /// The expressions of the CHECK constraints in a CREATE TABLE statement, in order: merge copies
    /// with the constraints off (SQLite 3.40 builds a temporary b-tree for each `IN (…)` list of a
    /// CHECK at every row it inserts) after its check has held every row to them, where an `IN`
    /// list is built once per statement. Quoted text and comments are skipped.
    static func checkConstraints(in sql: String) -> [String] {
        let characters = Array(sql)
        var found: [String] = []
        var index = 0
        /// The index after the quoted text or comment starting at `start`, or `start` when there is none.
        func skipped(_ start: Int) -> Int {
            var end = start
            if characters[start] == "'" || characters[start] == "\"" {
                let quote = characters[start]
                end += 1
                while end < characters.count {
                    if characters[end] == quote {
                        if end + 1 < characters.count && characters[end + 1] == quote { end += 2; continue }
                        return end + 1
                    }
                    end += 1
                }
                return end
            }
            if characters[start] == "-", start + 1 < characters.count, characters[start + 1] == "-" {
                while end < characters.count && characters[end] != "\n" { end += 1 }
                return end
            }
            return start
        }
        while index < characters.count {
            let after = skipped(index)
            if after != index { index = after; continue }
            let word = "CHECK"
            let isWordStart = index == 0 || !(characters[index - 1].isLetter || characters[index - 1].isNumber || characters[index - 1] == "_")
            if isWordStart, index + word.count <= characters.count,
               String(characters[index..<index + word.count]).uppercased() == word,
               index + word.count == characters.count || !(characters[index + word.count].isLetter || characters[index + word.count] == "_") {
                var open = index + word.count
                while open < characters.count && characters[open].isWhitespace { open += 1 }
                guard open < characters.count, characters[open] == "(" else { index = open; continue }
                var depth = 0, end = open
                while end < characters.count {
                    let next = skipped(end)
                    if next != end { end = next; continue }
                    if characters[end] == "(" { depth += 1 }
                    if characters[end] == ")" { depth -= 1; if depth == 0 { break } }
                    end += 1
                }
                found.append(String(characters[open + 1..<min(end, characters.count)]))
                index = end + 1
                continue
            }
            index += 1
        }
        return found
    }
}
