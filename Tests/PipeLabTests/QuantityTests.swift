import Testing
@testable import PipeLab

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
