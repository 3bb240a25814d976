import Foundation
@testable import PipeLabExperiment
@testable import PipeLabReport
@testable import PipeLabStore
@testable import PipeLabWorker
import Testing

/// A real program's report tells what the program was told beside what its system calls show: Node
/// fails sends #2 and #3 itself without a system call (its signature is `ok`), so its heatmap
/// squares show the EPIPE (peer close) and the runtime's own error (linger0) it reported, marked as
/// told; the runtime table says once per program how it treated SIGPIPE, and that the signature
/// counts write calls, not sends.
@Suite struct RuntimeTruthTests {
    @Test(.timeLimit(.minutes(5))) func nodesHeatmapShowsWhatItWasTold() throws {
        guard case .success = ClientPrograms.command(for: .node) else {
            print("skipped: node is not installed")
            return
        }
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = folder.appendingPathComponent("node.sqlite").path
        let sweep = try CLI.run(["sweep", "--db", database, "--client", "harness,node", "--peer", "close,linger0",
                                 "--sigpipe", "ignore,blocked", "--sleep", "100ms", "--repeat", "2", "--jobs", "2", "--quiet"])
        try #require(sweep.status == 0, "\(sweep.stderr)")
        let store = try Store(path: database, create: false)
        let report = try store.reportData(sweepIDs: [1])
        let charts = try store.chartData(sweepIDs: [1])

        // What the runs recorded: one write call for three sends, and a report of the failure at send #2.
        let node = report.examples.map(\.run).filter { $0.scenario.client == .node }
        try #require(!node.isEmpty)
        for run in node {
            let said = try #require(run.client?.sends.first { !$0.ok }, "\(run.client?.output ?? "")")
            try #require(run.clientWrites.count < said.number && run.signature.split(separator: ",").allSatisfy { $0 == "ok" },
                         "node now fails with a system call: \(run.signature)")
        }

        // The heatmap draws what the program was told, marked, and says so in its legend and caption.
        let svg = Heatmap.svg(charts)
        let fills = try ChartTests.squareFills(svg)
        let nodeSquares = fills.filter { $0.key.contains("node") }
        #expect(!nodeSquares.isEmpty, "\(fills.keys)")
        for (title, square) in nodeSquares {
            #expect(square.fill != FirstFailure.noneFailed.color, "\(title)")
            #expect(title.contains("as the program was told") && title.contains("its system calls: no send failed"), "\(title)")
            let peer = title.contains("linger0") ? FirstFailure.runtimeError : FirstFailure.epipe
            #expect(square.fill == peer.color, "\(title)")
        }
        #expect(svg.contains(Heatmap.toldLabel))
        // pipelab's own client is drawn by its calls, unmarked.
        for (title, _) in fills where title.contains("/5: ") && !title.contains("client") {
            #expect(!title.contains("as the program was told"), "\(title)")
        }

