import Foundation
import FoundationXML
@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabNetwork
@testable import PipeLabReport
@testable import PipeLabStore
@testable import PipeLabSweep
@testable import PipeLabWorker
import Testing

/// The report's charts drawn from a real sweep: well-formed SVG that rsvg-convert draws, readable
/// font sizes, and the kernel's outcomes in the right colours.
@Suite struct ChartTests {
    /// One real sweep shared by the tests: tcp4 and pipe (pipe + linger0 cannot exist), peer close
    /// and linger0, sigpipe ignore and default, three sleeps, five repeats; a name that needs escaping.
    static let sweep = chartData(["--transport", "tcp4,pipe", "--peer", "close,linger0", "--repeat", "5"])

    /// A real sweep's chart data: sigpipe ignore and default, sleeps 0, 10ms and 100ms (10ms, not
    /// 1ms: a busy machine makes a 1ms sleep late, and disturbed runs would take a sleep out of the
    /// race window), 3 sends of 5 bytes, the escaping name, and the grid the arguments add.
    static func chartData(_ arguments: [String]) -> Result<ChartData, TestFailure> {
        do {
            let directory = try temporaryDirectory()
            let output = try CLI.run(["sweep", "--sigpipe", "ignore,default", "--sleep", "0,10ms,100ms", "--sends", "3", "--payload", "5",
                                      "--jobs", "8", "--name", "charts <&> 'test'", "--quiet"] + arguments, in: directory)
            guard output.status == 0 else { return .failure(TestFailure("pipelab sweep exited \(output.status): \(output.stderr)")) }
            let store = try Store(path: directory.appendingPathComponent("pipelab.sqlite").path, create: false)
            return .success(try store.chartData(sweepIDs: [try store.findSweep("latest").id]))
        } catch {
            return .failure(TestFailure("\(error)"))
        }
    }

    static func charts() throws -> [ReportChart] { ReportCharts.all(try sweep.get()) }

    /// The race window needs a family whose outcome moves with the sleep, and on loopback only
    /// the sleep-0 race moves it. How often sleep 0 races depends on the machine's load (1 to 8
    /// of 12 runs seen), so this sweep gives sleep 0 enough runs that a race shows even when the
    /// kernel lets only one in twenty-five through (0.96^60 < 0.1 %).
    static let raceSweep = chartData(["--transport", "tcp4", "--peer", "close", "--repeat", "60"])

    /// The fill of the widest stripe of each heatmap square, by the square's title.
    static func squareFills(_ svg: String) throws -> [String: (fill: String, text: String?)] {
        let document = try XMLDocument(data: Data(svg.utf8))
        var fills: [String: (String, String?)] = [:]
        for group in try document.nodes(forXPath: "//*[local-name()='g']") {
            guard let element = group as? XMLElement,
                  let title = element.elements(forName: "title").first?.stringValue else { continue }
            let widest = element.elements(forName: "rect").max {
                Double(attribute($0, "width") ?? "") ?? 0 < Double(attribute($1, "width") ?? "") ?? 0
            }
            fills[title] = (widest.flatMap { attribute($0, "fill") } ?? "", element.elements(forName: "text").first?.stringValue)
        }
        return fills
    }

    /// FoundationXML's `attribute(forName:)` finds nothing in a document with a default namespace.
    static func attribute(_ element: XMLElement, _ name: String) -> String? {
        element.attributes?.first { $0.name == name }?.stringValue
    }

