import Foundation
@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabNetwork
@testable import PipeLabReport
@testable import PipeLabStore
@testable import PipeLabSweep
@testable import PipeLabWorker
import Testing

/// README.md promises that every command in its ```sh blocks runs as written, in the order shown,
/// after the Quick start. This runs them so, with bash, in a fresh folder.
///
/// The convention the README follows (and states under "Development"):
/// - every line of a ```sh block is a command (a trailing `\` continues it; blank lines and
///   comment lines are ignored); output examples live in plain ``` blocks;
/// - a command must exit 0, or the code its trailing comment names: `# exits 130`;
/// - `swift run [-c release] pipelab ARGS` runs as `pipelab ARGS`, and other lines whose first
///   word is `swift` are skipped: this test runs inside `swift test`, with the `pipelab` binary
///   that build made, which `PATH` leads to;
/// - a block preceded by the line `<!-- not run by the tests: REASON -->` is not run (a cluster,
///   root, minutes of benchmark); the test prints how many there are and why.
@Suite struct ReadmeCommandTests {
    struct Command {
        var text: String
        var line: Int
        var expectedStatus: Int32
    }

    struct Extracted {
        var commands: [Command] = []
        var skippedSwiftLines: [String] = []
        var unrunBlocks: [(line: Int, reason: String)] = []
        /// Lines of ```sh blocks that look like shown output, which the convention forbids.
        var outputLines: [Int] = []
    }

    static let marker = "<!-- not run by the tests:"

    static func extract(_ readme: String) -> Extracted {
        var result = Extracted()
        let lines = readme.components(separatedBy: "\n")
        var fence: (isShell: Bool, runs: Bool)?
        var pending: (text: String, line: Int)?
        for (index, line) in lines.enumerated() {
            let number = index + 1
            if line.hasPrefix("```") {
                if fence == nil {
                    let previous = index > 0 ? lines[index - 1].trimmingCharacters(in: .whitespaces) : ""
                    let isShell = line.dropFirst(3).trimmingCharacters(in: .whitespaces) == "sh"
                    let marked = previous.hasPrefix(marker)
                    if isShell && marked {
                        let reason = previous.dropFirst(marker.count).replacingOccurrences(of: "-->", with: "")
                        result.unrunBlocks.append((number, reason.trimmingCharacters(in: .whitespaces)))
                    }
                    fence = (isShell, isShell && !marked)
                } else {
                    fence = nil
                }
                continue
            }
            guard let current = fence, current.runs else { continue }
            let joined = (pending?.text ?? "") + line
            let start = pending?.line ?? number
            if joined.hasSuffix("\\") {
                pending = (String(joined.dropLast()), start)
                continue
            }
            pending = nil
            let trimmed = joined.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            if trimmed.hasPrefix("$ ") { result.outputLines.append(start); continue }
            let words = trimmed.split(separator: " ")
            if words.first == "swift" {
                // `swift run [-c release] pipelab ARGS` is the binary this test already has.
                if words.count > 2, words[1] == "run", let product = words.firstIndex(of: "pipelab") {
                    let command = "pipelab " + words[(product + 1)...].joined(separator: " ")
                    result.commands.append(Command(text: command, line: start, expectedStatus: expectedStatus(trimmed)))
                } else {
                    result.skippedSwiftLines.append(trimmed)
                }
                continue
            }
            result.commands.append(Command(text: trimmed, line: start, expectedStatus: expectedStatus(trimmed)))
        }
        return result
    }

    /// The exit code a trailing `# exits N` comment names, else 0.
    static func expectedStatus(_ command: String) -> Int32 {
        guard let comment = command.range(of: " # exits ") else { return 0 }
        let digits = command[comment.upperBound...].prefix { $0.isNumber }
        return Int32(digits) ?? 0
    }

