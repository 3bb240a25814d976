import Foundation
@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabNetwork
@testable import PipeLabReport
@testable import PipeLabStore
@testable import PipeLabSweep
@testable import PipeLabWorker
import Testing

/// README.md and docs/*.md promise that every command in their ```sh blocks and every query in
/// their ```sql blocks runs as written, in the order shown (README.md, then the files of
/// `documents`), and that the sample outputs they show are what the commands print. This runs
/// them so, with bash, in a fresh folder.
///
/// The convention the documents follow (and CONTRIBUTING.md states):
/// - every line of a ```sh block is a command (a trailing `\` continues it; blank lines and
///   comment lines are ignored); output examples live in plain ``` blocks;
/// - a command must exit 0, or the code its trailing comment names: `# exits 130`;
/// - `swift run [-c release] pipelab ARGS` runs as `pipelab ARGS`, and other lines whose first
///   word is `swift` are skipped: this test runs inside `swift test`, with the `pipelab` binary
///   that build made, which `PATH` leads to;
/// - a block preceded by the line `<!-- not run by the tests: REASON -->` is not run (a cluster,
///   root, minutes of benchmark); the test prints how many there are and why;
/// - a ```sql block runs with `sqlite3 pipelab.sqlite` and must return at least one row;
/// - a sample output is an HTML comment `<!-- sample:` whose next lines are commands, up to
///   `-->`, followed by a plain ``` block: `$ COMMAND` and what it printed, for each command.
///   The test runs the commands at that point and compares the block's shape with what they
///   print now (the commands, the calls and words; not the numbers nor the packets, which vary
///   from run to run); `PIPELAB_UPDATE_SAMPLES=1` writes what they printed into the documents
///   instead. A comment `<!-- sample, racy:` compares only the command lines and the summary.
@Suite struct ReadmeCommandTests {
    /// The documents after README.md, in the order their commands run.
    static let documents = ["docs/guide.md", "docs/kernel.md", "docs/schema.md", "docs/many-machines.md",
                            "docs/internals.md", "CONTRIBUTING.md"]

    enum Item {
        case command(text: String, expectedStatus: Int32)
        case query(String)
        /// `block` is the range of lines (0-based, the fences included) of the output block shown.
        case sample(commands: [String], racy: Bool, shown: String, block: Range<Int>)
    }

    struct Located {
        var item: Item
        var file: String
        var line: Int
        var place: String { "\(file) line \(line)" }
    }

    struct Extracted {
        var items: [Located] = []
        var skippedSwiftLines: [String] = []
        var unrunBlocks: [(place: String, reason: String)] = []
        /// Lines of ```sh blocks that look like shown output, which the convention forbids.
        var outputLines: [String] = []
        /// Sample comments not followed by an output block.
        var malformedSamples: [String] = []
        var commands: [String] {
            items.compactMap { if case .command(let text, _) = $0.item { return text } else { return nil } }
        }
    }

    static let marker = "<!-- not run by the tests:"