    @Test func heatmapColoursAreTheKernelsOutcomes() throws {
        let heatmap = try #require(try Self.charts().first { $0.name == "heatmap" })
        let fills = try Self.squareFills(heatmap.svg)
        func square(_ prefix: String) -> (fill: String, text: String?)? { fills.first { $0.key.hasPrefix(prefix) }?.value }
        // A settled 100ms sleep: the FIN then the RST make send #3 fail with EPIPE ...
        #expect(square("tcp4/close/ignore/100ms/3/5: ")?.fill == FirstFailure.epipe.color)
        #expect(square("tcp4/close/ignore/100ms/3/5: ")?.text == "3")
        // ... which kills the process under the default disposition;
        #expect(square("tcp4/close/default/100ms/3/5: ")?.fill == FirstFailure.killedBySigpipe.color)
        #expect(square("tcp4/close/default/100ms/3/5: ")?.text == "3")
        // an abortive close resets the connection: ECONNRESET at send #2, without a signal.
        #expect(square("tcp4/linger0/ignore/100ms/3/5: ")?.fill == FirstFailure.econnreset.color)
        #expect(square("tcp4/linger0/default/100ms/3/5: ")?.fill == FirstFailure.econnreset.color)
        #expect(square("tcp4/linger0/ignore/100ms/3/5: ")?.text == "2")
        // Under the default disposition the process goes on and SIGPIPE kills it at the next send:
        // a band in the colour of death, and the tooltip names the send.
        #expect(fills.keys.contains { $0.hasPrefix("tcp4/linger0/default/100ms/3/5: ") && $0.contains("then killed by SIGPIPE at send 3") })
        #expect(!fills.keys.contains { $0.hasPrefix("tcp4 linger0 ignore ") && $0.contains("killed") })
        // The legend says at which send: the squares carry the first failure's number.
        #expect(heatmap.svg.contains(">then killed by SIGPIPE at send 3</text>"))
        // A pipe without a reader: EPIPE at the first write after the close.
        #expect(square("pipe/close/ignore/100ms/3/5: ")?.fill == FirstFailure.epipe.color)
        #expect(square("pipe/close/default/100ms/3/5: ")?.fill == FirstFailure.killedBySigpipe.color)
        // pipe + linger0 cannot exist: hatched, one square per column.
        let inapplicable = fills.filter { $0.key.hasPrefix("pipe/linger0/") }
        #expect(inapplicable.count == 6)
        #expect(inapplicable.allSatisfy { $0.value.fill == "url(#inapplicable)" && $0.key.contains(": cannot exist, not run: SO_LINGER is a socket option") })
        #expect(fills.count == 8 * 3)
        #expect(heatmap.svg.contains(">killed by SIGPIPE</text>"))
        #expect(!heatmap.svg.contains(">short write</text>"), "the legend lists only what is drawn")
    }

    /// The squares of a heatmap by their mark: coloured (runs), hatched (cannot exist), dashed (missing).
    static func squareKinds(_ svg: String) throws -> (ran: [String], impossible: [String], missing: [String]) {
        let fills = try squareFills(svg)
        let impossible = fills.filter { $0.value.fill == "url(#inapplicable)" }.map(\.key)
        let missing = fills.filter { $0.value.fill == "white" }.map(\.key)
        let ran = fills.filter { $0.value.fill.hasPrefix("#") }.map(\.key)
        return (ran, impossible, missing)
    }

