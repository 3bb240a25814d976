import Foundation
@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabNetwork
@testable import PipeLabReport
@testable import PipeLabStore
@testable import PipeLabSweep
@testable import PipeLabWorker
import Testing

/// The packets behind a run, captured from the real kernel: the classic case's packets are the
/// seed's tcpdump trace, tcpdump reads the pcapng, and a sweep records packets only with --capture.
@Suite struct PacketTests {
    /// `pipelab run --json` for the classic case at 100 ms, with its packets.
    static func classicPackets() throws -> (run: [String: Any], packets: [[String: Any]]) {
        let run = try CLI.runJSON(["--sleep", "100ms"])
        return (run, try #require(run["packets"] as? [[String: Any]]))
    }

    @Test func classicCaseMatchesTheSeedsTcpdumpSequence() throws {
        let (run, packets) = try Self.classicPackets()
        let trace = packets.map { "\($0["direction"] as? String ?? "?") \($0["flags"] as? String ?? "?")" }
        #expect(trace == [
            "client->peer S", "peer->client S.", "client->peer .",   // handshake
            "client->peer P.", "peer->client .",                      // send #1's data and its ack
            "peer->client F.", "client->peer .",                      // the peer's FIN and its ack
            "client->peer P.", "peer->client R",                      // the late data, the RST
        ])
        // Relative numbers as tcpdump prints them: 5 bytes each, the FIN takes one.
        let numbers = packets.map { [$0["seq"] as? Int ?? -1, $0["ack"] as? Int ?? -1, $0["length"] as? Int ?? -1] }
        #expect(numbers == [[0, -1, 0], [0, 1, 0], [1, 1, 0], [1, 1, 5], [1, 6, 0], [1, 6, 0], [6, 2, 0], [6, 2, 5], [2, -1, 0]])
        // The late data and the RST came during send #2; the times are the steps' clock.
        let steps = try #require(run["steps"] as? [[String: Any]])
        let send2 = try #require(steps.indices.filter { steps[$0]["op"] as? String == "send" }.dropFirst().first)
        let send2Start = try #require(steps[send2]["start_ns"] as? Int)
        let send2End = send2Start + (try #require(steps[send2]["duration_ns"] as? Int))
        for late in packets.suffix(2) {
            #expect(late["step_seq"] as? Int == send2 + 1)
            let t = try #require(late["t_ns"] as? Int)
            #expect(t >= send2Start && t <= send2End, "packet at \(t) ns, send #2 from \(send2Start) to \(send2End)")
        }
        let times = packets.compactMap { $0["t_ns"] as? Int }
        #expect(times == times.sorted() && times.count == packets.count)
    }

    @Test func timelineShowsEachPacketOnce() throws {
        let output = try CLI.run(["run", "--sleep", "10ms"])
        #expect(output.status == 0)
        let packetLines = output.stdout.split(separator: "\n").filter { $0.contains(" ms  packet ") }
        #expect(packetLines.count == 9)
        #expect(packetLines.contains { $0.hasSuffix("packet peer->client  F.  seq 1 ack 6  len 0") })
        #expect(packetLines.last?.hasSuffix("packet peer->client  R   seq 2  len 0") == true)
    }

    @Test func tcpdumpReadsThePcapng() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try CLI.run(["run", "--sleep", "10ms", "--pcap", "classic.pcapng"], in: directory)
        #expect(run.status == 0, "\(run.stderr)")
        let tcpdump = try #require(["/usr/bin/tcpdump", "/usr/sbin/tcpdump"].first { FileManager.default.isExecutableFile(atPath: $0) },
                                   "tcpdump is not installed (.ci/run installs it)")
        let read = try CLI.run(["-nn", "-r", directory.appendingPathComponent("classic.pcapng").path], executable: tcpdump)
        #expect(read.status == 0, "\(read.stderr)")
        let lines = read.stdout.split(separator: "\n")
        #expect(lines.count == 9)
        #expect(lines.first?.contains("Flags [S],") == true, "\(read.stdout)")
        #expect(lines.last?.contains("Flags [R],") == true)
        #expect(read.stderr.contains("link-type RAW"))
    }

    @Test func sweepRecordsPacketsOnlyWithCapture() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let grid = ["--transport", "tcp4,unix", "--peer", "close", "--sigpipe", "ignore", "--sleep", "100ms", "--sends", "2", "--payload", "5", "--probe", "none", "--repeat", "1", "--quiet"]
        #expect(try CLI.run(["sweep", "--name", "plain"] + grid, in: directory).status == 0)
        #expect(try CLI.run(["sweep", "--name", "captured", "--capture"] + grid, in: directory).status == 0)
        let db = directory.appendingPathComponent("pipelab.sqlite").path
        let counts = try CLIShell.sqlite3(db, """
            SELECT s.name, r.transport, COUNT(p.number), COUNT(CASE WHEN p.flags = 'R' THEN 1 END) FROM runs r JOIN sweeps s ON s.id = r.sweep_id
            LEFT JOIN packets p ON p.run_id = r.id GROUP BY s.name, r.transport ORDER BY s.name, r.transport;
            """).stdout
        #expect(counts == "captured|tcp4|9|1\ncaptured|unix|0|0\nplain|tcp4|0|0\nplain|unix|0|0\n")
    }

    @Test func flagsAreInTcpdumpsNotation() throws {
        func flags(_ bits: UInt8) throws -> String {
            var header = [UInt8](repeating: 0, count: 40)
            (header[0], header[3], header[9], header[32], header[33]) = (0x45, 40, 6, 0x50, bits)
            return try #require(TCPHeaderFields(header)).flagsText
        }
        #expect(try flags(0x02) == "S")
        #expect(try flags(0x12) == "S.")
        #expect(try flags(0x10) == ".")
        #expect(try flags(0x18) == "P.")
        #expect(try flags(0x11) == "F.")
        #expect(try flags(0x19) == "FP.")
        #expect(try flags(0x04) == "R")
        #expect(try flags(0x14) == "R.")
    }
}
