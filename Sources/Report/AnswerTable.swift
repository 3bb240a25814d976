import PipeLabExperiment
import PipeLabStore

/// The answer a reader comes for, one row per transport and peer ending: what the client sees once
/// the peer is gone (at settled sleeps), whether the default SIGPIPE disposition kills it and at
/// which send, and below which sleep runs end otherwise (the outcome races with the sleep there).
/// Built from the cells' undisturbed run counts only; the report and the terminal render it.
package struct AnswerTable {
    package struct Row: Equatable {
        /// Transports whose rows read alike, merged (their race counts pooled).
        package var transports: [Transport]
        package var peer: PeerAction
        /// Which call fails first and how, with the disposition ignoring, handling or blocking SIGPIPE.
        package var fails: String
        /// Whether and where the default disposition kills the process.
        package var kills: String
        /// Below which sleep the outcome differs from the settled one, and how often.
        package var race: Race?

        /// `mostly`: whether to say what the racing runs mostly do instead. Every count has its
        /// Wilson interval, also of few runs, where it is what tells how little they say.
        package func race(saying mostly: Bool) -> String {
            guard let race else { return "none differ" }
            return "\(race.span): \(race.differing) of \(race.runs), " + race.interval + (mostly ? ", mostly \(race.mostly)" : "")
        }

        /// The races cell as Markdown: on one line, or for a row short of room without what the
        /// racing runs mostly do and with the interval on a line of its own (`<br>`), so that no
        /// count loses its interval to the row budget.
        func racesCell(saying mostly: Bool, broken: Bool) -> String {
            guard broken, let race else { return Markdown.text(race(saying: mostly)) }
            return Markdown.text("\(race.span): \(race.differing) of \(race.runs),") + "<br>" + Markdown.text(race.interval)
        }
    }

    /// Runs that end otherwise than at the settled sleeps, up to the last sleep where one does.
    package struct Race: Equatable {
        /// `below 10ms`, or `up to 1s` when it races at the longest sleep.
        package var span: String
        package var differing: Int
        package var runs: Int
        /// What most of the differing runs do instead.
        package var mostly: String

        /// `CI 24–44 %`: Wilson's 95 % interval of the differing share (`no CI` for counts that
        /// cannot have one, which a race's never are: it has a differing run).
        package var interval: String {
            guard let interval = Wilson.interval(successes: differing, trials: runs) else { return "no CI" }
            return "CI \(Int((interval.low * 100).rounded()))–\(Int((interval.high * 100).rounded())) %"
        }
    }

    package var rows: [Row]
    /// The sleeps the answer is read at: those of at least `RunEvidence.settledSleepNs`, or the
    /// longest of the sweep when it has none.
    package var answerSleeps: [Int64]
    /// The probe and network the answer is read at (none and loopback where the sweep has them).
    package var probe: Probe
    package var network: NetworkCell
    /// Whether the sweep also has other probes or networks (told elsewhere in the report).
    package var otherProbesOrNetworks: Bool
    /// Whether the answer's network has no loss while another of the sweep's has.
    package var lossElsewhere: Bool
    /// The client the answer is read for: pipelab's own where the sweep has it (the system calls'
    /// answer; real programs have their own table, RuntimeTable).
    package var client: ClientProgram
    package var otherClients: Bool
    package var hasDefault: Bool

    package init(_ cells: [CellSignature]) {
        let probes = Set(cells.map(\.scenario.probe)), networks = Set(cells.map(\.scenario.network))
        let clients = Set(cells.map(\.scenario.client))
        let probe = probes.contains(.none) ? .none : cells.first?.scenario.probe ?? .none
        // Plain loopback where the sweep has it, else its least lossy network: loss is told where it races.
        let network = networks.contains(.plain) ? .plain
            : networks.min { ($0.lossBasisPoints, $0.rttNs, $0.intervalNs) < ($1.lossBasisPoints, $1.rttNs, $1.intervalNs) } ?? .plain
        let client = clients.contains(.harness) ? .harness : clients.min { $0.position < $1.position } ?? .harness
        (self.probe, self.network, self.client) = (probe, network, client)
        otherProbesOrNetworks = probes.count > 1 || networks.count > 1
        // "rtt 20ms" beside a lossy network of the same sweep must say it is the lossless one.
        lossElsewhere = network.lossBasisPoints == 0 && network != .plain && networks.contains { $0.lossBasisPoints > 0 }
        otherClients = clients.count > 1
        let base = cells.filter {
            $0.scenario.probe == probe && $0.scenario.network == network && $0.scenario.client == client && $0.runs > $0.disturbedRuns
        }
        let sleeps = Set(base.map(\.scenario.sleepNs)).sorted()
        let settled = sleeps.filter { $0 >= RunEvidence.settledSleepNs }
        answerSleeps = settled.isEmpty ? Array(sleeps.suffix(1)) : settled
        hasDefault = base.contains { $0.scenario.sigpipe == .default }
        let answerSet = Set(answerSleeps)
        let pairs = uniqued(base.map { Pair(transport: $0.scenario.transport, peer: $0.scenario.peer) })
            .sorted { ($0.transport.position, $0.peer.position) < ($1.transport.position, $1.peer.position) }
        let built = pairs.map { pair in
            let mine = base.filter { $0.scenario.transport == pair.transport && $0.scenario.peer == pair.peer }
            let settledCells = mine.filter { answerSet.contains($0.scenario.sleepNs) }
            return Row(transports: [pair.transport], peer: pair.peer,
                       fails: Self.condensed(settledCells.filter { $0.scenario.sigpipe != .default }, Self.failure),
                       kills: Self.condensed(settledCells.filter { $0.scenario.sigpipe == .default }, Self.killing),
                       race: Self.race(mine, answerSleeps: answerSet, sleeps: sleeps))
        }
        rows = Self.merged(built)
    }

    private struct Pair: Hashable { var transport: Transport, peer: PeerAction }

    /// Rows of one peer that read alike for several transports become one, race counts pooled.
    package static func merged(_ rows: [Row]) -> [Row] {
        var out: [Row] = []
        for row in rows {
            if let at = out.firstIndex(where: { $0.peer == row.peer && $0.fails == row.fails && $0.kills == row.kills
                && $0.race?.span == row.race?.span && $0.race?.mostly == row.race?.mostly }) {
                out[at].transports += row.transports
                if let race = row.race {
                    out[at].race?.differing += race.differing
                    out[at].race?.runs += race.runs
                }
            } else {
                out.append(row)
            }
        }
        return out
    }

    // MARK: Phrases

    /// `send #3: EPIPE`; `send #2: ECONNRESET, then EPIPE`; `every send succeeds`.
    package static func failure(_ signature: String) -> String {
        let tokens = signature.split(separator: ",").map { token in
            token.hasSuffix("+SIGPIPE") ? String(token.dropLast("+SIGPIPE".count)) : String(token)
        }
        guard let first = tokens.firstIndex(where: { $0 != "ok" }) else { return "every send succeeds" }
        let token = tokens[first]
        if token == "harness-error" { return "not measured (harness error)" }
        // `timeout` follows the sends that returned: the run may have hung in a send, in connect(), or after its last send.
        if token == "timeout" { return first == 0 ? "stopped by its timeout before any send returned" : "stopped by its timeout after send #\(first) returned" }
        if token.hasPrefix("killed:") { return "killed by \(token.dropFirst(7)) in send #\(first + 1)" }
        let said = { (t: String) in t.hasPrefix("short:") ? "a short write" : t }
        var text = "send #\(first + 1): \(said(token))"
        if let next = tokens[(first + 1)...].first(where: { said($0) != said(token) }) {
            text += next == "timeout" ? ", then stopped by its timeout" : ", then " + said(next)
        }
        return text
    }

    /// `killed in send #3`; `not killed`.
    package static func killing(_ signature: String) -> String {
        let tokens = signature.split(separator: ",")
        if let last = tokens.last, last.hasPrefix("killed:") {
            return (last == "killed:SIGPIPE" ? "killed" : "killed by \(last.dropFirst(7))") + " in send #\(tokens.count)"
        }
        if signature == "harness-error" { return "not measured (harness error)" }
        return tokens.last == "timeout" ? "not killed, stopped by its timeout" : "not killed"
    }

    /// One phrase; or, where it depends on a parameter, each phrase with where it holds (`(5B)`);
    /// or, where the runs of a cell disagree or the split takes more than one product to say, each
    /// phrase with its runs.
    package static func condensed(_ cells: [CellSignature], _ phrase: (String) -> String) -> String {
        guard !cells.isEmpty else { return "–" }
        var byCell: [Scenario: [String: Int]] = [:], pooled: [String: Int] = [:]
        for cell in cells {
            let runs = cell.runs - cell.disturbedRuns
            byCell[cell.scenario, default: [:]][phrase(cell.signature), default: 0] += runs
            pooled[phrase(cell.signature), default: 0] += runs
        }
        guard pooled.count > 1 else { return pooled.keys.first ?? "–" }
        let scenarios = uniqued(cells.map(\.scenario))
        if byCell.values.allSatisfy({ $0.count == 1 }) {
            let phrases = pooled.keys.sorted { (pooled[$0] ?? 0, $1) > (pooled[$1] ?? 0, $0) }
            let sets = phrases.map { p in CellSet(scenarios.filter { byCell[$0]?[p] != nil }, in: scenarios) }
            if sets.allSatisfy({ $0.products.count == 1 }) {
                return zip(phrases, sets).map { "\($0) (\($1.text))" }.joined(separator: "; ")
            }
        }
        // Counts only (the row is short of room): the two most frequent, the rest together.
        let total = pooled.values.reduce(0, +)
        let sorted = pooled.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
        var parts = sorted.prefix(2).map { "\($0.key) in \($0.value) of \(total)" }
        let rest = sorted.dropFirst(2).reduce(0) { $0 + $1.value }
        if rest > 0 { parts.append("other in \(rest) of \(total)") }
        return parts.joined(separator: "; ")
    }

    /// Runs at each sleep whose outcome differs from the one at the settled sleeps of their own
    /// cell (same disposition, sends and payload); nil when every run ends as at the settled sleeps.
    package static func race(_ cells: [CellSignature], answerSleeps: Set<Int64>, sleeps: [Int64]) -> Race? {
        struct Family: Hashable { var sigpipe: SigpipeMode, sends: Int, payload: Int64 }
        func family(_ s: Scenario) -> Family { Family(sigpipe: s.sigpipe, sends: s.sends, payload: s.payloadBytes) }
        // A sleep the link's round trip outlasts leaves no race: nothing from the peer can come back
        // before the sends (Why tells those cells).
        func linkFixed(_ s: Scenario) -> Bool {
            s.rttNs > 0 && s.sleepNs &+ Int64(max(0, s.sends &- 2)) &* s.intervalNs < s.rttNs
        }
        // The settled outcome of a family: its most frequent normalised signature at the answer sleeps.
        var settledCounts: [Family: [String: Int]] = [:]
        for cell in cells where answerSleeps.contains(cell.scenario.sleepNs) && !linkFixed(cell.scenario) {
            settledCounts[family(cell.scenario), default: [:]][normalized(cell.signature), default: 0] += cell.runs - cell.disturbedRuns
        }
        let settled = settledCounts.mapValues { $0.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key ?? "" }
        var differing: [Int64: Int] = [:], total: [Int64: Int] = [:], otherwise: [String: Int] = [:]
        for cell in cells where !linkFixed(cell.scenario) {
            guard let expected = settled[family(cell.scenario)] else { continue }
            let runs = cell.runs - cell.disturbedRuns, sleep = cell.scenario.sleepNs
            total[sleep, default: 0] += runs
            if normalized(cell.signature) != expected {
                differing[sleep, default: 0] += runs
                otherwise[failure(cell.signature), default: 0] += runs
            }
        }
        guard let last = differing.keys.max() else { return nil }
        let below = sleeps.first { $0 > last }
        let upTo = sleeps.filter { $0 <= last }
        let n = upTo.reduce(0) { $0 + (total[$1] ?? 0) }, k = upTo.reduce(0) { $0 + (differing[$1] ?? 0) }
        let most = otherwise.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key ?? ""
        let span = below.map { "below \(DurationText.format($0))" } ?? "up to \(DurationText.format(last))"
        return Race(span: span, differing: k, runs: n, mostly: most)
    }

    /// A signature with short counts dropped: runs that wrote a different part of a send are one outcome.
    package static func normalized(_ signature: String) -> String {
        signature.split(separator: ",", omittingEmptySubsequences: false).map { token in
            token.hasPrefix("short:") ? "short" + (token.hasSuffix("+SIGPIPE") ? "+SIGPIPE" : "") : String(token)
        }.joined(separator: ",")
    }

    // MARK: Rendering

    /// The table's caption: what it is read at.
    package var scope: String {
        let sleeps = answerSleeps.map(DurationText.format).joined(separator: ", ")
        var text = "at sleep \(sleeps)"
        if otherProbesOrNetworks { text += ", probe \(probe.rawValue), \(network.label)" + (lossElsewhere ? ", no loss" : "") }
        if otherClients || client != .harness { text += ", client \(client.rawValue)" }
        return text
    }

    /// A killing phrase under the header "kills": `in send #3`, `no`.
    package static func short(_ kills: String) -> String {
        kills.replacingOccurrences(of: "killed in send", with: "in send").replacingOccurrences(of: "not killed", with: "no")
    }

    /// What racing runs mostly do instead in most rows: said once, and in a row only where it differs.
    package var commonRaceOutcome: String? {
        var rowsSaying: [String: Int] = [:]
        for mostly in rows.compactMap(\.race?.mostly) { rowsSaying[mostly, default: 0] += 1 }
        return rowsSaying.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key
    }

    /// `send #3: EPIPE in 30 of 32; send #2: …` as `send #3: EPIPE in 30 of 32, or other`.
    package static func mostly(_ phrases: String) -> String {
        let parts = phrases.components(separatedBy: "; ")
        return parts.count > 1 ? parts[0] + ", or other" : phrases
    }

    /// The most visible characters a row of the report's answer may take (issue 17).
    package static let rowBudget = 160

    package var markdown: String { markdown(rowBudget: Self.rowBudget) }

    /// The table with rows of at most `rowBudget` visible characters (the widest line of each cell).
    package func markdown(rowBudget: Int) -> String {
        var header = ["transport", "peer", "fails first"]
        if hasDefault { header.append("kills") }
        header.append("at shorter sleeps")
        let common = commonRaceOutcome
        return Markdown.table(header, rows.map { row in
            let cells = { (fails: String, kills: String, race: String) in
                [Markdown.text(row.transports.map(\.rawValue).joined(separator: ", ")), Markdown.text(row.peer.rawValue), Markdown.text(fails)]
                    + (hasDefault ? [Markdown.text(kills)] : []) + [race]
            }
            // In full where the row fits; else without what the racing runs mostly do, then with the
            // interval on a line of its own, then with only the most frequent failure and death.
            let kills = Self.short(row.kills), broken = row.racesCell(saying: false, broken: true)
            let tries = [cells(row.fails, kills, row.racesCell(saying: row.race?.mostly != common, broken: false)),
                         cells(row.fails, kills, row.racesCell(saying: false, broken: false)),
                         cells(row.fails, kills, broken), cells(Self.mostly(row.fails), Self.mostly(kills), broken)]
            return tries.first { MarkdownWidth.rowWidth($0) <= rowBudget } ?? tries[tries.count - 1]
        })
    }
}
