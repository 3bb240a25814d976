import Foundation
import PipeLabExperiment
import PipeLabStore

/// The report's "Why": one section per mechanism (how the peer's ending reached the client, as the
/// recorded steps tell it), the ones where a call fails first. Each says where it holds in a
/// condensed description, the signatures it gave with their runs, the mechanism, and the sends of
/// its most frequent run with repeated sentences collapsed (`sends #2–#6 succeeded: …`).
package enum WhySections {
    package struct Section {
        package var mechanism: String
        /// Runs per signature, most first.
        package var signatures: [(signature: String, runs: Int)]
        package var cells: [Scenario]
        /// The calls' sentences per variant (runs whose sends read differently), most runs first.
        package var variants: [Variant]
        package var runs: Int { signatures.reduce(0) { $0 + $1.runs } }
        package var fails: Bool { signatures.contains { WhySections.fails($0.signature) } }
    }

    /// Runs whose calls read alike: over a lossy link, runs of one mechanism whose packets went
    /// another way (the link dropped the peer's RST once, …) read differently.
    package struct Variant {
        package var sentences: [String]
        package var signatures: [String]
        package var runs: Int
        /// The first run told this way (the lowest id): the one a reader can look up and replay.
        package var example: CellExample
    }

    /// Other ways told beyond the most frequent one, where the link loses nothing (they differ by
    /// the machine's timing, which "Where it races" counts); the rest are counted.
    package static let variantsShown = 1
    /// Signatures named in a section's line; the rest are counted.
    package static let signaturesShown = 3

    /// A section holds the runs of one mechanism in which a call failed, or those in which none did:
    /// over a link the same mechanism fails a send later or not at all, and a run whose every send
    /// succeeded is never told under a failure (nor one that failed under "every send succeeds").
    package static func sections(_ examples: [CellExample], explain: (RunResult) -> [String]) -> [Section] {
        var sections: [Section] = []
        var index: [String: Int] = [:]
        for example in examples {
            let text = explain(example.run)
            guard let mechanism = text.first else { continue }
            let key = mechanism + (fails(example.run.signature) ? "\u{0}fails" : "")
            let at = index[key] ?? {
                index[key] = sections.count
                sections.append(Section(mechanism: mechanism, signatures: [], cells: [], variants: []))
                return sections.count - 1
            }()
            let signature = example.run.signature
            if let s = sections[at].signatures.firstIndex(where: { $0.signature == signature }) {
                sections[at].signatures[s].runs += example.runs
            } else {
                sections[at].signatures.append((signature, example.runs))
            }
            if !sections[at].cells.contains(example.run.scenario) { sections[at].cells.append(example.run.scenario) }
            let sentences = collapsed(Array(text.dropFirst()))
            if let v = sections[at].variants.firstIndex(where: { $0.sentences == sentences }) {
                sections[at].variants[v].runs += example.runs
                if !sections[at].variants[v].signatures.contains(signature) { sections[at].variants[v].signatures.append(signature) }
                if example.id < sections[at].variants[v].example.id { sections[at].variants[v].example = example }
            } else {
                sections[at].variants.append(Variant(sentences: sentences, signatures: [signature], runs: example.runs, example: example))
            }
        }
        for at in sections.indices {
            sections[at].variants = merged(sections[at].variants)
            sections[at].signatures.sort { ($0.runs, $1.signature) > ($1.runs, $0.signature) }
            sections[at].variants.sort { ($0.runs, $1.signatures.first ?? "") > ($1.runs, $0.signatures.first ?? "") }
        }
        return sections.sorted { ($0.fails ? 0 : 1, -$0.runs) < ($1.fails ? 0 : 1, -$1.runs) }
    }

    /// The signature as the mechanism reads it: SIGPIPE's death is its EPIPE (the report says once
    /// what each disposition makes of the signal), and a `+SIGPIPE` mark is left out.
    static func mechanismSignature(_ signature: String) -> String {
        signature.split(separator: ",").map { token in
            token == "killed:SIGPIPE" ? "EPIPE" : token.hasSuffix("+SIGPIPE") ? String(token.dropLast("+SIGPIPE".count)) : String(token)
        }.joined(separator: ",")
    }

    /// Whether a call of the run did not succeed whole.
    static func fails(_ signature: String) -> Bool { signature.split(separator: ",").contains { $0 != "ok" } }

    /// How the calls fail, without where: `send #N: ECONNRESET, then EPIPE`.
    static func failureShape(_ signature: String) -> String {
        AnswerTable.failure(mechanismSignature(signature)).replacingOccurrences(of: #"#\d+"#, with: "#N", options: .regularExpression)
    }

    /// A section's heading: how its most frequent signature's calls fail, with the first failing
    /// send, or the range of them where the runs that fail that way differ, each with a fifth of the
    /// section's runs or more (`send #3–#7: EPIPE`; the Signatures line lists them all).
    static func heading(_ section: Section) -> String {
        let main = section.signatures.first.map { mechanismSignature($0.signature) } ?? ""
        let signatures = section.signatures.filter { $0.runs * 5 >= section.runs }.map { mechanismSignature($0.signature) }
            .filter { failureShape($0) == failureShape(main) }
        let firsts = signatures.compactMap { $0.split(separator: ",").firstIndex { $0 != "ok" }.map { $0 + 1 } }
        guard let low = firsts.min(), let high = firsts.max(), low < high else { return AnswerTable.failure(main) }
        return failureShape(main).replacingOccurrences(of: "#N", with: "#\(low)–#\(high)")
    }

    /// Variants whose every sentence the most frequent one also says (for another call number,
    /// as when the process died at the send where the others got EPIPE) are folded into it.
    package static func merged(_ variants: [Variant]) -> [Variant] {
        let sorted = variants.sorted { $0.runs > $1.runs }
        guard var main = sorted.first else { return [] }
        let told = Set(main.sentences.map(template))
        var rest: [Variant] = []
        for variant in sorted.dropFirst() {
            if variant.sentences.allSatisfy({ told.contains(template($0)) }) {
                main.runs += variant.runs
                main.signatures += variant.signatures.filter { !main.signatures.contains($0) }
            } else {
                rest.append(variant)
            }
        }
        return [main] + rest
    }

    /// A sentence with its call numbers taken out.
    private static func template(_ sentence: String) -> String {
        sentence.replacingOccurrences(of: #"(each of )?(send|write)s? #\d+(–#\d+)?"#, with: "CALL", options: .regularExpression)
    }

    /// Consecutive sentences that differ only in the call's number become one: `sends #2–#6 succeeded: …`.
    package static func collapsed(_ sentences: [String]) -> [String] {
        var pieces: [(template: String, call: String?, first: Int, last: Int)] = []
        for sentence in sentences {
            guard let (call, number, template) = numbered(sentence) else {
                pieces.append((sentence, nil, 0, 0))
                continue
            }
            if let previous = pieces.last, previous.call == call, previous.template == template, previous.last + 1 == number {
                pieces[pieces.count - 1].last = number
            } else {
                pieces.append((template, call, number, number))
            }
        }
        return pieces.map { piece in
            guard let call = piece.call else { return piece.template }
            let head = piece.first == piece.last ? "\(call) #\(piece.first)" : "each of \(call)s #\(piece.first)–#\(piece.last)"
            return piece.template.replacingOccurrences(of: placeholder, with: head)
        }
    }

    private static let placeholder = "\u{1}CALL\u{1}"

    /// `send #3 failed …` as (send, 3, `⟨CALL⟩ failed …`); nil for a sentence that does not open with a call.
    private static func numbered(_ sentence: String) -> (String, Int, String)? {
        for call in ["send", "write"] where sentence.hasPrefix(call + " #") {
            let rest = sentence.dropFirst(call.count + 2)
            let digits = rest.prefix { $0.isNumber }
            guard let number = Int(digits) else { return nil }
            return (call, number, placeholder + rest.dropFirst(digits.count))
        }
        return nil
    }

    /// The sections as Markdown: a heading naming the first failure and the transports and peers,
    /// where it holds, its signatures, the mechanism, and the calls.
    /// `all`: the cells the sections are drawn from, so that "where" names only what varies among them.
    /// `spec`: the sweep's, for the command that replays a run.
    package static func markdown(_ sections: [Section], in all: [Scenario], spec: SweepSpec?) -> String {
        // A first call every section tells alike is said once, before them.
        var sections = sections
        let told = sections.indices.filter { !(sections[$0].variants.first?.sentences.isEmpty ?? true) }
        let firsts = told.map { sections[$0].variants[0].sentences[0] }
        var out = ""
        if told.count > 1, Set(firsts.map(template)).count == 1, let first = firsts.first(where: { $0.hasPrefix("send") }) ?? firsts.first {
            let both = Set(firsts).count > 1
            let common = both ? first.replacingOccurrences(of: "send #1", with: "send #1 (write #1 on a pipe)") : first
            out = "Wherever the calls are told below, " + Markdown.text(common) + "\n\n"
            for at in told {
                sections[at].variants[0].sentences.removeFirst()
                // The other variants' same first sentence is said too: it sets none of them apart.
                for v in sections[at].variants.indices.dropFirst() where sections[at].variants[v].sentences.first.map(template) == template(first) {
                    sections[at].variants[v].sentences.removeFirst()
                }
            }
        }
        // Headings name the transports and peers where they narrow the sweep's (the Where line says
        // the rest); headings that would read alike name the cells as the Where line does.
        let headings = sections.map { section in
            let named = CellSet(section.cells.map(Self.pair), in: all.map(Self.pair)).text
            return heading(section) + (named == "every cell" ? "" : " — " + named)
        }
        let whereText = sections.map { CellSet($0.cells, in: all).condensed(products: 1) }
        // A heading that names its cells as the Where line would leaves that line out.
        let headingSaysWhere = sections.indices.map { index in headings.filter { $0 == headings[index] }.count > 1 }
        let named = sections.indices.map { index in
            headingSaysWhere[index] ? heading(sections[index]) + " — " + whereText[index] : headings[index]
        }
        // Mechanisms told in the very same cells still read alike: the later ones say so.
        let titles = named.indices.map { index in named[..<index].contains(named[index]) ? named[index] + " (another mechanism)" : named[index] }
        // Sections are numbered, so that a later one points to an earlier one instead of repeating it.
        var said = Said()
        return out + sections.enumerated().map { index, section in
            let number = index + 1
            var out = "### \(number). " + Markdown.text(titles[index]) + "\n\n"
            let mechanism = said.unsaid(section.mechanism, in: String(number))
            let pointer = mechanism.earlier.isEmpty ? [] : ["Otherwise as in " + Plural.list(mechanism.earlier) + "."]
            out += Markdown.text((mechanism.kept + pointer).joined(separator: " ")) + "\n\n"
            var bullets = said.bullets(section.variants.first?.sentences ?? [], in: String(number)).map(Markdown.text)
            // Other ways the runs went, each in a line: what sets it apart (its first sentence the
            // main one does not have). The first with a fifth of the section's runs or more; and over
            // a lossy link every one, however few took it: each is a fate of the packets that
            // changed what the calls met, told with a run of it and the command replaying its losses.
            for (index, variant) in section.variants.dropFirst().enumerated() {
                let lossy = variant.example.run.scenario.lossBasisPoints > 0
                guard lossy || (index < variantsShown && variant.runs * 5 >= section.runs) else { continue }
                let distinct = variant.sentences.first { !(section.variants.first?.sentences.contains($0) ?? false) }
                guard let distinct else { continue }
                bullets.append("Also, in " + Plural.count(variant.runs, "run") + " ("
                    + variant.signatures.map { Markdown.code(SignatureText.compact($0)) }.joined(separator: ", ") + "): "
                    + Markdown.text(distinct) + (lossy ? " " + replay(variant.example, of: spec) : ""))
            }
            if !bullets.isEmpty { out += bullets.map { "- " + $0 + "\n" }.joined() + "\n" }
            let hidden = section.signatures.dropFirst(signaturesShown)
            out += (headingSaysWhere[index] ? "" : "Where: " + Markdown.text(whereText[index]) + ". ") + "Signatures: "
                + section.signatures.prefix(signaturesShown).map { Markdown.code(SignatureText.compact($0.signature)) + " \(Plural.count($0.runs, "run"))" }
                    .joined(separator: ", ")
                + (hidden.isEmpty ? "" : ", \(hidden.count) more in \(Plural.count(hidden.reduce(0) { $0 + $1.runs }, "run"))") + ".\n"
            return out
        }.joined(separator: "\n")
    }

    /// `Like run 57, whose losses `pipelab run … --seed 7` replays.`; `Like run 57.` for a run
    /// without a recorded seed or command.
    static func replay(_ example: CellExample, of spec: SweepSpec?) -> String {
        guard example.run.lossSeed != nil, let command = ReproduceCommand.run(example.run, of: spec) else { return "Like run \(example.id)." }
        return "Like run \(example.id), whose losses \(Markdown.code(command)) replays."
    }

    /// What earlier parts said, by a name for each (a section's number): a later part names the
    /// earlier one instead of saying a sentence again.
    package struct Said {
        var bullets: [String: String] = [:]
        var sentences: [String: String] = [:]

        /// The text's sentences an earlier part did not say, and the names of those that said the others.
        package mutating func unsaid(_ text: String, in name: String) -> (kept: [String], earlier: [String]) {
            var kept: [String] = [], earlier: [String] = []
            for sentence in Self.sentences(text) {
                // A short sentence costs less to say again than to point to.
                if let at = sentences[sentence], sentence.split(separator: " ").count >= 8 {
                    if !earlier.contains(at) { earlier.append(at) }
                } else {
                    kept.append(sentence)
                    sentences[sentence] = sentences[sentence] ?? name
                }
            }
            return (kept, earlier)
        }

        /// The calls' bullets; one an earlier section said keeps only what happened (the text
        /// before its first colon), and consecutive ones that point to the same section share a line.
        package mutating func bullets(_ texts: [String], in name: String) -> [String] {
            var out: [String] = []
            var pointing: (heads: [String], at: String)?
            func flush() {
                if let pointing { out.append(pointing.heads.joined(separator: "; ") + ": as in \(pointing.at).") }
                pointing = nil
            }
            for text in texts {
                guard let at = bullets[text], let colon = text.range(of: ": ") else {
                    flush()
                    out.append(text)
                    bullets[text] = bullets[text] ?? name
                    continue
                }
                let head = String(text[..<colon.lowerBound])
                if pointing?.at == at { pointing?.heads.append(head) } else {
                    flush()
                    pointing = ([head], at)
                }
            }
            flush()
            return out
        }

        /// A paragraph's sentences: split where a full stop is followed by a space and a capital.
        static func sentences(_ text: String) -> [String] {
            let characters = Array(text)
            var out: [String] = [], start = 0
            for index in characters.indices.dropFirst().dropLast() where characters[index] == " "
                && characters[index - 1] == "." && characters[index + 1].isUppercase {
                out.append(String(characters[start..<index]))
                start = index + 1
            }
            return out + [String(characters[start...])]
        }
    }

    /// The cell reduced to its transport and peer, for a section's heading.
    private static func pair(_ s: Scenario) -> Scenario {
        Scenario(transport: s.transport, peer: s.peer, sigpipe: .ignore, sleepNs: 0, sends: 1, payloadBytes: 1)
    }
}
