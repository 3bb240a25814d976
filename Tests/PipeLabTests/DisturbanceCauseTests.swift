import Foundation
@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabReport
@testable import PipeLabStore
import Testing

/// Issue 18 on the real kernel: a disturbance is named by its cause (the machine: a late peer or
/// pause; the link: a dropped segment), races are only where the harness leaves the order open,
/// and a run stopped at its timeout keeps what it recorded. The machine is disturbed on purpose
/// with the test-only delays (TestDelays: each applies to a worker's first run).
@Suite struct DisturbanceCauseTests {
    /// `pipelab run --json ARGS` with `environment`, decoded, and the "Why:" text of the same run
    /// printed for people (the seed and the delays make both the same run).
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (json: [String: Any], why: String) {
        let json = try CLI.run(["run", "--json"] + arguments, environment: environment)
        guard json.status == 0, let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        else { throw TestFailure("pipelab run \(arguments) exited \(json.status): \(json.stderr)") }
        let text = try CLI.run(["run"] + arguments, environment: environment)
        let why = text.stdout.components(separatedBy: "\nWhy:\n").last?.split(separator: "\n")
            .map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ") ?? ""
        return (object, why)
    }

    // Item 1: the link dropped send #1's data (seed 29 replays the drops), so the peer had not
    // ended by send #2 although the 50 ms sleep covers the link: the link's doing, counted.
    @Test func aPeerLateBecauseOfALossIsTheLinksNotTheCPUs() throws {
        let (json, why) = try Self.run(["--loss", "30%", "--seed", "29", "--sleep", "50ms", "--sends", "3"])
        let packets = try #require(json["packets"] as? [[String: Any]])
        #expect(packets.contains { $0["direction"] as? String == "client->peer" && $0["length"] as? Int == 5 && $0["lost"] as? Bool == true })
        // A busy machine may hold a pause back too: then the machine's disturbance is the one recorded.
        let machineToo = json["disturbance_reason"] as? String == "pause-late"
        #expect(machineToo || json["disturbance"] as? String == "link")
        #expect(machineToo || json["disturbance_reason"] as? String == "segment-lost")
        #expect(machineToo || json["peer_late"] as? Bool == false)
        #expect(why.contains("The link decided this run, not the machine: it dropped send #1's data"))
        #expect(!why.contains("starved"))
    }

