import Foundation
import Testing

/// Issue 18, item 9, on the real emulated link: a lossy sweep's report names the cells of every
/// result it lists (never an empty list: "`ok,ok,ok` in  (259 runs)") and never rounds a share of
/// some runs to 0 % or of not all to 100 % ("C 0 %" for 1 run of 260).
@Suite struct LossSweepReportTests {
    @Test(.timeLimit(.minutes(5))) func aLossSweepsReportNamesItsCellsAndRoundsNoShareToNone() throws {
        let directory = try temporaryDirectory()
        let db = directory.appendingPathComponent("loss.sqlite").path
        let out = directory.appendingPathComponent("loss.md").path
        // One cell and a probe of two, so that results are listed with their cells, whatever the
        // losses decide; enough runs for shares to be given as percentages.
        let sweep = try CLI.run(["sweep", "--db", db, "--transport", "tcp4", "--peer", "close", "--sigpipe", "ignore",
                                 "--sleep", "100ms", "--sends", "3", "--probe", "none,poll", "--loss", "10%", "--repeat", "30",
                                 "--timeout", "5s"])
        #expect(sweep.status == 0, "\(sweep.stderr)")
        let report = try CLI.run(["report", "--db", db, "--out", out])
        #expect(report.status == 0, "\(report.stderr)")
        let markdown = try String(contentsOfFile: out, encoding: .utf8)
        for text in [markdown, sweep.stdout] {
            let lists = text.split(separator: "\n").filter { $0.contains("` in ") || $0.contains("** in ") }
            for line in lists {
                #expect(!line.contains(" in  (") && !line.contains(" in (") && !line.hasSuffix(" in "), "an empty cell list: \(line)")
            }
            for share in Self.shares(in: text) {
                #expect(share.percent != "0" || share.part == 0, "\(share)")
                #expect(share.percent != "100" || share.part == share.whole, "\(share)")
            }
        }
        #expect(Self.shares(in: markdown).contains { $0.whole >= 20 }, "the report gave no percentage: \(markdown)")
        #expect(markdown.contains("loss"), "\(markdown)")
    }

    struct Share: CustomStringConvertible {
        var part: Int, whole: Int, percent: String
        var description: String { "\(part) of \(whole) (\(percent) %)" }
    }

    /// Every `P of W (X %` in the text.
    static func shares(in text: String) -> [Share] {
        let pattern = /(\d+) of (\d+)(?: [a-z]+)? \((<1|>99|\d+) %/
        return text.matches(of: pattern).compactMap { match in
            guard let part = Int(match.1), let whole = Int(match.2) else { return nil }
            return Share(part: part, whole: whole, percent: String(match.3))
        }
    }
}
