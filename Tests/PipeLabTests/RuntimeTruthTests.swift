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

    /// Rust sends with MSG_NOSIGNAL: started with SIGPIPE blocked, its failing write raises no signal,
    /// so none is left pending (its signature has no `+SIGPIPE`), and the report does not say one was.
    @Test(.timeLimit(.minutes(5))) func aBlockedSIGPIPEThatNoWriteRaisedIsNotToldAsPending() throws {
        guard case .success = ClientPrograms.command(for: .rust) else {
            print("skipped: rust is not installed")
            return
        }
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = folder.appendingPathComponent("rust.sqlite").path
        let sweep = try CLI.run(["sweep", "--db", database, "--client", "rust", "--peer", "close", "--sigpipe", "blocked",
                                 "--sleep", "100ms", "--repeat", "2", "--jobs", "2", "--quiet"])
        try #require(sweep.status == 0, "\(sweep.stderr)")
        let report = try Store(path: database, create: false).reportData(sweepIDs: [1])
        let rust = report.examples.map(\.run).filter { $0.scenario.client == .rust }
        let failed = rust.flatMap(\.clientWrites).filter { $0.errnoName == "EPIPE" }
        try #require(!failed.isEmpty && failed.allSatisfy { !$0.sigpipe }, "rust's EPIPE now raises SIGPIPE")
        let text = try #require(RuntimeTable.section(report))
        #expect(text.contains("raised no SIGPIPE, so none was left pending"), "\(text)")
        #expect(!text.contains("leaves the signal pending"), "\(text)")
    }
}
