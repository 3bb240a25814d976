import Foundation
@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabStore
import Testing

/// Text and facts from a database someone else wrote: shown on the terminal, never obeyed; a
/// sweep from another host is not extended here unless asked.
@Suite struct UntrustedTextTests {
    static func database() throws -> String {
        let path = try temporaryDirectory().appendingPathComponent("lab.sqlite").path
        let sweep = try CLI.run(["sweep", "--transport", "unix", "--peer", "close", "--sigpipe", "ignore", "--sleep", "0",
                                 "--repeat", "2", "--quiet", "--db", path])
        #expect(sweep.status == 0, "\(sweep.stderr)")
        return path
    }

    static func hasControl(_ text: String) -> Bool {
        text.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n") || (0x7F...0x9F).contains($0.value) }
    }

    @Test func controlCharactersAreShownNotObeyed() throws {
        #expect(TerminalText.shown("a\u{1B}[2Jb\r\nc\u{7}\u{202E}d") == "a\\e[2Jb\\r\\nc\\x07\\u{202E}d")
        #expect(TerminalText.shown("line\n\tcell", keepingLineBreaks: true) == "line\n\tcell")
        let path = try Self.database()
        // ESC [2J clears a screen; CR LF and a pipe forge a row of the sweeps table.
        let crafted = "'x' || char(27) || '[2J' || char(13) || char(10) || '9  forged  completed' || char(7) || char(155)"
        #expect(try CLIShell.sqlite3(path, "UPDATE sweeps SET name = \(crafted); UPDATE hosts SET hostname = \(crafted);").status == 0)
        let sweeps = try CLI.run(["sweeps", "--db", path])
        #expect(sweeps.status == 0, "\(sweeps.stderr)")
        #expect(!Self.hasControl(sweeps.stdout) && sweeps.stdout.contains("x\\e[2J\\r\\n9  forged"), "\(sweeps.stdout)")
        #expect(sweeps.stdout.split(separator: "\n").count == 2)
        let report = try CLI.run(["report", "--db", path])
        #expect(report.status == 0, "\(report.stderr)")
        #expect(!Self.hasControl(report.stdout))
        // The Markdown file too: `cat report.md` obeys nothing in it.
        let out = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("report.md")
        #expect(try CLI.run(["report", "--db", path, "--out", out.path]).status == 0)
        let markdown = try String(contentsOf: out, encoding: .utf8)
        #expect(!Self.hasControl(markdown) && markdown.contains("x\\\\e\\[2J"), "\(markdown.prefix(300))")
        // An error message that quotes the name: one line, shown.
        let resume = try CLI.run(["sweep", "--resume", "1", "--db", path])
        #expect(resume.status == 64)
        #expect(!Self.hasControl(resume.stderr) && resume.stderr.contains("\\e[2J"), "\(resume.stderr)")
        #expect(resume.stderr.split(separator: "\n").count == 1)
    }

    /// A merged database holds other machines' sweeps: --resume refuses to file this machine's
    /// runs under another host unless --other-host asks for it.
    @Test func resumingAnotherHostsSweepIsAskedForExplicitly() throws {
        let path = try Self.database()
        #expect(try CLIShell.sqlite3(path, "PRAGMA foreign_keys = ON; UPDATE sweeps SET status = 'interrupted'; DELETE FROM runs WHERE id = (SELECT MAX(id) FROM runs); UPDATE hosts SET hostname = 'elsewhere';").status == 0)
        let refused = try CLI.run(["sweep", "--resume", "--db", path])
        #expect(refused.status == 64, "\(refused.stderr)")
        #expect(refused.stderr.contains("was recorded on elsewhere") && refused.stderr.contains("--other-host"), "\(refused.stderr)")
        #expect(refused.stderr.split(separator: "\n").count == 1)
        #expect(try CLIShell.sqlite3(path, "SELECT status FROM sweeps;").stdout == "interrupted\n")
        let asked = try CLI.run(["sweep", "--resume", "--other-host", "--quiet", "--db", path])
        #expect(asked.status == 0, "\(asked.stderr)")
        #expect(try CLIShell.sqlite3(path, "SELECT status FROM sweeps;").stdout == "completed\n")
        #expect(try CLI.run(["sweep", "--other-host", "--db", path]).status == 64)
    }
}