        // The runtime table: the disposition said once for node, and what a signature counts.
        let section = try #require(RuntimeTable.section(report))
        let paragraph = try #require(section.components(separatedBy: "**node**: ").last?.components(separatedBy: "\n").first)
        #expect(paragraph.components(separatedBy: "ignored, so a write to a broken connection only fails with EPIPE").count == 2, "\(paragraph)")
        #expect(section.contains("node made 1 write call for its 3 sends"), "\(section)")
    }

    /// A sweep of `client` at a settled sleep into a new folder's database; nil (said) when its
    /// runtime is not installed here.
    static func sweep(_ client: ClientProgram, _ arguments: [String]) throws -> (folder: URL, database: String)? {
        guard case .success = ClientPrograms.command(for: client) else {
            print("skipped: \(client.rawValue) is not installed")
            return nil
        }
        let folder = try temporaryDirectory()
        let database = folder.appendingPathComponent("\(client.rawValue).sqlite").path
        let sweep = try CLI.run(["sweep", "--db", database, "--client", client.rawValue, "--sleep", "100ms", "--quiet"] + arguments)
        try #require(sweep.status == 0, "\(sweep.stderr)")
        return (folder, database)
    }

    /// Node after an abortive close: its own read meets the RST's ECONNRESET (an 'error' event, no
    /// system call pipelab traces), then it fails sends #2 and #3 itself. Every failure it was told
    /// of is shown, in order: in the database, the runtime table, the heatmap's tooltip and `pipelab run`.
    @Test(.timeLimit(.minutes(5))) func nodeIsShownEveryFailureItWasTold() throws {
        guard let (folder, database) = try Self.sweep(.node, ["--peer", "linger0", "--sigpipe", "ignore", "--repeat", "3", "--jobs", "3"]) else { return }
        defer { try? FileManager.default.removeItem(at: folder) }
        let told = try CLIShell.sqlite3(database, "SELECT DISTINCT client_error FROM runs WHERE peer_late = 0;").stdout
        let both = "Error [ECONNRESET]: read ECONNRESET (an 'error' event), then Error [ERR_STREAM_DESTROYED]: Cannot call write after a stream was destroyed"
        try #require(told == both + "\n", "node now reports otherwise: \(told)")
        // Each run's report in its own output: the event before the failed sends, as client_error lists them.
        let outputs = try CLIShell.sqlite3(database, "SELECT client_output FROM runs WHERE peer_late = 0;").stdout
        #expect(outputs.components(separatedBy: "\"event\":\"error\"").count > 1)

        let report = try CLI.run(["report", "--db", database, "--out", folder.appendingPathComponent("node.md").path])
        #expect(report.status == 0, "\(report.stderr)")
        let text = try String(contentsOf: folder.appendingPathComponent("node.md"), encoding: .utf8).replacingOccurrences(of: "\\", with: "")
        #expect(text.contains("| node | linger0 | ignore | `ok` | " + both + " |"), "\(text)")
        #expect(text.contains("every failure its runtime told it of, in order"))
        let store = try Store(path: database, create: false)
        let titles = try ChartTests.squareFills(Heatmap.svg(try store.chartData(sweepIDs: [1]))).keys.filter { $0.contains("node") }
        #expect(!titles.isEmpty && titles.allSatisfy { $0.contains("read ECONNRESET") }, "\(titles)")

        let run = try CLI.run(["run", "--db", folder.appendingPathComponent("run.sqlite").path, "--client", "node", "--peer", "linger0",
                               "--sigpipe", "ignore", "--sleep", "100ms"]).stdout
        #expect(run.contains("told:      " + both), "\(run)")
        let why = run.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        #expect(why.contains("Its runtime told it Error [ECONNRESET]: read ECONNRESET in an 'error' event as well, outside any send: from a call of its own that pipelab does not trace"), "\(why)")
    }

    /// Rust sends with MSG_NOSIGNAL: started with SIGPIPE blocked, its failing write raises no signal,
    /// so none is left pending (its signature has no `+SIGPIPE`), and the report does not say one was.
    @Test(.timeLimit(.minutes(5))) func aBlockedSIGPIPEThatNoWriteRaisedIsNotToldAsPending() throws {
        guard let (folder, database) = try Self.sweep(.rust, ["--peer", "close", "--sigpipe", "blocked", "--repeat", "2", "--jobs", "2"]) else { return }
        defer { try? FileManager.default.removeItem(at: folder) }
        let report = try Store(path: database, create: false).reportData(sweepIDs: [1])
        let rust = report.examples.map(\.run).filter { $0.scenario.client == .rust }
        let failed = rust.flatMap(\.clientWrites).filter { $0.errnoName == "EPIPE" }
        try #require(!failed.isEmpty && failed.allSatisfy { !$0.sigpipe }, "rust's EPIPE now raises SIGPIPE")
        let text = try #require(RuntimeTable.section(report))
        #expect(text.contains("raised no SIGPIPE, so none was left pending"), "\(text)")
        #expect(!text.contains("leaves the signal pending"), "\(text)")
    }
}
