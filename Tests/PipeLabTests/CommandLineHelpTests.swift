import Foundation
@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabNetwork
@testable import PipeLabReport
@testable import PipeLabStore
@testable import PipeLabSweep
@testable import PipeLabWorker
import Testing

/// Help, version, shell completions and sweep selectors, as the binary gives them.
@Suite struct CommandLineHelpTests {
    @Test func sweepHelpShowsEveryDefault() throws {
        let help = try CLI.run(["sweep", "--help"])
        #expect(help.status == 0)
        // Help wraps long lines; the defaults are read with the wrapping undone.
        let text = help.stdout.replacingOccurrences(of: #"\s+"#, with: " ", options: .regularExpression)
        // A dimension left out: its run default; none given at all: the built-in grid.
        #expect(text.contains("A dimension left out takes its single `pipelab run` default"))
        #expect(text.contains("with no dimension flag at all (and none in --spec), the built-in grid"))
        for dimension in Dimensions.all {
            let line = try #require(text.firstRange(of: "\(dimension.flag) <"), "no \(dimension.flag) in help")
            let rest = text[line.upperBound...].prefix(400)
            #expect(rest.contains("(left out: \(dimension.format(dimension.runDefault)), as in `pipelab run`; with no dimension flag at all: the built-in grid's \(dimension.format(dimension.builtIn)))"),
                    "\(dimension.flag): \(rest)")
        }
        for (option, value) in [("repeat", "3"), ("timeout", "5s"), ("name", "sweep"), ("order", "grid"), ("seed", "1")] {
            let line = try #require(text.firstRange(of: "--\(option) <"), "no --\(option) in help")
            let rest = text[line.upperBound...].prefix(200)
            #expect(rest.contains("(default: \(value))"), "--\(option): \(rest)")
        }
        let jobs = "(default: 2 per usable CPU (affinity and cgroup quota); 16 per CPU, at least 8 and at most 64, when the grid sleeps 1ms or more: "
            + "\(SweepSpec.defaultJobs(sleeps: [0])) or \(SweepSpec.defaultJobs(sleeps: [1_000_000])) here)"
        #expect(text.contains(jobs))
    }

    @Test func everyCommandsHelpHasAnExample() throws {
        for command in ["run", "sweep", "sweeps", "report", "compare", "migrate"] {
            let help = try CLI.run([command, "--help"])
            #expect(help.status == 0)
            #expect(help.stdout.contains("Example"), "\(command) --help has no example")
            #expect(help.stdout.contains("\n  pipelab \(command)"), "\(command) --help shows no command line")
        }
    }

    @Test func versionNamesTheProgram() throws {
        let output = try CLI.run(["--version"])
        #expect(output.status == 0)
        #expect(output.stdout == "pipelab \(PipeLabVersion.current)\n")
        #expect(PipeLabVersion.current == "0.2.0")
    }

    @Test func bashCompletesTheEnumeratedValues() throws {
        let script = try CLI.run(["--generate-completion-script", "bash"])
        #expect(script.status == 0)
        for value in Transport.allCases.map(\.rawValue) + PeerAction.allCases.map(\.rawValue) + SigpipeMode.allCases.map(\.rawValue) + ["shuffle"] {
            #expect(script.stdout.contains("'\(value)'"), "the script lacks \(value)")
        }
        #expect(script.stdout.contains("'tcp4,tcp6,unix,pipe'"))
        // And bash itself offers them, as it would on Tab.
        #expect(try Self.complete(script.stdout, ["pipelab", "sweep", "--transport", ""]) == ["tcp4", "tcp6", "unix", "pipe", "tcp4,tcp6,unix,pipe"])
        #expect(try Self.complete(script.stdout, ["pipelab", "run", "--sigpipe", "n"]) == ["nosignal"])
        #expect(try Self.complete(script.stdout, ["pipelab", "sweep", "--order", ""]) == ["grid", "shuffle"])
    }

    /// What the completion function offers for the last word of `words`.
    static func complete(_ script: String, _ words: [String]) throws -> [String] {
        let directory = try temporaryDirectory()
        let file = directory.appendingPathComponent("pipelab.bash")
        try Data(script.utf8).write(to: file)
        let quoted = words.map(ReproduceCommand.shellQuoted).map { $0.isEmpty ? "''" : $0 }
        let line = words.joined(separator: " ")
        let program = """
            source \(file.path)
            COMP_WORDS=(\(quoted.joined(separator: " "))); COMP_CWORD=\(words.count - 1)
            COMP_LINE=\(ReproduceCommand.shellQuoted(line)); COMP_POINT=${#COMP_LINE}
            _pipelab pipelab "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
            printf '%s\\n' "${COMPREPLY[@]}"
            """
        let output = try CLI.run(["-c", program], executable: "/bin/bash")
        return output.stdout.split(separator: "\n").map(String.init)
    }

    @Test func anAmbiguousUUIDPrefixListsTheCandidates() throws {
        let directory = try temporaryDirectory()
        for name in ["first", "second"] {
            let output = try CLI.run(["sweep", "--transport", "unix", "--peer", "close", "--sigpipe", "ignore", "--sleep", "0",
                                      "--payload", "5", "--repeat", "1", "--quiet", "--name", name], in: directory)
            #expect(output.status == 0, "\(output.stderr)")
        }
        let db = directory.appendingPathComponent("pipelab.sqlite").path
        // Sweeps started within the same minute: UUIDv7s that share their first 12 characters.
        _ = try CLIShell.sqlite3(db, """
            UPDATE sweeps SET uuid = '01a21608-aaa' || id || '-7000-8000-00000000000' || id;
            """)
        for arguments in [["report", "01a21608"], ["compare", "01a21608-aa", "1"]] {
            let output = try CLI.run(arguments, in: directory)
            #expect(output.status == 64)
            #expect(output.stdout.isEmpty)
            #expect(output.stderr == "pipelab: sweep '\(arguments[1])' is ambiguous: it begins the UUIDs of 2 sweeps: "
                + "1 'first' 01a21608-aaa1-7000-8000-000000000001, 2 'second' 01a21608-aaa2-7000-8000-000000000002; "
                + "accepted: a longer UUID prefix, an id or a name\n")
        }
        let listed = try CLI.run(["sweeps"], in: directory)
        #expect(listed.stdout.contains("  01a21608-aaa1\n") && listed.stdout.contains("  01a21608-aaa2\n"))
        let report = try CLI.run(["report", "01a21608-aaa2"], in: directory)
        #expect(report.status == 0, "\(report.stderr)")
        #expect(report.stdout.contains("second"))
    }
}