    // Item 1 in a sweep: the lossy run counts in its cell's verdict; the database names the cause.
    @Test func aLossDecidedRunCountsInTheVerdict() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let db = directory.appendingPathComponent("loss.sqlite").path
        // `run --db` records the same run as a sweep of one.
        let recorded = try CLI.run(["run", "--db", db, "--loss", "30%", "--seed", "29", "--sleep", "50ms", "--sends", "3"])
        #expect(recorded.status == 0, "\(recorded.stderr)")
        let recordedAs = try CLIShell.sqlite3(db, "SELECT disturbance, disturbance_reason, peer_late FROM runs;").stdout
        // A busy machine may hold a pause back too: then the machine's disturbance is the one recorded.
        #expect(recordedAs == "link|segment-lost|0\n" || recordedAs == "cpu|pause-late|1\n", "\(recordedAs)")
        #expect(try CLIShell.sqlite3(db, "SELECT disturbance, disturbance_reason, peer_late FROM runs_rederived;").stdout == recordedAs)
    }

    // Item 12: an interval pause held back (by the test delay) is the machine's.
    @Test func aLatePauseIsFlaggedAsTheMachines() throws {
        let (json, why) = try Self.run(["--sleep", "2ms", "--interval", "1ms", "--sends", "3", "--peer", "shutdown-wr"],
                                       environment: ["PIPELAB_TEST_PAUSE_DELAY": "30ms"])
        #expect(json["disturbance"] as? String == "cpu")
        #expect(json["disturbance_reason"] as? String == "pause-late")
        #expect(json["peer_late"] as? Bool == true)
        #expect(why.contains("the 1ms pause before send #3 took"))
    }

    // Item 12: with one send, a probe made before the peer's ending (held back by the test delay).
    @Test func aProbeBeforeTheLatePeersEndingIsFlagged() throws {
        let (json, why) = try Self.run(["--sends", "1", "--probe", "so-error", "--sleep", "10ms"],
                                       environment: ["PIPELAB_TEST_PEER_DELAY": "60ms"])
        #expect(json["disturbance_reason"] as? String == "peer-late")
        #expect(why.contains("when the probe was made"))
    }

    // Items 11 and 12: at sleep 0 a peer that starts late (held after the barrier) is the machine's, not a race.
    @Test func aPeerStartingLateAtSleepZeroIsNotARace() throws {
        let (json, why) = try Self.run(["--sleep", "0"], environment: ["PIPELAB_TEST_PEER_START_DELAY": "300ms"])
        #expect(json["disturbance_reason"] as? String == "peer-started-late")
        #expect(why.contains("The machine disturbed this run: the peer's first call began"))
        #expect(!why.contains("a race"))
    }

    // Item 11: both sides pass the start barrier, whichever process sends: in every disposition
    // the peer's first call began before send #1 did (with the client forked before the peer got
    // its job, as before, `default` and `nosignal` runs often sent first).
    @Test func everyDispositionMeetsAWaitingPeer() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let db = directory.appendingPathComponent("barrier.sqlite").path
        let sweep = try CLI.run(["sweep", "--db", db, "--transport", "tcp4,unix", "--peer", "close", "--sigpipe",
                                 "default,ignore,handler,nosignal,blocked", "--sleep", "0", "--payload", "5",
                                 "--repeat", "20", "--order", "shuffle", "--quiet"])
        #expect(sweep.status == 0, "\(sweep.stderr)")
        let waiting = try CLIShell.sqlite3(db, """
            SELECT sigpipe, SUM((SELECT MIN(start_ns) FROM steps p WHERE p.run_id = r.id AND p.actor = 'peer' AND p.op <> 'accept')
                               < (SELECT start_ns FROM steps s WHERE s.run_id = r.id AND s.send_number = 1)) * 100 / COUNT(*)
            FROM runs r WHERE peer_late = 0 GROUP BY sigpipe;
            """).stdout.split(separator: "\n")
        #expect(waiting.count == 5)
        for line in waiting {
            let share = Int(line.split(separator: "|").last ?? "") ?? 0
            #expect(share >= 95, "\(line)")
        }
    }

    // Item 8: a run stopped inside connect() (every packet lost) keeps its packets and says where it was.
    @Test func aTimedOutRunKeepsItsPacketsAndSaysWhereItStopped() throws {
        let (json, why) = try Self.run(["--loss", "100%", "--sleep", "10ms", "--timeout", "1500ms"])
        #expect(json["outcome"] as? String == "timeout")
        let packets = try #require(json["packets"] as? [[String: Any]])
        #expect(packets.contains { $0["flags"] as? String == "S" && $0["lost"] as? Bool == true })
        #expect(why.contains("The run's timeout stopped it inside connect()"))
        #expect(why.contains("The link dropped the client's SYN"))
        #expect(!why.contains("before the client's next call"))
    }

    // Item 8 in a report: a run the timeout stopped inside connect() is not said to block in a send.
    @Test(.timeLimit(.minutes(2))) func aReportSaysWhereATimeoutStoppedNoSend() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let db = directory.appendingPathComponent("lost.sqlite").path
        let sweep = try CLI.run(["sweep", "--db", db, "--transport", "tcp4", "--peer", "close", "--sigpipe", "ignore", "--sleep", "10ms",
                                 "--loss", "100%", "--timeout", "1500ms", "--repeat", "1", "--quiet"])
        #expect(sweep.status == 0, "\(sweep.stderr)")
        let recorded = try CLIShell.sqlite3(db, "SELECT signature, (SELECT COUNT(*) FROM steps WHERE run_id = r.id AND op = 'send') FROM runs r;").stdout
        try #require(recorded == "timeout|0\n", "\(recorded)")
        let text = try CLI.run(["report", "--db", db]).stdout
        #expect(text.contains("stopped by its timeout before any send returned"), "\(text)")
        #expect(!text.contains("blocks until the timeout") && !text.contains("send \\#1 blocks"), "\(text)")
        // The SYN and its retransmissions, all dropped, named once with their count (the kernel's
        // first retransmission comes 1s after the SYN, within the 1.5s timeout).
        let syns = Int(try CLIShell.sqlite3(db, "SELECT COUNT(*) FROM packets WHERE flags = 'S' AND lost = 1;").stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        try #require(syns >= 2, "\(syns) SYNs dropped")
        #expect(text.contains("The link dropped the client's SYN " + (syns == 2 ? "twice." : "\(syns) times.")), "\(text)")
        #expect(!text.contains("the client's SYN and the client's SYN"), "\(text)")
    }

    // Item 8: a run whose client made all its sends but whose data the link kept dropping.
    @Test func aTimedOutRunAfterTheSendsSaysSo() throws {
        let (json, why) = try Self.run(["--loss", "20%", "--seed", "7", "--sleep", "100ms", "--sends", "5", "--timeout", "3s"])
        #expect(json["outcome"] as? String == "timeout")
        #expect(why.contains("The run's timeout stopped it after the client had made all its calls, while the peer was still waiting in its read for our data"))
        #expect(why.contains("send #1's data"))
    }
}