    static func extract(_ text: String, file: String, into result: inout Extracted) {
        let lines = text.components(separatedBy: "\n")
        var fence: (language: String, runs: Bool)?
        var pending: (text: String, line: Int)?
        var query: (text: String, line: Int)?
        var index = 0
        while index < lines.count {
            let line = lines[index]
            let number = index + 1
            defer { index += 1 }
            if fence == nil, line.hasPrefix("<!-- sample:") || line.hasPrefix("<!-- sample, racy:") {
                var commands: [String] = []
                var end = index + 1
                while end < lines.count, lines[end] != "-->" { commands.append(lines[end]); end += 1 }
                let open = end + 1
                guard open < lines.count, lines[open] == "```",
                      let close = lines[(open + 1)...].firstIndex(of: "```"), !commands.isEmpty else {
                    result.malformedSamples.append("\(file) line \(number)")
                    continue
                }
                let shown = lines[(open + 1)..<close].joined(separator: "\n")
                result.items.append(Located(item: .sample(commands: commands, racy: line.contains("racy"), shown: shown,
                                                          block: open..<(close + 1)), file: file, line: number))
                index = close
                continue
            }
            if line.hasPrefix("```") {
                if fence == nil {
                    let previous = index > 0 ? lines[index - 1].trimmingCharacters(in: .whitespaces) : ""
                    let language = line.dropFirst(3).trimmingCharacters(in: .whitespaces)
                    let marked = previous.hasPrefix(marker)
                    if language == "sh" && marked {
                        let reason = previous.dropFirst(marker.count).replacingOccurrences(of: "-->", with: "")
                        result.unrunBlocks.append(("\(file) line \(number)", reason.trimmingCharacters(in: .whitespaces)))
                    }
                    fence = (language, (language == "sh" || language == "sql") && !marked)
                    if language == "sql" && !marked { query = ("", number + 1) }
                } else {
                    if let finished = query {
                        result.items.append(Located(item: .query(finished.text), file: file, line: finished.line))
                    }
                    fence = nil
                    query = nil
                }
                continue
            }
            guard let current = fence, current.runs else { continue }
            if current.language == "sql" {
                query?.text += line + "\n"
                continue
            }
            let joined = (pending?.text ?? "") + line
            let start = pending?.line ?? number
            if joined.hasSuffix("\\") {
                pending = (String(joined.dropLast()), start)
                continue
            }
            pending = nil
            let trimmed = joined.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            if trimmed.hasPrefix("$ ") { result.outputLines.append("\(file) line \(start)"); continue }
            let words = trimmed.split(separator: " ")
            if words.first == "swift" {
                // `swift run [-c release] pipelab ARGS` is the binary this test already has.
                if words.count > 2, words[1] == "run", let product = words.firstIndex(of: "pipelab") {
                    let command = "pipelab " + words[(product + 1)...].joined(separator: " ")
                    result.items.append(Located(item: .command(text: command, expectedStatus: expectedStatus(trimmed)),
                                                file: file, line: start))
                } else {
                    result.skippedSwiftLines.append(trimmed)
                }
                continue
            }
            result.items.append(Located(item: .command(text: trimmed, expectedStatus: expectedStatus(trimmed)),
                                        file: file, line: start))
        }
    }

    /// Every document, in order.
    static func extractAll() -> Extracted {
        var result = Extracted()
        for file in ["README.md"] + documents { extract(text(of: file), file: file, into: &result) }
        return result
    }

    /// The exit code a trailing `# exits N` comment names, else 0.
    static func expectedStatus(_ command: String) -> Int32 {
        guard let comment = command.range(of: " # exits ") else { return 0 }
        let digits = command[comment.upperBound...].prefix { $0.isNumber }
        return Int32(digits) ?? 0
    }

    /// One bash script: the items in order, each followed by a check that names the document
    /// line of the first to fail. Sample outputs go to `sample-N.txt`, N the item's index.
    static func script(_ items: [Located]) -> String {
        var script = "set -o pipefail\n"
        for (number, located) in items.enumerated() {
            switch located.item {
            case .command(let text, let expectedStatus):
                script += """
                    \(text)
                    status=$?
                    if [ "$status" -ne \(expectedStatus) ]; then
                      echo "\(located.place): exit $status, expected \(expectedStatus)" >&2; exit 100
                    fi

                    """
            case .query(let text):
                script += """
                    rows=$(sqlite3 -bail pipelab.sqlite 2>query-error.txt <<'PIPELAB_SQL'
                    \(text)PIPELAB_SQL
                    )
                    status=$?
                    if [ "$status" -ne 0 ] || [ -s query-error.txt ] || [ -z "$rows" ]; then
                      echo "\(located.place): the query exited $status with no rows: $(cat query-error.txt)" >&2; exit 100
                    fi

                    """
            case .sample(let commands, _, _, _):
                for command in commands {
                    script += """
                        printf '%s\\n' \(shellQuoted("$ " + command)) >> sample-\(number).txt
                        \(command) >> sample-\(number).txt 2>&1

                        """
                }
            }
        }
        return script + "rm -f query-error.txt\necho 'every documented command ran'\n"
    }

