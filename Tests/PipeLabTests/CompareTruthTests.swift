import Foundation
import Testing

/// Issue 18: every sentence of `pipelab compare` is true of the runs it compares, on real sweeps.
/// The machine's disturbed runs are left out and said to be; a cell whose runs in one sweep were
/// all disturbed is in both sweeps, not "only in" the other; the method names how many cells could
/// reach the threshold, as the cells' own tests say.
@Suite struct CompareTruthTests {
    /// Two sweeps of one settled cell; the test-only delay holds the peer of A's only run past send
    /// #2 (a worker's first run only), so the machine disturbed every run of that cell in A.
    @Test(.timeLimit(.minutes(2))) func aCellEveryRunOfWhichWasDisturbedInOneSweepIsInBoth() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let db = directory.appendingPathComponent("compare.sqlite").path
        let cell = ["--transport", "tcp4", "--peer", "close", "--sigpipe", "ignore", "--sleep", "10ms", "--payload", "5", "--repeat", "1", "--jobs", "1", "--quiet"]
        let a = try CLI.run(["sweep", "--db", db, "--name", "a"] + cell, environment: ["PIPELAB_TEST_PEER_DELAY": "60ms"])
        let b = try CLI.run(["sweep", "--db", db, "--name", "b"] + cell)
        #expect(a.status == 0 && b.status == 0, "\(a.stderr) \(b.stderr)")
        let disturbed = try CLIShell.sqlite3(db, "SELECT s.name, r.peer_late FROM runs r JOIN sweeps s ON s.id = r.sweep_id ORDER BY s.id;").stdout
        try #require(disturbed == "a|1\nb|0\n", "the delay did not disturb A's run alone: \(disturbed)")
        let compare = try CLI.run(["compare", "a", "b", "--db", db])
        #expect(compare.status == 2, "nothing could be compared: \(compare.stdout)")
        let text = compare.stdout
        #expect(text.contains("0 in one sweep only (A: 0, B: 0); 1 with every run disturbed in one sweep."), "\(text)")
        #expect(text.contains("Runs the machine disturbed are left out (A: 1, B: 0)."), "\(text)")
        #expect(text.contains("## Cells with no undisturbed run in one sweep"), "\(text)")
        #expect(!text.contains("## Cells only in B"), "\(text)")
        let json = try CLI.run(["compare", "a", "b", "--db", db, "--format", "json"]).stdout
        #expect(json.contains("\"verdict\": \"all-disturbed\"") || json.contains("\"verdict\":\"all-disturbed\""), "\(json)")
    }

    /// A grid whose Unix cells race with a 64 KiB payload: the method sentence counts the cells that
    /// could reach the threshold exactly as the JSON's tests do, and the counts are of undisturbed runs.
    @Test(.timeLimit(.minutes(3))) func theMethodCountsTheCellsThatCouldReachTheThreshold() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let db = directory.appendingPathComponent("compare.sqlite").path
        let grid = ["--transport", "tcp4,unix", "--peer", "close,close-unread", "--sigpipe", "ignore", "--sleep", "0,10ms",
                    "--payload", "5,64KiB", "--repeat", "3", "--quiet"]
        for name in ["a", "b"] {
            let sweep = try CLI.run(["sweep", "--db", db, "--name", name] + grid)
            #expect(sweep.status == 0, "\(sweep.stderr)")
        }
        let text = try CLI.run(["compare", "a", "b", "--db", db]).stdout
        let json = try CLI.run(["compare", "a", "b", "--db", db, "--format", "json"]).stdout
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let test = try #require(object["test"] as? [String: Any])
        let threshold = try #require(test["threshold"] as? Double)
        let cells = try #require(object["cells"] as? [[String: Any]])
        let reachable = cells.count { ($0["smallest_possible_p_value"] as? Double).map { $0 <= threshold } ?? false }
        #expect(text.contains("here k = \(test["testable_cells"] as? Int ?? -1), with \(reachable) such \(reachable == 1 ? "cell" : "cells")"), "\(text)")
        // A cell is told "same" only when every undisturbed run of both sweeps had one signature.
        let same = cells.filter { $0["verdict"] as? String == "same" }
        #expect(same.allSatisfy { ($0["signatures"] as? [Any])?.count == 1 })
        let undisturbed = try CLIShell.sqlite3(db, "SELECT COUNT(*) FROM runs WHERE peer_late = 0;").stdout
        let counted = cells.reduce(0) { $0 + ($1["runs_a"] as? Int ?? 0) + ($1["runs_b"] as? Int ?? 0) }
        #expect("\(counted)\n" == undisturbed)
        #expect(text.contains("out of the cell's runs in that sweep that the machine did not disturb") || !text.contains("## Legend"))
    }
}
