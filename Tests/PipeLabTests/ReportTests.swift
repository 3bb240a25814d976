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

/// The report renderer on a fixed database built here, so its output can be compared to a file.
@Suite struct ReportTests {
    static let host = HostInfo(hostname: "golden-host", kernel: "6.1.0-test", os: "Debian GNU/Linux 12 (bookworm)",
                               arch: "x86_64", cpus: 2, sysctls: "{}")

    static func send(_ result: Int64?, errno: Int32 = 0, sigpipe: Bool = false, at start: Int64, state: TCPState?) -> Step {
        Step(actor: .client, op: .send, bytes: 5, result: result, errno: errno, sigpipe: sigpipe, startNs: start,
             durationNs: result == nil ? nil : 20_000, tcpState: state)
    }

    static func peerClose(at start: Int64) -> [Step] {
        [Step(actor: .peer, op: .recv, bytes: 1024, result: 5, errno: 0, sigpipe: false, startNs: start - 10_000, durationNs: 5_000, tcpState: .established),
         Step(actor: .peer, op: .ioctl, bytes: 0, result: 0, errno: 0, sigpipe: false, startNs: start - 3_000, durationNs: 1_000, tcpState: .established),
         Step(actor: .peer, op: .close, bytes: 0, result: 0, errno: 0, sigpipe: false, startNs: start, durationNs: 8_000, tcpState: nil)]
    }

    /// A sweep of tcp4 and unix, peer close, sigpipe ignore and default, sleeps 0 and 10ms, 2 repeats,
    /// with one racing cell.
    static func fixture(name: String = "golden") throws -> (Store, Int64) {
        let path = try temporaryDirectory().appendingPathComponent("golden.sqlite").path
        let store = try Store(path: path, create: true)
        var spec = SweepSpec.builtIn
        spec.transport = [.tcp4, .unix]
        spec.peer = [.close]
        spec.sigpipe = [.ignore, .default]
        spec.sleep = [0, 10_000_000]
        spec.sends = [3]
        spec.payload = [5]
        spec.repeats = 2
        spec.jobs = 4
        spec.name = name
        let grid = Grid(spec)
        let sweep = try store.createSweep(name: name, spec: spec.json(), commandLine: "pipelab sweep --name \(name)",
                                          plannedRuns: grid.runCount, skipped: grid.skipped, host: host, isolation: "netns")
        var runs: [RunResult] = []
        for request in grid.requests() {
            let s = request.scenario
            let late = s.sleepNs + 100_000
            var steps = peerClose(at: 50_000)
            var outcome = Outcome.error
            var signal: Int32?
            switch (s.transport, s.sigpipe, s.sleepNs, request.repeatIndex) {
            case (.tcp4, .ignore, 0, 1):  // the race: all three sends before the close
                steps += [send(5, at: 10_000, state: .established), send(5, at: 20_000, state: .established), send(5, at: 30_000, state: .established)]
                outcome = .ok
            case (.tcp4, .ignore, _, _):
                steps += [send(5, at: 10_000, state: .established), send(5, at: late, state: .close), send(-1, errno: EPIPE, at: late + 30_000, state: .close)]
            case (.tcp4, .default, _, _):
                steps += [send(5, at: 10_000, state: .established), send(5, at: late, state: .close), send(nil, sigpipe: true, at: late + 30_000, state: nil)]
                outcome = .killed
                signal = SIGPIPE
            case (.unix, .default, _, _):
                steps += [send(5, at: 10_000, state: nil), send(nil, sigpipe: true, at: late, state: nil)]
                outcome = .killed
                signal = SIGPIPE
            default:
                steps += [send(5, at: 10_000, state: nil), send(-1, errno: EPIPE, at: late, state: nil), send(-1, errno: EPIPE, at: late + 30_000, state: nil)]
            }
            steps.sort { $0.startNs < $1.startNs }
            runs.append(RunResult(scenario: s, repeatIndex: request.repeatIndex, outcome: outcome, termSignal: signal, steps: steps,
                                  harnessMessage: nil, startedAt: 1_800_000_000, durationNs: late + 60_000))
        }
        try store.runWriter(sweepID: sweep.id).write(runs)
        try store.setStatus(of: sweep.id, to: .completed)
        try store.db.execute("""
            UPDATE sweeps SET uuid = '00000000-0000-4000-8000-000000000001', started_at = '2027-01-15T08:00:00.000Z',
                              ended_at = '2027-01-15T08:00:02.500Z'
            """)
        return (store, sweep.id)
    }

    static let goldenDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    /// Compares with the golden file; `PIPELAB_UPDATE_GOLDEN=1 swift test` rewrites it after a deliberate change.
    func expectGolden(_ text: String, _ file: String) throws {
        let url = Self.goldenDirectory.appendingPathComponent(file)
        if ProcessInfo.processInfo.environment["PIPELAB_UPDATE_GOLDEN"] == "1" {
            try Data(text.utf8).write(to: url)
        }
        let golden = try String(contentsOf: url, encoding: .utf8)
        #expect(text == golden, "differs from Golden/\(file); rerun with PIPELAB_UPDATE_GOLDEN=1 if the change is intended")
    }

    @Test func reportMatchesGoldenFile() throws {
        let (store, id) = try Self.fixture()
        try expectGolden(MarkdownReport.render(try store.reportData(sweepIDs: [id]), charts: [.init(kind: .heatmap, file: "golden-heatmap.svg", title: "Heatmap"), .init(kind: .sequence, file: "golden-sequence-1.svg", title: "Sequence")]), "report.md")
    }

    @Test func namesFromTheDatabaseCannotBreakMarkup() throws {
        let hostile = "x | y `z` <script>alert(1)</script>\n# heading [link](http://e) *b* _i_"
        let (store, id) = try Self.fixture(name: hostile)
        let report = MarkdownReport.render(try store.reportData(sweepIDs: [id]))
        // Outside fenced code blocks (where GitHub shows text literally) no raw HTML survives.
        let prose = report.components(separatedBy: "```").enumerated().filter { $0.offset % 2 == 0 }.map(\.element).joined()
        #expect(!prose.contains("<script>"))
        #expect(report.contains("x \\| y \\`z\\` &lt;script&gt;alert(1)&lt;/script&gt; \\# heading \\[link\\](http://e) \\*b\\* \\_i\\_"))
        // Every table row still has the same number of unescaped pipes as its header.
        for table in report.components(separatedBy: "\n\n") where table.hasPrefix("|") {
            let counts = Set(table.split(separator: "\n").map { line in
                line.replacingOccurrences(of: "\\|", with: "").filter { $0 == "|" }.count
            })
            #expect(counts.count == 1, "\(table)")
        }
        #expect(Markdown.code("a`b") == "a\\`b")
        #expect(Markdown.codeBlock("```\nx") == "````\n```\nx\n````\n")
    }
}
