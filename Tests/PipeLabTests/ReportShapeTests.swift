import Foundation
@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabNetwork
@testable import PipeLabReport
@testable import PipeLabStore
@testable import PipeLabSweep
@testable import PipeLabWorker
import Testing

/// The report of the built-in grid, recorded for real as Reports/generate.sh records it, stays
/// within the budgets a reader has (issue 17): at most 5,000 words and 40 KB of Markdown, no
/// paragraph or list item over 700 characters, no table row over 160 visible characters, the
/// answer table right after a header of at most 6 lines, and every chart it links beside it.
/// The counts hold whatever the machine disturbs: a disturbed run moves between sections, it adds
/// none of the size budgeted.
@Suite struct ReportShapeTests {
    static let words = 5_000, bytes = 40_000, paragraph = 700, row = 160, header = 6, heatmapHeight = 2_200.0
    /// Characters of the answer's intro before its table: at 980 px GitHub sets about 110 to a line,
    /// so with the title and header the table starts within the first 400 px (measured: 326 px).
    static let intro = 600

    @Test func theBuiltInGridsReportKeepsItsBudgets() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let sweep = try CLI.run(["sweep", "--capture", "--quiet"], in: directory)
        #expect(sweep.status == 0, "\(sweep.stderr)")
        let report = try CLI.run(["report", "--out", "default.md"], in: directory)
        #expect(report.status == 0, "\(report.stderr)")
        let text = try String(contentsOf: directory.appendingPathComponent("default.md"), encoding: .utf8)
        #expect(text.utf8.count <= Self.bytes, "\(text.utf8.count) bytes")
        let words = text.split { $0 == " " || $0 == "\n" }.count
        #expect(words <= Self.words, "\(words) words")
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for line in lines where !line.hasPrefix("|") {
            #expect(line.count <= Self.paragraph, "a paragraph or list item of \(line.count) characters: \(line.prefix(120))…")
        }
        for line in lines where line.hasPrefix("|") {
            let width = MarkdownWidth.rowWidth(Self.cells(line))
            #expect(width <= Self.row, "\(width) visible characters: \(line)")
        }
        #expect(!lines.contains { $0.hasSuffix(" ") })
        // The answer first: the title, a header of at most 6 lines, then the answer table.
        #expect(lines.first?.hasPrefix("# pipelab report: ") == true)
        let answer = try #require(lines.firstIndex(of: "## The answer"))
        let header = lines[1..<answer].filter { !$0.isEmpty }
        #expect(header.count <= Self.header, "a header of \(header.count) lines")
        #expect(!header.contains { $0.hasPrefix("#") || $0.hasPrefix("|") || $0.hasPrefix("!") })
        let table = try #require(lines.firstIndex { $0.hasPrefix("| transport | peer | fails first | kills | at shorter sleeps |") })
        let intro = lines[(answer + 1)..<table].joined()
        #expect(intro.count <= Self.intro, "\(intro.count) characters before the answer table")
        #expect(!lines[(answer + 1)..<table].contains { $0.hasPrefix("#") || $0.hasPrefix("!") || $0.hasPrefix("|") })
        #expect(lines[table + 2].hasPrefix("| tcp4") && lines[table + 2].contains("| close | send \\#"), "\(lines[table + 2])")
        // Bookkeeping last: the impossible combinations are the last section.
        #expect(lines.last { $0.hasPrefix("## ") } == "## Not run: combinations that cannot exist")
        // Every linked chart exists.
        let links = text.components(separatedBy: "](").dropFirst().compactMap { $0.split(separator: ")").first.map(String.init) }
        #expect(links.contains { $0.hasSuffix("heatmap.svg") })
        for link in links where link.hasSuffix(".svg") {
            #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent(link).path), "\(link) is missing")
        }
        // The heatmap of every probe and network reads on two screens (1,100 px each), as drawn at its size.
        let heatmap = try String(contentsOf: directory.appendingPathComponent("default-heatmap.svg"), encoding: .utf8)
        let height = try #require(heatmap.firstMatch(of: /height="([0-9.]+)"/).flatMap { Double($0.1) })
        #expect(height <= Self.heatmapHeight, "the heatmap is \(height) px tall")
    }

    /// A report whose every sleep is settled does not speak of short sleeps or races.
    @Test func aSettledSweepsReportClaimsNoRace() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let sweep = try CLI.run(["sweep", "--transport", "tcp4,unix", "--peer", "close,linger0", "--sigpipe", "ignore",
                                 "--sleep", "100ms", "--payload", "5", "--repeat", "2", "--quiet"], in: directory)
        #expect(sweep.status == 0, "\(sweep.stderr)")
        let report = try CLI.run(["report"], in: directory).stdout
        let races = report.components(separatedBy: "## Where it races").last?
            .components(separatedBy: "## Why").first ?? ""
        #expect(races.contains("Nowhere"))
        #expect(!report.lowercased().contains("short sleep"))
        #expect(!report.contains("a race"))
    }

    /// A row of the answer that says much (counts for both failures and deaths, a race to the
    /// longest sleep) gives up detail until it fits, the most frequent failure last of all, and
    /// never the race's interval.
    @Test func anAnswerRowStaysWithinTheRowBudgetWhateverItSays() throws {
        var table = AnswerTable([])
        table.hasDefault = true
        table.rows = [.init(transports: [.tcp4, .tcp6, .unix], peer: .shutdownReadWrite,
                            fails: "send #2: ECONNRESET, then EPIPE in 18 of 30; send #3: EPIPE in 11 of 30; other in 1 of 30",
                            kills: "killed in send #3 in 9 of 11; killed in send #2 in 2 of 11",
                            race: .init(span: "up to 1s", differing: 24, runs: 83, mostly: "send #3: a short write, then ECONNRESET"))]
        let row = try #require(table.markdown.split(separator: "\n").last.map(String.init))
        #expect(MarkdownWidth.rowWidth(Self.cells(row)) <= Self.row, "\(row)")
        #expect(row.contains("send \\#2: ECONNRESET, then EPIPE in 18 of 30"))
        #expect(row.contains("up to 1s: 24 of 83,<br>CI 20–39 %"), "\(row)")
    }

    @Test func aCellsWidthIsWhatAReaderSees() {
        #expect(MarkdownWidth.visible("`ok,EPIPE` \\| x &amp;") == 14)
        #expect(MarkdownWidth.visible("send \\#2<br>CI 20–39 %") == 10)
        #expect(MarkdownWidth.rowWidth(["a", "`bc`"]) == 10)
    }

    /// A table row's cells: split at the pipes that are not escaped.
    static func cells(_ line: String) -> [String] {
        var cells: [String] = [], current = "", escaped = false
        for character in line.dropFirst() {
            if character == "|" && !escaped {
                cells.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
            } else {
                current.append(character)
            }
            escaped = character == "\\" && !escaped
        }
        return cells
    }
}