    /// One bash script: the commands in order, each followed by a check of its exit code that
    /// names the README line of the first command to fail.
    static func script(_ commands: [Command]) -> String {
        var script = "set -o pipefail\n"
        for command in commands {
            script += """
                \(command.text)
                status=$?
                if [ "$status" -ne \(command.expectedStatus) ]; then
                  echo "README.md line \(command.line): exit $status, expected \(command.expectedStatus)" >&2; exit 100
                fi

                """
        }
        return script + "echo 'every README command ran'\n"
    }

    static var repository: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    @Test func everyShellCommandRunsAsWrittenInOrder() throws {
        let extracted = Self.extract(ReadmeTests.readme)
        #expect(extracted.outputLines.isEmpty, "```sh blocks show output at README.md lines \(extracted.outputLines): use a plain ``` block")
        #expect(extracted.commands.count >= 25, "only \(extracted.commands.count) commands found: is README.md's convention still ```sh?")
        print("README: running \(extracted.commands.count) commands; skipped \(extracted.skippedSwiftLines.count) `swift` lines "
              + "(the test runs the binary `swift test` built): \(extracted.skippedSwiftLines)")
        for block in extracted.unrunBlocks { print("README: block at line \(block.line) not run: \(block.reason)") }

        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.copyItem(at: Self.repository.appendingPathComponent("Examples"),
                                         to: directory.appendingPathComponent("Examples"))
        let scriptURL = directory.appendingPathComponent("readme-commands.sh")
        try Self.script(extracted.commands).write(to: scriptURL, atomically: true, encoding: .utf8)
        let binaries = URL(fileURLWithPath: CLI.binary).deletingLastPathComponent().path
        let path = binaries + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let started = Date()
        // A generous bound, so that a command that hangs fails the test instead of blocking it.
        let output = try CLI.run(["600", "bash", scriptURL.path], in: directory, environment: ["PATH": path],
                                 executable: "/usr/bin/timeout")
        print("README: commands took \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        guard output.status == 0 else {
            let failed = extracted.commands.first { output.stderr.contains("README.md line \($0.line):") }
            Issue.record("\(failed?.text ?? "the script") failed:\n\(output.stderr.suffix(3000))")
            return
        }
        let finished = output.stdout.hasSuffix("every README command ran\n")
        #expect(finished)
        // What the examples say they make is there.
        for made in ["pipelab.sqlite", "report.md", "runs.sqlite", "lab.sqlite", "lab.md", "race-window.md",
                     "settled-a-vs-settled-b.md", "merged.sqlite", "merged.md"] {
            #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent(made).path), "no \(made)")
        }
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
            """
        let extracted = Self.extract(sample)
        #expect(extracted.commands.map(\.text) == ["pipelab sweep --repeat 2     --name a    # exits 130", "pipelab sweeps"])
        #expect(extracted.commands.map(\.expectedStatus) == [130, 0])
        #expect(extracted.commands.map(\.line) == [2, 7])
        #expect(extracted.skippedSwiftLines == ["swift build"])
        #expect(extracted.unrunBlocks.map(\.reason) == ["needs a cluster"])
        #expect(extracted.outputLines.isEmpty)
    }

    /// The README stands alone: no pointer to a design document the repository does not have,
    /// and every relative link leads to a file or a heading that exists.
    @Test func linksLeadSomewhere() throws {
        let readme = ReadmeTests.readme
        #expect(!readme.contains("DESIGN.md"))
        var inFence = false
        let headings = Set(readme.components(separatedBy: "\n").filter { line in
            if line.hasPrefix("```") { inFence.toggle() }
            return !inFence && line.hasPrefix("#")
        }.map(Self.anchor))
        var links = 0
        for piece in readme.components(separatedBy: "](").dropFirst() {
            guard let end = piece.firstIndex(of: ")") else { continue }
            let target = String(piece[..<end])
            if target.hasPrefix("http") { continue }
            links += 1
            if target.hasPrefix("#") {
                #expect(headings.contains(String(target.dropFirst())), "no heading for link \(target)")
            } else {
                let file = Self.repository.appendingPathComponent(String(target.prefix { $0 != "#" }))
                #expect(FileManager.default.fileExists(atPath: file.path), "link to a missing file: \(target)")
            }
        }
        #expect(links >= 10)
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
