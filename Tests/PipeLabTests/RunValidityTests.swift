import Foundation
@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabNetwork
@testable import PipeLabReport
@testable import PipeLabStore
@testable import PipeLabSweep
@testable import PipeLabWorker
import Testing

/// DESIGN.md's run validity: a run whose peer the machine delayed past send #2 is flagged
/// `peer_late`, left out of its cell's verdict, and listed apart in the report. The delay is made
/// on purpose with the test-only PIPELAB_TEST_PEER_DELAY (each worker's first run waits that long
/// before ending the connection).
@Suite struct RunValidityTests {
    @Test func aDisturbedRunIsFlaggedExcludedAndListed() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let db = directory.appendingPathComponent("late.sqlite").path
        let sweep = try CLI.run(["sweep", "--db", db, "--transport", "tcp4", "--peer", "close", "--sigpipe", "ignore",
                                 "--sleep", "10ms", "--payload", "5", "--repeat", "4", "--jobs", "1", "--quiet"],
                                environment: ["PIPELAB_TEST_PEER_DELAY": "60ms"])
        #expect(sweep.status == 0, "\(sweep.stderr)")
        let flags = try sqlite(db, "SELECT repeat_index, peer_late, disturbance, disturbance_reason FROM runs WHERE repeat_index = 0;")
        #expect(flags == "0|1|cpu|peer-late\n")
        // The others may be disturbed too on a busy machine (a late pause), but never by the peer.
        #expect(try sqlite(db, "SELECT COUNT(*) FROM runs WHERE repeat_index > 0 AND disturbance_reason = 'peer-late';") == "0\n")
        #expect(try sqlite(db, "SELECT DISTINCT signature FROM runs WHERE peer_late = 0;") == "ok,ok,EPIPE\n")
        // The verdict counts only the undisturbed runs: one signature, so the cell settles.
        #expect(try sqlite(db, "SELECT signatures FROM cell_outcomes;") == "1\n")
        #expect(try sqlite(db, "SELECT COUNT(*) FROM nondeterministic_cells;") == "0\n")
        let report = try CLI.run(["report", "--db", db])
        #expect(report.status == 0)
        let disturbed = report.stdout.components(separatedBy: "## Runs the machine disturbed").last ?? ""
        let lateSignature = try sqlite(db, "SELECT signature FROM runs WHERE repeat_index = 0;").trimmingCharacters(in: .whitespacesAndNewlines)
        // The row names its whole cell, as compare does.
        #expect(disturbed.contains("| tcp4/close/ignore/10ms/3/5 | 0 | `\(lateSignature)` | `peer-late` |"), "\(disturbed)")
        #expect(report.stdout.contains("0 racing"))
        // `pipelab run` says so too.
        let run = try CLI.run(["run", "--sleep", "10ms"], environment: ["PIPELAB_TEST_PEER_DELAY": "60ms"])
        // A busy machine may also make a pause late: the peer must be among the causes.
        #expect(run.stdout.contains("disturbed: yes, by the machine (peer-late"))
        #expect(run.stdout.contains("The machine disturbed this run"))
    }

    /// The stored columns agree with `runs_rederived`, which computes them from `steps` alone in SQL
    /// (and fills them in for databases recorded before schema version 2).
    @Test func storedValidityColumnsAgreeWithTheSteps() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let db = directory.appendingPathComponent("derived.sqlite").path
        let sweep = try CLI.run(["sweep", "--db", db, "--transport", "tcp4,unix,pipe", "--peer", "close,linger0,close-unread",
                                 "--sigpipe", "ignore,default", "--sleep", "0,2ms", "--payload", "5,64KiB", "--quiet"])
        #expect(sweep.status == 0, "\(sweep.stderr)")
        let differing = try sqlite(db, """
            SELECT COUNT(*) FROM runs r JOIN runs_rederived d ON d.run_id = r.id
            WHERE r.slept_ns IS NOT d.slept_ns OR r.peer_late IS NOT d.peer_late OR r.fatal_send IS NOT d.fatal_send
               OR r.disturbance IS NOT d.disturbance OR r.disturbance_reason IS NOT d.disturbance_reason
               OR r.peer_read_bytes IS NOT d.peer_read_bytes OR r.peer_left_unread IS NOT d.peer_left_unread;
            """)
        #expect(differing == "0\n")
        // Killed runs name the send they died in; the 64 KiB closes left data unread.
        #expect(try sqlite(db, "SELECT COUNT(*) FROM runs WHERE outcome = 'killed' AND fatal_send IS NULL;") == "0\n")
        #expect(try sqlite(db, """
            SELECT COUNT(*) FROM runs WHERE transport = 'tcp4' AND peer = 'close' AND payload_bytes = 65536
            AND sleep_ns > 0 AND peer_left_unread IS NOT 1;
            """) == "0\n")
    }

    func sqlite(_ db: String, _ sql: String) throws -> String {
        try CLIShell.sqlite3(db, sql).stdout
    }
}
