import Foundation
@testable import PipeLabExperiment
@testable import PipeLabReport
@testable import PipeLabStore
@testable import PipeLabWorker
import Testing

/// Values from outside (a file's text, a program's printout, strace's record of what a program
/// asked) at the ends of their types: read as nothing, or saturated, never a trap.
@Suite struct TrapFreeReadingTests {
    @Test func aReportedErrnoWithoutAMagnitudeIsNone() {
        let report = ClientReport(exitCode: 0, disposition: .ignore, output: """
            {"send":1,"ok":false,"errno":-9223372036854775808}
            {"send":2,"ok":false,"errno":-32}
            """)
        #expect(report.sends.map(\.errno) == [nil, 32])
    }

    @Test func timestampsOutOfRangeDoNotRead() {
        #expect(Timestamp.parse("2026-11-25T09:50:35.123Z") == 1_795_600_235.123)  // date -u -d 2026-11-25T09:50:35Z +%s
        for text in ["99999999999-01-01T00:00:00.000Z", "2026-13-01T00:00:00.000Z", "2026-01-01T24:00:00.000Z", "1969-12-31T23:59:59.000Z",
                     "2026-01-01T00:00:00.1000Z", "2026-01-01T00:00:00Z"] {
            #expect(Timestamp.parse(text) == nil, "\(text)")
        }
        #expect(MarkdownReport.duration(from: "1970-01-01T00:00:00.000Z", to: "2300-01-01T00:00:00.000Z") == nil)
        #expect(MarkdownReport.duration(from: "2026-01-01T00:00:01.000Z", to: "2026-01-01T00:00:00.000Z") == nil)
        #expect(MarkdownReport.duration(from: "2026-01-01T00:00:00.000Z", to: "2026-01-01T00:00:01.500Z") == "1.500s")
        #expect(MarkdownReport.display(.min) == "–")
        #expect(MarkdownReport.display(-1_500) == "−1.5µs")
    }

    @Test func vectoredLengthsThatOverflowSaturate() {
        let trace = """
            10 1.100000 connect(5, {sa_family=AF_INET, sin_port=htons(7), sin_addr=inet_addr("127.0.0.1")}, 16) = 0 <0.000010>
            10 1.200000 writev(5, [{iov_base=""..., iov_len=9223372036854775807}, {iov_base=""..., iov_len=9223372036854775807}], 2) = -1 EINVAL (Invalid argument) <0.000010>
            """
        let traced = TracedClient(StraceTrace.parse(trace), port: 7, runStartNs: 1_000_000_000, startedWith: .ignore)
        #expect(traced.steps.map(\.bytes) == [0, .max])
    }

    @Test func aMergeOffsetPastTheIdRangeIsNone() {
        #expect(Store.runOffset(after: 10, placing: 1...5) == 10)
        #expect(Store.runOffset(after: 0, placing: 1...5) == 0)
        #expect(Store.runOffset(after: .max, placing: 1...5) == nil)
        #expect(Store.runOffset(after: 10, placing: Int64.min...5) == nil)
        #expect(Store.runOffset(after: 10, placing: 1...(.max - 5)) == nil)
    }
}
