import Foundation
@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabNetwork
@testable import PipeLabReport
@testable import PipeLabStore
@testable import PipeLabSweep
@testable import PipeLabWorker
import Testing

/// The report of the built-in grid, recorded for real, stays readable: at most 300 lines of
/// Markdown, no table row wider than GitHub's 980 px column holds (MarkdownWidth's budget of
/// visible characters), and every chart it links is beside it.
@Suite struct ReportShapeTests {
    @Test func theBuiltInGridsReportIsShortAndNarrow() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let sweep = try CLI.run(["sweep", "--quiet"], in: directory)
        #expect(sweep.status == 0, "\(sweep.stderr)")
        let report = try CLI.run(["report", "--out", "default.md"], in: directory)
        #expect(report.status == 0, "\(report.stderr)")
        let text = try String(contentsOf: directory.appendingPathComponent("default.md"), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count <= 300, "the report has \(lines.count) lines")
        for line in lines where line.hasPrefix("|") {
            let width = MarkdownWidth.rowWidth(Self.cells(String(line)))
            #expect(width <= MarkdownWidth.budget, "\(width) visible characters: \(line)")
        }
        #expect(!lines.contains { $0.hasSuffix(" ") })
        // Every linked chart exists.
        let links = text.components(separatedBy: "](").dropFirst().compactMap { $0.split(separator: ")").first.map(String.init) }
        #expect(links.contains { $0.hasSuffix("heatmap.svg") })
        for link in links where link.hasSuffix(".svg") {
            #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent(link).path), "\(link) is missing")
        }
    }

    /// A report whose every sleep is settled does not speak of short sleeps or races.
    @Test func aSettledSweepsReportClaimsNoRace() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let sweep = try CLI.run(["sweep", "--transport", "tcp4,unix", "--peer", "close,linger0", "--sigpipe", "ignore",
                                 "--sleep", "100ms", "--payload", "5", "--repeat", "2", "--quiet"], in: directory)
        #expect(sweep.status == 0, "\(sweep.stderr)")
        let report = try CLI.run(["report"], in: directory).stdout
        let races = report.components(separatedBy: "## Where it races and where it settles").last?
            .components(separatedBy: "## Why").first ?? ""
        #expect(races.contains("Nowhere"))
        #expect(!report.lowercased().contains("short sleep"))
        #expect(!report.contains("a race"))
    }

    @Test func wideTablesAreSplitByColumns() {
        let header = ["peer", "sigpipe"] + (1...30).map { "sleep \($0)ms" }
        let rows = [["close", "ignore"] + (1...30).map { _ in "A/B" }]
        let parts = MarkdownWidth.split(header: header, rows: rows, keep: 2)
        #expect(parts.count > 1)
        for part in parts {
            #expect(part.header.prefix(2) == ["peer", "sigpipe"])
            #expect(MarkdownWidth.rowWidth(part.header) <= MarkdownWidth.budget)
        }
        #expect(parts.flatMap { $0.header.dropFirst(2) } == Array(header.dropFirst(2)))
        #expect(MarkdownWidth.visible("`ok,EPIPE` \\| x &amp;") == 14)
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