    static func shellQuoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// What must not change between two runs of a sample's commands: the command lines; the
    /// calls of a timeline (actor, call, result, errno), as a set, since the peer's first calls and
    /// the client's first send race; and every other line but the explanation, with numbers and
    /// hexadecimal ids taken out. Packet lines, TCP states, the explanation's wording and a
    /// disturbed run's note follow that race or the machine, and go. Of a racy sample, whose
    /// matrix varies, only the commands and the summary lines stay.
    static func shape(_ sample: String, racy: Bool) -> String {
        func normalized(_ line: String) -> String {
            line.replacingOccurrences(of: "\\b[0-9a-f]*[0-9][0-9a-f]*(-[0-9a-f]+)*\\b", with: "#", options: .regularExpression)
                .replacingOccurrences(of: "[0-9]+", with: "#", options: .regularExpression)
                .replacingOccurrences(of: "\\s+", with: " ", options: .regularExpression)
                .trimmingCharacters(in: .whitespaces)
        }
        var kept: [String] = [], calls: [String] = [], inExplanation = false
        for line in sample.components(separatedBy: "\n") {
            if line.hasPrefix("$ ") { kept.append(line); inExplanation = false; continue }
            if line.hasPrefix("Why:") { inExplanation = true; continue }
            if inExplanation || line.contains(" packet ") || line.hasPrefix("disturbed") { continue }
            if racy && !(line.hasPrefix("sweep ") || line.hasPrefix("database:")) { continue }
            if line.range(of: "^ *[0-9.]+ (ms|s|µs) +(client|peer) ", options: .regularExpression) != nil {
                let call = line.replacingOccurrences(of: "^ *[0-9.]+ (ms|s|µs) +", with: "", options: .regularExpression)
                    .replacingOccurrences(of: " +(ESTABLISHED|CLOSE_WAIT|CLOSE|SYN_SENT|FIN_WAIT[12]|TIME_WAIT|LAST_ACK|CLOSING)$",
                                          with: "", options: .regularExpression)
                calls.append(normalized(call))
                continue
            }
            let rest = normalized(line)
            if !rest.isEmpty { kept.append(rest) }
        }
        return (kept + calls.sorted()).joined(separator: "\n")
    }

    static var repository: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static func text(of file: String) -> String {
        (try? String(contentsOf: repository.appendingPathComponent(file), encoding: .utf8)) ?? ""
    }

    @Test func everyCommandQueryAndSampleRunsAsWrittenInOrder() throws {
        let extracted = Self.extractAll()
        #expect(extracted.outputLines.isEmpty, "```sh blocks show output at \(extracted.outputLines): use a plain ``` block")
        #expect(extracted.malformedSamples.isEmpty, "a sample comment without its output block: \(extracted.malformedSamples)")
        #expect(extracted.commands.count >= 25, "only \(extracted.commands.count) commands found: is the convention still ```sh?")
        let queries = extracted.items.filter { if case .query = $0.item { return true } else { return false } }
        #expect(queries.count >= 10, "only \(queries.count) queries found")
        print("docs: running \(extracted.items.count) commands, queries and samples; skipped \(extracted.skippedSwiftLines.count) "
              + "`swift` lines (the test runs the binary `swift test` built): \(extracted.skippedSwiftLines)")
        for block in extracted.unrunBlocks { print("docs: block at \(block.place) not run: \(block.reason)") }

        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.copyItem(at: Self.repository.appendingPathComponent("Examples"),
                                         to: directory.appendingPathComponent("Examples"))
        let scriptURL = directory.appendingPathComponent("docs-commands.sh")
        try Self.script(extracted.items).write(to: scriptURL, atomically: true, encoding: .utf8)
        let binaries = URL(fileURLWithPath: CLI.binary).deletingLastPathComponent().path
        let path = binaries + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let started = Date()
        // A generous bound, so that a command that hangs fails the test instead of blocking it.
        let output = try CLI.run(["900", "bash", scriptURL.path], in: directory, environment: ["PATH": path],
                                 executable: "/usr/bin/timeout")
        print("docs: commands took \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        guard output.status == 0 else {
            Issue.record("a documented command failed:\n\(output.stderr.suffix(3000))")
            return
        }
        #expect(output.stdout.hasSuffix("every documented command ran\n"))
        // What the examples say they make is there.
        for made in ["pipelab.sqlite", "report.md", "runs.sqlite", "lab.sqlite", "lab.md", "race-window.md",
                     "settled-a-vs-settled-b.md", "merged.sqlite", "merged.md"] {
            #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent(made).path), "no \(made)")
        }
        try checkSamples(extracted.items, in: directory)
        try Self.expectIgnoredByGit(everythingIn: directory, except: ["Examples", "docs-commands.sh"])
    }