    /// A probe-only sweep (issue 16): one cell, three probes. The heatmap draws a facet per probe,
    /// each titled apart, every cell that ran in its colours; the terminal matrix gives each probe a
    /// column under a `probe` header, with no mark for a missing or impossible cell.
    @Test func aProbeOnlySweepIsLabelledPerProbeInTheHeatmapAndTheTerminal() throws {
        let directory = try temporaryDirectory()
        let output = try CLI.run(["sweep", "--sleep", "10ms", "--probe", "none,so-error,recv", "--repeat", "1", "--matrix"], in: directory)
        #expect(output.status == 0, "\(output.stderr)")
        let store = try Store(path: directory.appendingPathComponent("pipelab.sqlite").path, create: false)
        let svg = Heatmap.svg(try store.chartData(sweepIDs: [1]))
        let titles = ["probe none", "probe so-error", "probe recv"]
        #expect(titles.allSatisfy { svg.contains(">\($0)</text>") }, "\(svg)")
        let squares = try Self.squareKinds(svg)
        #expect(squares.ran.count == 3 && squares.impossible.isEmpty && squares.missing.isEmpty, "\(squares)")
        #expect(Set(squares.ran.map { $0.prefix { $0 != ":" } }) == ["tcp4/close/ignore/10ms/3/5", "tcp4/close/ignore/10ms/3/5/so-error",
                                                                   "tcp4/close/ignore/10ms/3/5/recv"])
        let lines = output.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let header = try #require(lines.first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("probe ") })
        #expect(header.split(separator: " ") == ["probe", "none", "recv", "so-error"], "\(output.stdout)")
        let row = try #require(lines.first { $0.hasPrefix("tcp4") })
        #expect(row.split(separator: " ").count == 3 + 3, "three codes: \(row)")
        #expect(!row.contains(" \(CellMarks.missingSymbol)") && !row.contains(CellMarks.impossibleSymbol))

        // Interrupted before the recv cell: the heatmap draws it dashed and the matrix marks it `-`,
        // each with the same words in its legend.
        let path = directory.appendingPathComponent("pipelab.sqlite").path
        _ = try CLIShell.sqlite3(path, "DELETE FROM runs WHERE probe = 'recv'; UPDATE sweeps SET status = 'interrupted';")
        let cut = try Store(path: path, create: false)
        let interrupted = Heatmap.svg(try cut.chartData(sweepIDs: [1]))
        let cutSquares = try Self.squareKinds(interrupted)
        #expect(cutSquares.ran.count == 2 && cutSquares.missing.count == 1 && cutSquares.impossible.isEmpty, "\(cutSquares)")
        #expect(cutSquares.missing.first == "tcp4/close/ignore/10ms/3/5/recv: \(CellMarks.missingMeaning)")
        #expect(interrupted.contains(">\(CellMarks.missingMeaning)</text>"))
        let summary = SweepSummary.text(sweep: try cut.sweep(id: 1), cells: try cut.cellSignatures(sweepID: 1), skipped: [],
                                        databasePath: path, databaseArgument: nil, matrix: true)
        let cutRow = try #require(summary.split(separator: "\n").first { $0.hasPrefix("tcp4") })
        // The recv column is the second: probes in their declared order.
        #expect(cutRow.split(separator: " ").dropFirst(3).map(String.init)[1] == CellMarks.missingSymbol, "\(summary)")
        #expect(summary.contains("\(CellMarks.missingSymbol) = \(CellMarks.missingMeaning)"))
    }

    /// A link-only sweep (issue 16): one cell at rtt 20ms is drawn in its colours, named with its rtt;
    /// beside plain loopback and a Unix socket, the Unix socket at rtt 20ms cannot exist: the
    /// terminal marks it `·` under an `rtt` header, the summary says why, and the heatmap draws the
    /// facets `rtt 0` and `rtt 20ms` with no Unix panel at 20ms (none of its cells could run).
    @Test func aLinkOnlySweepIsLabelledByItsRttInTheHeatmapAndTheTerminal() throws {
        let directory = try temporaryDirectory()
        let alone = try CLI.run(["sweep", "--sleep", "10ms", "--rtt", "20ms", "--repeat", "1", "--matrix"], in: directory)
        #expect(alone.status == 0, "\(alone.stderr)")
        let store = try Store(path: directory.appendingPathComponent("pipelab.sqlite").path, create: false)
        let squares = try Self.squareKinds(Heatmap.svg(try store.chartData(sweepIDs: [1])))
        #expect(squares.ran.count == 1 && squares.ran[0].hasPrefix("tcp4/close/ignore/10ms/3/5/rtt 20ms: "), "\(squares)")
        #expect(squares.impossible.isEmpty && squares.missing.isEmpty)

        let both = try CLI.run(["sweep", "--transport", "tcp4,unix", "--sleep", "10ms", "--rtt", "0,20ms", "--repeat", "1", "--matrix"],
                               in: directory)
        #expect(both.status == 0, "\(both.stderr)")
        let lines = both.stdout.split(separator: "\n").map(String.init)
        let header = try #require(lines.first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("rtt ") })
        #expect(header.split(separator: " ") == ["rtt", "0", "20ms"], "\(both.stdout)")
        let unix = try #require(lines.first { $0.hasPrefix("unix") })
        #expect(unix.hasSuffix(" \(CellMarks.impossibleSymbol)"), "\(unix)")
        #expect(lines.contains { $0.contains("\(CellMarks.impossibleSymbol) = \(CellMarks.impossibleMeaning)") })
        #expect(both.stdout.contains("1 cell: rtt and loss are properties of the emulated link"), "\(both.stdout)")
        let svg = Heatmap.svg(try store.chartData(sweepIDs: [2]))
        #expect(svg.contains(">rtt 0</text>") && svg.contains(">rtt 20ms</text>"), "\(svg)")
        let drawn = try Self.squareKinds(svg)
        #expect(drawn.ran.count == 3 && drawn.missing.isEmpty, "\(drawn)")
        #expect(!drawn.impossible.contains { $0.hasPrefix("unix/") }, "no Unix panel where no Unix cell could run")
        #expect(try store.skipped(sweepID: 2).map(\.label) == ["unix close ignore rtt 20ms"])
    }

    @Test func everyChartIsWellFormedReadableAndDraws() throws {
        let charts = try Self.charts() + ReportCharts.all(try Self.raceSweep.get()).filter { $0.name == "race-window" }
        let names = charts.map(\.name)
        #expect(names.first == "heatmap")
        #expect(names.contains("race-window"))
        let signatures = Set(try Self.sweep.get().runGroups.map(\.signature))
        // One diagram per signature; the heatmap's groups leave out disturbed runs, whose
        // signatures still get a diagram.
        #expect(names.filter { $0.hasPrefix("sequence-") }.count >= signatures.count)
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for chart in charts {
            let document = try XMLDocument(data: Data(chart.svg.utf8))
            #expect(document.rootElement()?.name == "svg", "\(chart.name)")
            let width = Double(document.rootElement().flatMap { Self.attribute($0, "width") } ?? "") ?? .infinity
            #expect(width <= 890, "\(chart.name) is \(width) px wide: GitHub shows 890 px (980 less its padding) unscaled")
            let sizes = try document.nodes(forXPath: "//@font-size").compactMap { Double($0.stringValue ?? "") }
            #expect(!sizes.isEmpty)
            #expect(sizes.allSatisfy { $0 >= 12 }, "\(chart.name): font sizes \(sizes.filter { $0 < 12 })")
            #expect(chart.svg.contains("charts &lt;&amp;&gt; &apos;test&apos;") || chart.name.hasPrefix("sequence-"))
            let png = try Self.rasterize(chart.svg, in: directory, name: chart.name)
            #expect(png.count > 5_000, "\(chart.name): a PNG of \(png.count) bytes draws next to nothing")
            #expect(png.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        }
    }

    /// rsvg-convert (Debian librsvg2-bin; .ci/run installs it) draws the SVG as a PNG.
    static func rasterize(_ svg: String, in directory: URL, name: String) throws -> Data {
        let input = directory.appendingPathComponent("\(name).svg"), output = directory.appendingPathComponent("\(name).png")
        try Data(svg.utf8).write(to: input)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["rsvg-convert", "--format", "png", "--output", output.path, input.path]
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestFailure("rsvg-convert failed on \(name).svg (exit \(process.terminationStatus)); install librsvg2-bin")
        }
        return try Data(contentsOf: output)
    }

    @Test func raceWindowHasOnePanelPerFamilyAndOneSeriesPerFirstFailure() throws {
        let data = try Self.raceSweep.get()
        let race = try #require(ReportCharts.all(data).first { $0.name == "race-window" },
                                "no family moved with the sleep: \(data.runGroups.map { ($0.scenario.sleepNs, $0.signature, $0.runs) })")
        let model = RaceWindowChart.Model(data.runGroups)
        let document = try XMLDocument(data: Data(race.svg.utf8))
        // One titled point per (family drawn, sleep, first failure that occurs in that family), default left out.
        let points = try document.nodes(forXPath: "//*[local-name()='circle']/*[local-name()='title']").compactMap(\.stringValue)
        var expected = 0
        for family in model.families {
            let outcomes = Set(data.runGroups.filter {
                $0.scenario.transport == family.transport && $0.scenario.peer == family.peer && $0.scenario.sigpipe != .default
            }.map { AnswerTable.failure($0.signature) })
            expected += outcomes.count * 3
        }
        #expect(points.count == expected)
        #expect(!points.contains { $0.contains("killed") })
        // Every point belongs to a family drawn; the families not drawn are named in the caption.
        #expect(points.allSatisfy { point in model.families.contains { point.hasPrefix($0.label + ", sleep ") } })
        let caption = RaceWindowChart.captionText(data.runGroups, model).joined(separator: " ")
        #expect(caption.contains("pooled over sigpipe (ignore); the default disposition, which dies, is left out."))
    }

    @Test func chartsOfTheFixedFixtureMatchGoldenFiles() throws {
        let (store, id) = try ReportTests.fixture()
        let charts = ReportCharts.all(try store.chartData(sweepIDs: [id]))
        try ReportTests().expectGolden(try #require(charts.first { $0.name == "heatmap" }).svg, "heatmap.svg")
        try ReportTests().expectGolden(try #require(charts.first { $0.name == "sequence-1" }).svg, "sequence.svg")
    }

    /// One run in 200 would be a stripe of 0.15 px, invisible although the legend names its colour.
    @Test func aRareOutcomeStillShowsAsAStripe() {
        let widths = Heatmap.stripeWidths([199, 1], size: 30)
        #expect(widths == [27, Heatmap.minimumStripe])
        #expect(Heatmap.stripeWidths([2, 1, 1], size: 28) == [14, 7, 7])
        #expect(Heatmap.stripeWidths([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], size: 30).reduce(0, +) == 30)
    }

    @Test func raceWindowNeedsThreeSleeps() throws {
        let (store, id) = try ReportTests.fixture()
        let data = try store.chartData(sweepIDs: [id])
        #expect(Set(data.runGroups.map(\.scenario.sleepNs)).count == 2)
        #expect(RaceWindowChart.svg(data) == nil)
        #expect(!ReportCharts.all(data).contains { $0.name == "race-window" })
    }

    @Test func sequenceDiagramsShowCallsErrnosSignalsAndTheSleep() throws {
        let data = try Self.sweep.get()
        let charts = try Self.charts()
        for (index, run) in data.representatives.enumerated() {
            let svg = try #require(charts.first { $0.name == "sequence-\(index + 1)" }).svg
            #expect(svg.contains(">\(SVG.escape(run.signature))</text>"))
            #expect(svg.contains(">run \(run.runID): \(run.scenario.transport.rawValue), peer \(run.scenario.peer.rawValue)"))
            // One box per recorded step.
            #expect(svg.components(separatedBy: "rx=\"4\"").count - 1 == run.steps.count + 2, "\(run.signature)")
            if run.scenario.sleepNs > 0 { #expect(svg.contains(">sleep \(DurationText.format(run.scenario.sleepNs)) (next call ")) }
            for token in Signature.parse(run.signature) ?? [] {
                switch token {
                case .errno(let name, let sigpipe):
                    #expect(svg.contains(">= -1 \(name)</text>"))
                    if sigpipe { #expect(svg.contains(">SIGPIPE</text>")) }
                case .killed(let signal): #expect(svg.contains(">no return: killed by \(signal)</text>"))
                case .ok, .short, .timeout, .harnessError: break
                }
            }
        }
        let epipe = try #require(data.representatives.firstIndex { $0.signature == "ok,ok,EPIPE" && $0.scenario.transport == .tcp4 })
        let svg = try #require(charts.first { $0.name == "sequence-\(epipe + 1)" }).svg
        #expect(svg.contains(">send #3(5B)</text>"))
        // On loopback the RST provoked by send #2 is back before that call returns: CLOSE, not CLOSE_WAIT.
        let states = try XMLDocument(data: Data(svg.utf8)).nodes(forXPath: "//*[local-name()='text'][@fill='#1f5f99']").compactMap(\.stringValue)
        #expect(states.suffix(2) == ["CLOSE", "CLOSE"])
    }

    @Test func firstFailureIsReadFromTheRecordedColumns() {
        func kind(_ signature: String, _ outcome: Outcome, send: Int?, errno: String? = nil, signal: String? = nil) -> FirstFailure {
            FirstFailure.of(RunGroup(scenario: .classic, signature: signature, outcome: outcome, firstFailingSend: send,
                                     firstErrnoName: errno, termSignal: signal, runs: 1))
        }
        #expect(kind("ok,ok,ok", .ok, send: nil) == .noneFailed)
        #expect(kind("ok,ok,EPIPE", .error, send: 3, errno: "EPIPE") == .epipe)
        #expect(kind("ok,ECONNRESET,EPIPE", .error, send: 2, errno: "ECONNRESET") == .econnreset)
        #expect(kind("ok,ECONNREFUSED", .error, send: 2, errno: "ECONNREFUSED") == .otherErrno)
        #expect(kind("ok,ok,killed:SIGPIPE", .killed, send: 3, signal: "SIGPIPE") == .killedBySigpipe)
        // A short write before the fatal send: the first failing call is the short one.
        #expect(kind("ok,short:36544,killed:SIGPIPE", .killed, send: 2, signal: "SIGPIPE") == .shortWrite)
        #expect(kind("ok,killed:SIGKILL", .killed, send: 2, signal: "SIGKILL") == .otherEnd)
        #expect(kind("ok,timeout", .timeout, send: 2) == .timeout)
        #expect(kind("harness-error", .harnessError, send: nil) == .otherEnd)
    }

    @Test func wilsonIntervalBehavesAtTheEndsAndMatchesAKnownValue() throws {
        let none = try #require(Wilson.interval(successes: 0, trials: 10))
        #expect(none.low == 0)
        #expect(abs(none.high - 0.2775) < 1e-4)
        let all = try #require(Wilson.interval(successes: 10, trials: 10))
        #expect(all.high == 1)
        #expect(abs(all.low - 0.7225) < 1e-4)
        // 5 of 10: 0.2366 to 0.7634 (Wilson 1927; Newcombe 1998, method 3).
        let half = try #require(Wilson.interval(successes: 5, trials: 10))
        #expect(abs(half.low - 0.2366) < 1e-4 && abs(half.high - 0.7634) < 1e-4)
        #expect(Wilson.interval(successes: 0, trials: 0) == nil)
        #expect(Wilson.interval(successes: 3, trials: 2) == nil)
    }

    @Test func svgTextIsEscaped() {
        #expect(SVG.escape(#"a<b>&"c"'d"#) == "a&lt;b&gt;&amp;&quot;c&quot;&apos;d")
        // Control characters cannot appear in XML 1.0 at all.
        let control = "x\u{1}y\u{1B}[31m"
        #expect(SVG.escape(control) == "x\u{FFFD}y\u{FFFD}[31m")
        #expect((try? XMLDocument(data: Data("<t>\(SVG.escape(control))</t>".utf8))) != nil)
        #expect(SVG.number(-0.25) == "-0.3")
        #expect(SVG.number(12) == "12" && SVG.number(3.14) == "3.1")
    }
}
