import Foundation
@testable import PipeLabReport
import Testing

/// A signature reads the same in every sweep, report, terminal and compare (issue 17): written as
/// itself, or as a code derived from it alone, whatever else a sweep holds. Two real sweeps with
/// different grids share the cell tcp4 · close · ignore at a settled sleep.
@Suite struct LabelStabilityTests {
    @Test func aSignatureReadsTheSameInTwoSweepsTheirReportsTheTerminalAndCompare() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // The second sweep adds sleep 0 (a race, more signatures) and the default disposition (deaths):
        // labels numbered per sweep would shift; labels from the signature cannot.
        let one = try CLI.run(["sweep", "--name", "one", "--transport", "tcp4,unix", "--peer", "close", "--sigpipe", "ignore",
                               "--sleep", "100ms", "--payload", "5", "--repeat", "5", "--matrix"], in: directory)
        let two = try CLI.run(["sweep", "--name", "two", "--transport", "tcp4", "--peer", "close", "--sigpipe", "ignore,default",
                               "--sleep", "0,100ms", "--payload", "5", "--repeat", "5", "--matrix"], in: directory)
        #expect(one.status == 0, "\(one.stderr)")
        #expect(two.status == 0, "\(two.stderr)")
        #expect(SignatureText.code("ok,ok,EPIPE") == "..P")
        for output in [one.stdout, two.stdout] {
            let row = try #require(output.split(separator: "\n").first { $0.hasPrefix("tcp4") && $0.contains(" close ") && $0.contains(" ignore ") })
            #expect(row.contains("..P"), "\(row)")
        }
        for sweep in ["one", "two"] {
            let report = try CLI.run(["report", sweep], in: directory)
            #expect(report.status == 0, "\(report.stderr)")
            #expect(report.stdout.contains("`ok,ok,EPIPE`"))
        }
        // The unix cell exists in A only: compare lists it with its signature as itself.
        let compare = try CLI.run(["compare", "one", "two"], in: directory)
        #expect(compare.stdout.contains("| unix/close/ignore/100ms/3/5 | `ok,EPIPE,EPIPE` |"), "\(compare.stdout)")
        #expect(!compare.stdout.contains("| s1 |"))
    }
}
