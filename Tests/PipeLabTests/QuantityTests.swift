@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabReport
@testable import PipeLabStore
@testable import PipeLabSweep
@testable import PipeLabWorker
import Testing

@Suite struct QuantityTests {
    @Test func durationsParseWithEveryUnit() throws {
        #expect(try DurationText.parse("0") == 0)
        #expect(try DurationText.parse("250us") == 250_000)
        #expect(try DurationText.parse("10ms") == 10_000_000)
        #expect(try DurationText.parse("1s") == 1_000_000_000)
        #expect(try DurationText.parse("7ns") == 7)
        #expect(try DurationText.parse("1.5ms") == 1_500_000)
        #expect(try DurationText.parse("0.25s") == 250_000_000)
    }

    @Test(arguments: ["", "5", "ms", "1.ms", "-1s", "1m", "1.5ns", "1e3ms", "99999999999999s"])
    func durationRejects(_ text: String) {
        #expect(throws: InputError.self) { try DurationText.parse(text) }
    }

    @Test func durationsFormatToTheirShortestExactSpelling() {
        #expect(DurationText.format(0) == "0")
        #expect(DurationText.format(1_000_000_000) == "1s")
        #expect(DurationText.format(250_000) == "250us")
        #expect(DurationText.format(1_500_000) == "1500us")
        #expect(DurationText.format(7) == "7ns")
    }

    @Test func sizesRoundTrip() throws {
        for text in ["5", "64KiB", "4MiB", "1000"] {
            #expect(SizeText.format(try SizeText.parse(text)) == text)
        }
        #expect(try SizeText.parse("5B") == 5)
        #expect(try SizeText.parse("64KiB") == 65_536)
    }

    @Test(arguments: ["0", "-5", "5KB", "KiB", "+5", "2GiB", "1.5KiB"])
    func sizeRejects(_ text: String) {
        #expect(throws: InputError.self) { try SizeText.parse(text) }
    }

    @Test func enumParametersListWhatIsAccepted() {
        #expect(throws: InputError("--peer: unknown value 'x'; accepted: close, shutdown-wr, shutdown-rdwr, linger0, close-unread")) {
            try PeerAction.parse("x", name: "--peer")
        }
    }
}

@Suite struct UUIDTests {
    @Test func uuidsAreVersion7TimeOrderedAndUnique() {
        let ids = (0..<2000).map { _ in UUIDv7.next() }
        #expect(Set(ids).count == ids.count)
        for id in ids.prefix(20) {
            let characters = Array(id)
            #expect(characters.count == 36)
            #expect([characters[8], characters[13], characters[18], characters[23]] == ["-", "-", "-", "-"])
            #expect(characters[14] == "7")
            #expect("89ab".contains(characters[19]))
            #expect(id.allSatisfy { "0123456789abcdef-".contains($0) })
        }
        // The first 48 bits are milliseconds: ids sort by creation time, within a millisecond.
        #expect(ids.first!.prefix(8) <= ids.last!.prefix(8))
    }
}

@Suite struct ProgressTests {
    @Test func progressLineShowsDoneTotalRateAndTimeLeft() {
        #expect(Progress.line(done: 500, total: 2000, elapsedNs: 1_000_000_000) == "  500/2000 runs  500 runs/s  ~3s left")
        #expect(Progress.line(done: 100, total: 100_000, elapsedNs: 1_000_000_000) == "  100/100000 runs  100 runs/s  ~16m39s left")
        #expect(Progress.line(done: 0, total: 10, elapsedNs: 0) == "  0/10 runs  0 runs/s  ")
    }
}
