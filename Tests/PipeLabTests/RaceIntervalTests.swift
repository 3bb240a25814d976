import Foundation
@testable import PipeLabReport
@testable import PipeLabStore
import Testing

/// Issue 18: every races cell of the answer that gives a count gives its Wilson interval, also
/// when its row is short of room (`Reports/default.md` printed "up to 1s: 30 of 90" alone in the
/// one row whose kills cell was long) and also for few runs.
@Suite struct RaceIntervalTests {
    @Test(.timeLimit(.minutes(2))) func everyRacesCountKeepsItsIntervalInARowShortOfRoom() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let db = directory.appendingPathComponent("race.sqlite").path
        // Over a 20 ms round trip nothing from the peer reaches the client within a sleep of 0, so
        // every send succeeds there, while at 100ms the RST provoked by send #2 is back before
        // send #3: a race cell whose count every run decides alike, and fewer than 20 runs.
        let sweep = try CLI.run(["sweep", "--db", db, "--transport", "tcp4", "--peer", "close", "--sigpipe", "ignore",
                                 "--sleep", "0,100ms", "--sends", "3", "--payload", "5", "--rtt", "20ms", "--interval", "30ms",
                                 "--repeat", "6", "--quiet"])
        #expect(sweep.status == 0, "\(sweep.stderr)")
        let data = try Store(path: db, create: false).reportData(sweepIDs: [1])
        let table = AnswerTable(data.cells)
        let row = try #require(table.rows.first)
        let race = try #require(row.race, "no race in \(data.cells.map { "\($0.scenario.sleepNs) \($0.signature) \($0.runs)" })")

        // The count is the runs at sleep 0 that ended otherwise than most runs at 100ms did.
        let settled = try #require(Dictionary(data.cells.filter { $0.scenario.sleepNs > 0 }.map { ($0.signature, $0.runs - $0.disturbedRuns) },
                                              uniquingKeysWith: +).max { $0.value < $1.value }?.key)
        let atZero = data.cells.filter { $0.scenario.sleepNs == 0 }
        #expect(race.differing == atZero.filter { $0.signature != settled }.reduce(0) { $0 + $1.runs - $1.disturbedRuns })
        #expect(race.runs == atZero.reduce(0) { $0 + $1.runs - $1.disturbedRuns })
        let wilson = try #require(Wilson.interval(successes: race.differing, trials: race.runs))
        let interval = "CI \(Int((wilson.low * 100).rounded()))–\(Int((wilson.high * 100).rounded())) %"

        // The row in full, then in the width it has with the interval on one line, less one: the
        // row gives up what it must, never the interval.
        let full = try #require(table.markdown.split(separator: "\n").last.map(String.init))
        #expect(full.contains("\(race.differing) of \(race.runs), \(interval)"), "\(full)")
        let oneLine = MarkdownWidth.rowWidth(ReportShapeTests.cells(full).dropLast() + [row.racesCell(saying: false, broken: false)])
        for budget in [oneLine - 1, 40] {
            let narrow = try #require(table.markdown(rowBudget: budget).split(separator: "\n").last.map(String.init))
            let races = try #require(ReportShapeTests.cells(narrow).last)
            #expect(races.hasPrefix("\(race.span): \(race.differing) of \(race.runs),") && races.hasSuffix("<br>" + interval), "\(narrow)")
            if budget >= oneLine - 1 { #expect(MarkdownWidth.rowWidth(ReportShapeTests.cells(narrow)) <= budget, "\(narrow)") }
        }
    }
}
