import Foundation
@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabNetwork
@testable import PipeLabReport
@testable import PipeLabStore
@testable import PipeLabSweep
@testable import PipeLabWorker
import Testing

/// What `pipelab sweep` prints at its end, on real sweeps: the summary's budget, the matrix
/// behind `--matrix` (headers, shares, width, legend), and `--quiet`.
@Suite struct TerminalOutputTests {
    static let width = 100

    /// Every line within the terminal width and without trailing spaces.
    static func expectTidy(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            #expect(line.count <= width, "line of \(line.count) columns: \(line)", sourceLocation: sourceLocation)
            #expect(line.last != " ", "trailing space: '\(line)'", sourceLocation: sourceLocation)
        }
    }

    @Test func theBuiltInGridsSummaryFitsFortyLinesAndEndsWithTheNextCommand() throws {
        let directory = try temporaryDirectory()
        let output = try CLI.run(["sweep"], in: directory)
        #expect(output.status == 0, "\(output.stderr)")
        Self.expectTidy(output.stdout)
        let lines = output.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        #expect(lines.count <= 40, "\(lines.count) lines:\n\(output.stdout)")
        #expect(lines.first?.hasPrefix("ran 1380 cells, not every combination of 4 transport, 5 peer, 5 sigpipe") == true)
        #expect(lines.contains { $0.hasPrefix("  tcp4") && $0.contains(" close ") && $0.contains(": EPIPE") })
        #expect(lines.contains { $0.hasPrefix("racing: ") })
        // Every race count carries its Wilson interval, as the report's answer table does.
        let answer = lines.drop { !$0.hasPrefix("what the client sees") }.dropFirst().prefix { $0.hasPrefix("  ") }
            .joined(separator: " ").split(separator: " ").joined(separator: " ")
        let races = answer.matches(of: /differs [^:]+: \d+\/\d+/).count
        #expect(races > 0, "no race counted in the built-in grid:\n\(answer)")
        #expect(answer.matches(of: /differs [^:]+: \d+\/\d+, CI \d+–\d+ %/).count == races, "\(answer)")
        // One line per reason a combination cannot exist, each reason once.
        #expect(lines.filter { $0.contains("MSG_NOSIGNAL is a send(2) flag") }.count == 1)
        #expect(lines.last == "next: pipelab report 1 --out report.md")
        // --quiet: only the last two lines.
        let quiet = try CLI.run(["sweep", "--transport", "unix", "--peer", "close", "--sigpipe", "ignore", "--sleep", "10ms", "--quiet"], in: directory)
        #expect(quiet.stdout.split(separator: "\n").count == 2)
        #expect(quiet.stdout.hasSuffix("next: pipelab report 2 --out report.md\n"))
    }

    @Test func aMixedCellShowsEachSignaturesShareUnderHeaders() throws {
        // Sleeps of 0 to 50us race on loopback: some cell disagrees almost always; a machine so
        // loaded that none did gets two more tries before the test gives up.
        var found: (output: CLI.Output, db: String)?
        for _ in 0..<3 where found == nil {
            let directory = try temporaryDirectory()
            let output = try CLI.run(["sweep", "--transport", "tcp4,unix", "--peer", "close", "--sigpipe", "ignore", "--sleep", "0,25us,50us",
                                      "--sends", "3", "--payload", "5", "--repeat", "30", "--matrix"], in: directory)
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
        // Only the dimensions that vary get a header line.
        #expect(!lines.contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix("sends ") })
        #expect(lines.contains { $0.contains("= the cell's runs disagree") })

        // Each disagreeing cell, as the database counts it, appears on its row with its runs, in counts.
        let matrix = OutcomeMatrix(try Store(path: db, create: false).cellSignatures(sweepID: 1))
        for (row, _, cell) in matrix.nondeterministic {
            let expected = TerminalMatrix.shares(cell).joined(separator: " · ")
            let rowLine = lines.first { $0.split(separator: " ").prefix(3).map(String.init) == [row.transport.rawValue, row.peer.rawValue, row.sigpipe.rawValue] }
            #expect(rowLine?.contains(expected) == true, "row \(row) lacks '\(expected)': \(rowLine ?? "none")")
        }
        // (The answer's race counts below it carry their intervals in percent.)
        let matrixText = text.components(separatedBy: "\nran ")[0]
        #expect(!matrixText.contains("%"), "shares of 30 runs are counts in the matrix")
        #expect(text.contains("racing: \(matrix.nondeterministic.count) of 6 cells"))
    }

    @Test func cellsThatAgreeGetNoDisagreementLegend() throws {
        let directory = try temporaryDirectory()
        // Settled: tcp4 answers the late send with RST (ok,ok,EPIPE), a Unix socket fails at once.
        let output = try CLI.run(["sweep", "--transport", "tcp4,unix", "--peer", "close", "--sigpipe", "ignore", "--sleep", "10ms",
                                  "--sends", "3", "--payload", "5", "--repeat", "3", "--matrix"], in: directory)
        #expect(output.status == 0, "\(output.stderr)")
        Self.expectTidy(output.stdout)
        // A run the machine disturbed is marked `*`, but leaves no disagreement.
        let rows = output.stdout.split(separator: "\n").filter { $0.hasPrefix("tcp4 ") || $0.hasPrefix("unix ") }
        #expect(rows.count == 2 && rows[0].contains("  ..P") && rows[1].contains("  .PP"), "\(rows)")
        #expect(!output.stdout.contains("the cell's runs disagree"))
        #expect(!output.stdout.contains("%"))
        #expect(output.stdout.contains("racing: 0 of 2 cells"))
        #expect(output.stdout.contains("  tcp4 close  #3: EPIPE"))
        #expect(output.stdout.contains("  unix close  #2: EPIPE"))
    }

    @Test func oneRunIsSingular() throws {
        let directory = try temporaryDirectory()
        let output = try CLI.run(["sweep", "--transport", "unix", "--peer", "close", "--sigpipe", "ignore", "--sleep", "10ms",
                                  "--sends", "3", "--payload", "5", "--repeat", "1"], in: directory)
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.contains("sweep 1 'sweep' completed: 1 of 1 run, database pipelab.sqlite"))
        // A busy machine may make the one 10ms sleep late (a disturbed run): either count is in the singular or zero form.
        #expect(output.stdout.contains("racing: 0 of 1 cell (repeats disagree); disturbed: 0 runs in 0 cells")
                || output.stdout.contains("racing: 0 of 1 cell (repeats disagree); disturbed: 1 run in 1 cell (left out)"))
    }

    @Test func manyColumnsGoIntoBlocksThatRepeatTheRowLabels() throws {
        let directory = try temporaryDirectory()
        let sleeps = (0..<16).map { $0 == 0 ? "0" : "\($0)us" }
        let output = try CLI.run(["sweep", "--transport", "unix", "--peer", "close", "--sigpipe", "ignore", "--sleep", sleeps.joined(separator: ","),
                                  "--sends", "3", "--payload", "5,6", "--repeat", "1", "--matrix"], in: directory)
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
        let hint = try #require(text.firstMatch(of: /next: (.+) runs the rest/)).1
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
