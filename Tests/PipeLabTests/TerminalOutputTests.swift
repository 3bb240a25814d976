import Foundation
@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabNetwork
@testable import PipeLabReport
@testable import PipeLabStore
@testable import PipeLabSweep
@testable import PipeLabWorker
import Testing

/// What `pipelab sweep` prints at its end, on real sweeps: headers, shares, width, legend.
@Suite struct TerminalOutputTests {
    static let width = 100

    /// Every line within the terminal width and without trailing spaces.
    static func expectTidy(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            #expect(line.count <= width, "line of \(line.count) columns: \(line)", sourceLocation: sourceLocation)
            #expect(line.last != " ", "trailing space: '\(line)'", sourceLocation: sourceLocation)
        }
    }

    /// The letter of each signature, read from the printed legend (`  A = ok,ok,EPIPE   (…)`).
    static func legend(_ text: String) -> [String: String] {
        var letters: [String: String] = [:]
        for match in text.matches(of: /(?m)^  ([A-Z][0-9]*) = (\S+)   \(/) { letters[String(match.2)] = String(match.1) }
        return letters
    }

    @Test func aMixedCellShowsEachSignaturesShareUnderHeaders() throws {
        // Sleeps of 0 to 50us race on loopback: some cell disagrees almost always; a machine so
        // loaded that none did gets two more tries before the test gives up.
        var found: (output: CLI.Output, db: String)?
        for _ in 0..<3 where found == nil {
            let directory = try temporaryDirectory()
            let output = try CLI.run(["sweep", "--transport", "tcp4,unix", "--peer", "close", "--sigpipe", "ignore", "--sleep", "0,25us,50us",
                                      "--sends", "3", "--payload", "5", "--repeat", "30", "--quiet"], in: directory)
            #expect(output.status == 0, "\(output.stderr)")
            let db = directory.appendingPathComponent("pipelab.sqlite").path
            let cells = try Store(path: db, create: false).cellSignatures(sweepID: 1)
            if OutcomeMatrix(cells).nondeterministic.count > 0 { found = (output, db) }
        }
        let (output, db) = try #require(found, "no cell disagreed in three sweeps")
        let text = output.stdout
        Self.expectTidy(text)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("transport  peer   sigpipe") })
        let sleeps = try #require(lines.first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("sleep  0 ") })
        #expect(sleeps.contains("25us") && sleeps.contains("50us"))
        #expect(lines.contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix("sends  3") })
        #expect(lines.contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix("payload  5B") })
        #expect(lines.contains { $0.contains("= the cell's runs disagree") })

        // Each disagreeing cell, as the database counts it, appears on its row with its shares.
        let letters = Self.legend(text)
        let matrix = OutcomeMatrix(try Store(path: db, create: false).cellSignatures(sweepID: 1))
        for (row, _, cell) in matrix.nondeterministic {
            let counted = cell.undisturbed
            let total = counted.reduce(0) { $0 + $1.runs }
            let expected = counted.map { (letter: letters[$0.signature] ?? "?", runs: $0.runs) }
                .sorted { ($0.runs, $1.letter) > ($1.runs, $0.letter) }
                .map { "\($0.letter) \(Int((Double($0.runs) * 100 / Double(total)).rounded()))%" }
                .joined(separator: " · ")
            let rowLine = lines.first { $0.split(separator: " ").prefix(3).map(String.init) == [row.transport.rawValue, row.peer.rawValue, row.sigpipe.rawValue] }
            #expect(rowLine?.contains(expected) == true, "row \(row) lacks '\(expected)': \(rowLine ?? "none")")
        }
        #expect(text.contains("nondeterministic"))
        #expect(text.contains("\(matrix.nondeterministic.count) nondeterministic"))
    }

    @Test func cellsThatAgreeGetNoDisagreementLegend() throws {
        let directory = try temporaryDirectory()
        // Settled: tcp4 answers the late send with RST (ok,ok,EPIPE), a Unix socket fails at once.
        let output = try CLI.run(["sweep", "--transport", "tcp4,unix", "--peer", "close", "--sigpipe", "ignore", "--sleep", "10ms",
                                  "--sends", "3", "--payload", "5", "--repeat", "3", "--quiet"], in: directory)
        #expect(output.status == 0, "\(output.stderr)")
        Self.expectTidy(output.stdout)
        // A run the machine disturbed is listed with its signature, but leaves no disagreement.
        let legend = Self.legend(output.stdout)
        #expect(legend["ok,ok,EPIPE"] != nil && legend["ok,EPIPE,EPIPE"] != nil)
        #expect(legend.count == 2 || output.stdout.contains("the machine disturbed"), "\(legend)")
        #expect(!output.stdout.contains("disagree"))
        #expect(!output.stdout.contains("%"))
        #expect(output.stdout.contains("6 of 6 runs recorded in 2 cells, 0 nondeterministic"))
    }

    @Test func oneRunIsSingular() throws {
        let directory = try temporaryDirectory()
        let output = try CLI.run(["sweep", "--transport", "unix", "--peer", "close", "--sigpipe", "ignore", "--sleep", "10ms",
                                  "--sends", "3", "--payload", "5", "--repeat", "1", "--quiet"], in: directory)
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.contains("= ok,EPIPE,EPIPE   (1 run in 1 cell)"))
        #expect(output.stdout.contains("1 of 1 run recorded in 1 cell, 0 nondeterministic"))
    }

    @Test func manyColumnsGoIntoBlocksThatRepeatTheRowLabels() throws {
        let directory = try temporaryDirectory()
        let sleeps = (0..<16).map { $0 == 0 ? "0" : "\($0)us" }
        let output = try CLI.run(["sweep", "--transport", "unix", "--peer", "close", "--sigpipe", "ignore", "--sleep", sleeps.joined(separator: ","),
                                  "--sends", "3", "--payload", "5,6", "--repeat", "1", "--quiet"], in: directory)
        #expect(output.status == 0, "\(output.stderr)")
        Self.expectTidy(output.stdout)
        let lines = output.stdout.split(separator: "\n").map(String.init)
        let blocks = lines.filter { $0.hasPrefix("transport  peer") }.count
        #expect(blocks >= 2)
        #expect(lines.filter { $0.hasPrefix("unix       close") }.count == blocks)
        let sleepHeaders = lines.filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("sleep ") }
        #expect(sleepHeaders.count == blocks)
        let shown = sleepHeaders.flatMap { $0.split(separator: " ").dropFirst().map(String.init) }
        #expect(shown.count == 32)
        #expect(Set(shown) == Set(sleeps))
    }

    @Test func anInterruptedSweepsResumeHintNamesTheDatabaseQuoted() throws {
        let directory = try temporaryDirectory()
        // 20 runs of 300 ms on 2 workers take about 3 s; SIGINT lands after 1 s.
        let output = try CLI.run(["sweep", "--transport", "tcp4,unix", "--peer", "close", "--sigpipe", "ignore", "--sleep", "300ms",
                                  "--sends", "3", "--payload", "5", "--repeat", "10", "--jobs", "2", "--quiet", "--db", "my lab.sqlite"],
                                 in: directory, interruptAfter: 1.0)
        #expect(output.status == 130)
        let text = output.stdout
        Self.expectTidy(text)
        let hint = try #require(text.firstMatch(of: /interrupted: `([^`]+)` runs the rest/)).1
        #expect(hint == "pipelab sweep --resume 1 --db 'my lab.sqlite'")
        // The hint, pasted into a shell, finishes the sweep.
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", "PATH=\(URL(fileURLWithPath: CLI.binary).deletingLastPathComponent().path):$PATH; " + hint + " --quiet"]
        shell.currentDirectoryURL = directory
        shell.standardOutput = FileHandle.nullDevice
        try shell.run()
        shell.waitUntilExit()
        #expect(shell.terminationStatus == 0)
        let status = try CLIShell.sqlite3(directory.appendingPathComponent("my lab.sqlite").path, "SELECT status, (SELECT COUNT(*) FROM runs) FROM sweeps;")
        #expect(status.stdout == "completed|20\n")
    }

    @Test func aSweepInTheDefaultDatabaseIsResumedWithoutDashDashDb() throws {
        let sweep = SweepRecord(id: 4, uuid: "01a21608-aaaa-7000-8000-000000000001", name: "x", status: .interrupted, spec: "{}",
                                commandLine: "", pipelabVersion: PipeLabVersion.current, startedAt: "", endedAt: nil, plannedRuns: 2,
                                skippedCells: 0, host: HostInfo(hostname: "h", kernel: "k", os: "o", arch: "a", cpus: 1, sysctls: "{}"),
                                recordedRuns: 1)
        #expect(SweepSummary.resumeCommand(sweep, databaseArgument: nil) == "pipelab sweep --resume 4")
        #expect(SweepSummary.resumeCommand(sweep, databaseArgument: "-odd.sqlite") == "pipelab sweep --resume 4 --db=-odd.sqlite")
    }
}
