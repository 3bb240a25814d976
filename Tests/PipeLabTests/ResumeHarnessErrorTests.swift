import Foundation
@testable import PipeLabStore
import Testing

/// A sweep cut short after harness errors at repeats above 0 (what a `scancel`, a time limit or a
/// pod eviction leaves) is finished by `--resume`: each harness error is run again and replaced,
/// in plain, interval and link cells alike.
@Suite struct ResumeHarnessErrorTests {
    @Test func resumeRerunsHarnessErrorsAtEveryRepeatAndEveryKindOfCell() throws {
        let directory = try temporaryDirectory()
        // 4 cells (plain, interval 5ms, rtt 10ms, both) × 3 repeats.
        let sweep = try CLI.run(["sweep", "--transport", "tcp4", "--peer", "close", "--sigpipe", "ignore", "--sleep", "0",
                                 "--sends", "3", "--payload", "5", "--interval", "0,5ms", "--rtt", "0,10ms", "--repeat", "3",
                                 "--quiet"], in: directory)
        #expect(sweep.status == 0, "\(sweep.stderr)")
        let database = directory.appendingPathComponent("pipelab.sqlite")
        #expect(try query(database, """
            UPDATE runs SET outcome = 'harness-error', harness_error = 'injected' WHERE repeat_index = 1;
            UPDATE sweeps SET status = 'interrupted', ended_at = NULL;
            SELECT COUNT(*) FROM runs WHERE outcome = 'harness-error' AND (interval_ns > 0 OR rtt_ns > 0);
            """) == "3\n")
        for _ in 0..<2 {
            let resumed = try CLI.run(["sweep", "--resume", "1", "--quiet"], in: directory)
            #expect(resumed.status == 0, "\(resumed.stderr)")
            #expect(try query(database, "SELECT status FROM sweeps;") == "completed\n")
            #expect(try query(database, """
                SELECT COUNT(*), COUNT(DISTINCT interval_ns || '/' || rtt_ns || '/' || repeat_index), SUM(outcome = 'harness-error') FROM runs;
                """) == "12|12|0\n")
            // Marked interrupted again, a resume finds nothing left to run.
            #expect(try query(database, "UPDATE sweeps SET status = 'interrupted';") == "")
        }
    }
}
