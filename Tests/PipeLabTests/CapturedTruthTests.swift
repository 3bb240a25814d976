import Foundation
@testable import PipeLabExperiment
@testable import PipeLabReport
@testable import PipeLabStore
import Testing

/// Issue 18 in a report of a sweep recorded with --capture, on loopback and over the emulated link:
/// the Why sections rest on the packets of the runs they tell (loaded for those runs only), say
/// nothing of packets "not captured", and each packet sentence is true of the run it is built from.
/// A section headed "every send succeeds" holds no run in which a send failed, and a failure's
/// section no run in which none did.
@Suite struct CapturedTruthTests {
    @Test(.timeLimit(.minutes(5))) func aCapturedSweepsWhyRestsOnEachRunsPackets() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let db = directory.appendingPathComponent("captured.sqlite").path
        let sweep = try CLI.run(["sweep", "--db", db, "--transport", "tcp4", "--peer", "close,close-unread,shutdown-rdwr",
                                 "--sigpipe", "ignore", "--sleep", "10ms,100ms", "--rtt", "0,20ms", "--interval", "0,5ms",
                                 "--sends", "10", "--repeat", "2", "--capture", "--quiet"])
        #expect(sweep.status == 0, "\(sweep.stderr)")
        let report = try CLI.run(["report", "--db", db])
        #expect(report.status == 0, "\(report.stderr)")
        let text = report.stdout.replacingOccurrences(of: "\\", with: "")
        #expect(!text.contains("packets not captured"))
        let why = try #require(text.components(separatedBy: "## Why").last?.components(separatedBy: "## Runs the machine").first)
        for section in why.components(separatedBy: "\n### ").dropFirst() {
            let heading = section.prefix { $0 != "\n" }
            // "Where: …. Signatures: …", or the signatures alone where the heading names the cells.
            let line = try #require(section.split(separator: "\n").first { $0.hasPrefix("Where: ") || $0.hasPrefix("Signatures: ") })
            let signatures = line.components(separatedBy: "Signatures: ").last?.components(separatedBy: "`").enumerated()
                .filter { $0.offset % 2 == 1 }.map { String($0.element) } ?? []
            #expect(!signatures.isEmpty, "\(line)")
            // `ok×2,EPIPE×8` compacted: a token's kind is what comes before its count.
            let fails = signatures.map { $0.split(separator: ",").contains { $0.split(separator: "×")[0] != "ok" } }
            if heading.contains("every send succeeds") {
                #expect(!fails.contains(true), "\(heading): \(signatures)")
            } else {
                #expect(!fails.contains(false), "\(heading): \(signatures)")
            }
        }

        // The runs the sections are built from, with their packets, told sentence by sentence.
        let store = try Store(path: db, create: false)
        let data = try store.reportData(sweepIDs: [1])
        #expect(!data.examples.isEmpty)
        for example in data.examples {
            let run = example.run
            let e = RunEvidence(run)
            #expect(e.captured, "an example without its packets: \(run.scenario)")
            let told = Explainer.explain(run, detail: .mechanism).joined(separator: " ")
            // A mechanism reads the same in every run: no packet's time.
            #expect(told.firstMatch(of: /reached our socket at|\(at [0-9]/) == nil, "\(told)")
            let finArrived = e.peerFINArrival != nil, rstArrived = e.peerRSTArrival != nil
            if told.contains("FIN, which reached our socket") { #expect(finArrived, "\(told)") }
            if told.contains("the peer's FIN had arrived") { #expect(finArrived, "\(told)") }
            if told.contains("the peer's FIN was still on its way") { #expect(finArrived, "\(told)") }
            if told.contains("no RST came back while the run lasted") {
                #expect(!e.packets.contains { $0.direction == .peerToClient && $0.flags.contains("R") }, "\(told)")
            }
            if told.contains("The RST reached our socket and found it ESTABLISHED") { #expect(e.stateRSTFound == .established, "\(told)") }
            if told.contains("arrived while our socket was in CLOSE_WAIT") { #expect(e.stateRSTFound == .closeWait, "\(told)") }
            if told.contains("reached our socket only after the last send had begun"), let last = e.writes.last {
                #expect(rstArrived && (e.peerRSTArrival?.tNs ?? 0) >= last.startNs, "\(told)")
            }
            if let provoked = told.firstMatch(of: /the RST provoked by send #([0-9]+)/), let number = Int(provoked.1) {
                #expect(e.packets.contains { e.sends(carriedBy: $0).contains(number) } && rstArrived, "\(told)")
            }
            if told.contains("with RST;") { #expect(e.peerEndedWithRST == true, "\(told)") }
            if told.contains("with FIN (") { #expect(e.peerEndedWithRST == false, "\(told)") }
        }
    }
}