    /// Compares each sample shown with what its commands printed in this run, or writes them in.
    func checkSamples(_ items: [Located], in directory: URL) throws {
        let update = ProcessInfo.processInfo.environment["PIPELAB_UPDATE_SAMPLES"] == "1"
        var replacements: [String: [(block: Range<Int>, text: String)]] = [:]
        var samples = 0
        for (number, located) in items.enumerated() {
            guard case .sample(_, let racy, let shown, let block) = located.item else { continue }
            samples += 1
            let printed = try String(contentsOf: directory.appendingPathComponent("sample-\(number).txt"), encoding: .utf8)
            let now = printed.components(separatedBy: "\n").map { $0.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) }
                .joined(separator: "\n").trimmingCharacters(in: .newlines)
            if update {
                replacements[located.file, default: []].append((block, "```\n" + now + "\n```"))
            } else {
                #expect(Self.shape(shown, racy: racy) == Self.shape(now, racy: racy),
                        "the sample at \(located.place) is stale: run `PIPELAB_UPDATE_SAMPLES=1 swift test --filter ReadmeCommandTests`\nshown:\n\(shown)\nnow:\n\(now)")
            }
        }
        #expect(samples >= 5, "only \(samples) sample outputs found")
        for (file, blocks) in replacements {
            var lines = Self.text(of: file).components(separatedBy: "\n")
            for replacement in blocks.sorted(by: { $0.block.lowerBound > $1.block.lowerBound }) {
                lines.replaceSubrange(replacement.block, with: replacement.text.components(separatedBy: "\n"))
            }
            try lines.joined(separator: "\n").write(to: Self.repository.appendingPathComponent(file), atomically: true, encoding: .utf8)
            print("docs: wrote the samples of \(file)")
        }
    }

    /// Every file the documented commands wrote is one `.gitignore` keeps out of a clone's `git status`.
    static func expectIgnoredByGit(everythingIn directory: URL, except: Set<String>) throws {
        let made = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { !except.contains($0) && !$0.hasPrefix("sample-") }
        #expect(made.count >= 10)
        // Only the repository's .gitignore counts, not this machine's own exclude files.
        let check = try CLI.run(["-C", repository.path, "-c", "core.excludesFile=/dev/null", "check-ignore", "--no-index", "--verbose", "--non-matching"] + made,
                                executable: "/usr/bin/git")
        let notIgnored = check.stdout.split(separator: "\n").filter { $0.hasPrefix("::") }
        #expect(check.stderr.isEmpty && !check.stdout.isEmpty, "git check-ignore: \(check.stderr)")
        #expect(notIgnored.isEmpty, "the documented commands write files .gitignore does not cover: \(notIgnored)")
    }

    @Test func theConventionIsReadAsDocumented() {
        let sample = """
            ```sh
            pipelab sweep --repeat 2 \\
                --name a    # exits 130
            # a comment

            swift build
            swift run -c release pipelab sweeps
            ```

            ```
            $ pipelab sweeps
            ```

            <!-- not run by the tests: needs a cluster -->
            ```sh
            sbatch x
            ```

            ```sql
            SELECT 1;
            ```

            <!-- sample:
            pipelab run
            -->
            ```
            $ pipelab run
            outcome: error
            ```
            """
        var extracted = Extracted()
        Self.extract(sample, file: "x.md", into: &extracted)
        #expect(extracted.commands == ["pipelab sweep --repeat 2     --name a    # exits 130", "pipelab sweeps"])
        #expect(extracted.items.map(\.line) == [2, 7, 20, 23])
        #expect(extracted.skippedSwiftLines == ["swift build"])
        #expect(extracted.unrunBlocks.map(\.reason) == ["needs a cluster"])
        #expect(extracted.outputLines.isEmpty)
        guard case .query(let query) = extracted.items[2].item, case .sample(let commands, let racy, let shown, let block) = extracted.items[3].item
        else { Issue.record("no query and sample in \(extracted.items)"); return }
        #expect(query == "SELECT 1;\n")
        #expect(commands == ["pipelab run"] && !racy && shown == "$ pipelab run\noutcome: error" && block == 25..<29)
    }

    @Test func aSampleShapeKeepsTheWordsAndLeavesTheNumbers() {
        let a = "$ pipelab run\n    0.112 ms  client connect()   0  ESTABLISHED\n    0.2 ms  packet client->peer  S\n"
            + "    0.3 ms  peer   accept()   7\nsignature: ok,ok,EPIPE\nid 01a2160a-e626 x\nWhy:\n  The peer read\n"
        let b = "$ pipelab run\n   13.5 ms  peer   accept()   8\n   14.1 ms  client connect()   0\nsignature: ok,ok,EPIPE\nid 01b3-f x"
        #expect(Self.shape(a, racy: false) == Self.shape(b, racy: false))
        #expect(Self.shape(a, racy: false) != Self.shape(a.replacingOccurrences(of: "EPIPE", with: "ECONNRESET"), racy: false))
        #expect(Self.shape("$ pipelab sweep\nA 60%\nsweep 1 'race' completed", racy: true)
                == Self.shape("$ pipelab sweep\nB\nsweep 2 'race' completed", racy: true))
    }

    /// The documents stand alone: no pointer to a design document the repository does not have,
    /// and every relative link leads to a file, and to a heading that exists there.
    @Test func linksLeadSomewhere() throws {
        var links = 0
        for file in ["README.md"] + Self.documents + ["Reports/README.md"] {
            let text = Self.text(of: file)
            #expect(!text.isEmpty, "no \(file)")
            #expect(!text.contains("DESIGN.md"), "\(file) names DESIGN.md")
            let folder = URL(fileURLWithPath: file).deletingLastPathComponent().relativePath
            for piece in text.components(separatedBy: "](").dropFirst() {
                guard let end = piece.firstIndex(of: ")") else { continue }
                let target = String(piece[..<end])
                if target.hasPrefix("http") { continue }
                links += 1
                let parts = target.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                let path = parts[0].isEmpty ? file : (folder == "." ? parts[0] : folder + "/" + parts[0])
                let url = Self.repository.appendingPathComponent(path).standardizedFileURL
                #expect(FileManager.default.fileExists(atPath: url.path), "\(file): link to a missing file: \(target)")
                if parts.count == 2 {
                    let linked = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
                    #expect(Self.headings(linked).contains(parts[1]), "\(file): no heading for link \(target)")
                }
            }
        }
        #expect(links >= 30)
    }

    /// GitHub's anchors of a document's headings.
    static func headings(_ text: String) -> Set<String> {
        var inFence = false
        return Set(text.components(separatedBy: "\n").filter { line in
            if line.hasPrefix("```") { inFence.toggle() }
            return !inFence && line.hasPrefix("#")
        }.map(anchor))
    }

    /// GitHub's anchor for a heading line: lower case, punctuation dropped, spaces to hyphens.
    static func anchor(_ heading: String) -> String {
        let text = heading.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces).lowercased()
        return String(text.compactMap { character -> Character? in
            if character == " " { return "-" }
            return character.isLetter || character.isNumber || character == "-" || character == "_" ? character : nil
        })
    }
}
