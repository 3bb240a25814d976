import Foundation
@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabNetwork
@testable import PipeLabReport
@testable import PipeLabStore
@testable import PipeLabSweep
@testable import PipeLabWorker
import Testing

/// One class of bad input: the command, what its one line must name (the problem, and what is
/// accepted), and the files its working directory holds beforehand.
struct BadInput: Sendable, CustomTestStringConvertible {
    var arguments: [String]
    var problem: String
    var accepted = "accepted: "
    var status: Int32 = 64
    var environment: [String: String] = [:]
    var fixture: Fixture = .none

    enum Fixture: Sendable {
        case none
        /// pipelab.sqlite holding one completed sweep named "fixture".
        case database
        /// pipelab.sqlite that is not a database at all.
        case notADatabase
        /// spec.json with this text.
        case spec(String)
    }

    var testDescription: String { arguments.joined(separator: " ") }
}

/// Every class of bad input: the exit code, exactly one line on standard error that names the
/// problem and what is accepted, nothing on standard output, and no file in the working directory
/// created or changed.
@Suite struct BadInputTests {
    static let accepted = "accepted: "
    static let sweepCommand = ["sweep", "--transport", "unix", "--peer", "close", "--sigpipe", "ignore", "--sleep", "0",
                               "--sends", "1", "--payload", "5", "--repeat", "1", "--quiet"]

    static let cases: [BadInput] = [
        // run: each parameter's values, ranges and signs
        BadInput(arguments: ["run", "--transport", "tcp5"], problem: "--transport: unknown value 'tcp5'"),
        BadInput(arguments: ["run", "--peer", "slam"], problem: "--peer: unknown value 'slam'"),
        BadInput(arguments: ["run", "--sigpipe", "catch"], problem: "--sigpipe: unknown value 'catch'"),
        BadInput(arguments: ["run", "--sleep", "5"], problem: "'5' is not a duration"),
        BadInput(arguments: ["run", "--sleep", "1h"], problem: "'1h' is not a duration"),
        BadInput(arguments: ["run", "--sleep", "-1s"], problem: "--sleep: '-1s' is negative"),
        BadInput(arguments: ["run", "--sleep=-1s"], problem: "--sleep: '-1s' is negative"),
        BadInput(arguments: ["run", "--sleep", "1.5ns"], problem: "not a whole number of nanoseconds"),
        BadInput(arguments: ["run", "--sleep", "86401s"], problem: "--sleep: '86401s' is out of range", accepted: "up to 1 day"),
        BadInput(arguments: ["run", "--sleep", "0", "--timeout", "9223372036s"], problem: "--timeout: '9223372036s' is out of range", accepted: "up to 1 day"),
        BadInput(arguments: ["run", "--timeout", "0"], problem: "--timeout: must be more than 0"),
        BadInput(arguments: ["run", "--timeout", "-5s"], problem: "--timeout: '-5s' is negative"),
        BadInput(arguments: ["run", "--sends", "0"], problem: "--sends: '0' is out of range", accepted: "from 1 to 10000"),
        BadInput(arguments: ["run", "--sends", "-3"], problem: "--sends: '-3' is negative"),
        BadInput(arguments: ["run", "--sends", "three"], problem: "'three' is not a whole number"),
        BadInput(arguments: ["run", "--sends", "10001"], problem: "'10001' is out of range", accepted: "from 1 to 10000"),
        BadInput(arguments: ["run", "--payload", "0"], problem: "--payload: '0' is out of range"),
        BadInput(arguments: ["run", "--payload", "5KB"], problem: "'5KB' is not a size"),
        BadInput(arguments: ["run", "--payload", "2GiB"], problem: "'2GiB' is out of range", accepted: "up to 1GiB"),
        BadInput(arguments: ["run", "--payload", "-5"], problem: "--payload: '-5' is negative"),
        BadInput(arguments: ["run", "--transport", "pipe", "--sigpipe", "nosignal"], problem: "MSG_NOSIGNAL", accepted: "cannot be run"),
        BadInput(arguments: ["run", "--transport", "pipe", "--peer", "linger0"], problem: "SO_LINGER", accepted: "cannot be run"),
        BadInput(arguments: ["run", "--no-such-flag"], problem: "Unknown option '--no-such-flag'", accepted: "pipelab run --help"),
        BadInput(arguments: ["sweep", "--repat", "3"], problem: "Did you mean '--repeat'?", accepted: "Accepted: what `pipelab sweep --help` lists"),
        // the database path, on every command that takes one
        BadInput(arguments: ["run", "--db", ""], problem: "--db: the path is empty"),
        BadInput(arguments: ["run", "--db", ":memory:"], problem: "':memory:' is an in-memory database"),
        BadInput(arguments: sweepCommand + ["--db", "file:x?mode=memory"], problem: "looks like a SQLite URI"),
        BadInput(arguments: sweepCommand, problem: "PIPELAB_DB: ':memory:'", environment: ["PIPELAB_DB": ":memory:"]),
        BadInput(arguments: ["sweeps"], problem: "PIPELAB_DB: the path is empty", environment: ["PIPELAB_DB": ""]),
        // sweep: lists, counts, names, seeds, the grid as a whole
        BadInput(arguments: ["sweep", "--transport", "tcp4,"], problem: "empty value in 'tcp4,'"),
        BadInput(arguments: ["sweep", "--peer", "close,slam"], problem: "unknown value 'slam'"),
        BadInput(arguments: ["sweep", "--repeat", "0"], problem: "--repeat: '0' is out of range"),
        BadInput(arguments: ["sweep", "--repeat", "-1"], problem: "--repeat: '-1' is negative"),
        BadInput(arguments: ["sweep", "--jobs", "513"], problem: "--jobs: '513' is out of range", accepted: "from 1 to 512"),
        BadInput(arguments: ["sweep", "--seed", "-1"], problem: "--seed: '-1' is negative"),
        BadInput(arguments: ["sweep", "--seed", "18446744073709551616"], problem: "is out of range", accepted: "to 18446744073709551615"),
        BadInput(arguments: ["sweep", "--seed", "0x10"], problem: "'0x10' is not a whole number"),
        BadInput(arguments: ["sweep", "--order", "random"], problem: "--order: unknown value 'random'"),
        BadInput(arguments: ["sweep", "--name", ""], problem: "--name: a name of 0 characters", accepted: "1 to 200 characters"),
        BadInput(arguments: ["sweep", "--name", String(repeating: "n", count: 201)], problem: "a name of 201 characters"),
        BadInput(arguments: ["sweep", "--name", "two\nlines"], problem: "control character"),
        BadInput(arguments: ["sweep", "--sleep", (1...10_000).map { "\($0)ns" }.joined(separator: ","),
                             "--sends", (1...10_000).map(String.init).joined(separator: ","),
                             "--payload", (1...10_000).map(String.init).joined(separator: ",")],
                 problem: "the grid has 3000000000000 runs (1000000000000 cells × 3 repeats)", accepted: "at most 10000000 runs"),
        BadInput(arguments: ["sweep", "--repeat", "10000000"], problem: "cells × 10000000 repeats)"),
        BadInput(arguments: ["sweep", "--transport", "pipe", "--peer", "linger0", "--sigpipe", "ignore,handler"],
                 problem: "no cell of the grid can exist: SO_LINGER is a socket option: a pipe cannot close abortively (pipe/linger0/ignore, pipe/linger0/handler)"),
        BadInput(arguments: ["sweep", "--resume", "--transport", "unix"], problem: "cannot be combined with --transport"),
        BadInput(arguments: ["sweep", "--resume"], problem: "no interrupted sweep", accepted: "`pipelab sweeps` lists them", fixture: .database),
        BadInput(arguments: ["sweep", "--resume", "fixture"], problem: "is already completed", fixture: .database),
        BadInput(arguments: ["sweep", "leftover"], problem: "unexpected argument 'leftover'"),
        // spec files
        BadInput(arguments: ["sweep", "--spec", "spec.json"], problem: "key 'transprt' is unknown", fixture: .spec(#"{"transprt": ["tcp4"]}"#)),
        BadInput(arguments: ["sweep", "--spec", "spec.json"], problem: "wrong type", fixture: .spec(#"{"repeat": true}"#)),
        BadInput(arguments: ["sweep", "--spec", "spec.json"], problem: "not valid JSON", fixture: .spec(#"{"transport": "#)),
        BadInput(arguments: ["sweep", "--spec", "spec.json"], problem: "the top level must be a JSON object", accepted: "with keys", fixture: .spec(#"["tcp4"]"#)),
        BadInput(arguments: ["sweep", "--spec", "spec.json"], problem: "the list is empty", fixture: .spec(#"{"peer": []}"#)),
        BadInput(arguments: ["sweep", "--spec", "spec.json"], problem: "'-5ms' is negative", fixture: .spec(#"{"sleep": ["-5ms"]}"#)),
        BadInput(arguments: ["sweep", "--spec", "spec.json"], problem: "holds a comma", fixture: .spec(#"{"sleep": ["1ms,2ms"]}"#)),
        BadInput(arguments: ["sweep", "--spec", "spec.json"], problem: "wrong type", fixture: .spec(#"{"seed": 1e19}"#)),
        BadInput(arguments: ["sweep", "--spec", "spec.json"], problem: "'99999999999999999999' is out of range",
                 fixture: .spec(#"{"seed": 99999999999999999999}"#)),
        BadInput(arguments: ["sweep", "--spec", "spec.json"], problem: "wrong type", accepted: "a whole number",
                 fixture: .spec(#"{"sends": 1.5}"#)),
        BadInput(arguments: ["sweep", "--spec", "missing.json"], problem: "cannot read 'missing.json'"),
        BadInput(arguments: ["sweep", "--spec", "/dev/zero"], problem: "'/dev/zero' holds more than 1 MiB"),
        BadInput(arguments: ["sweep", "--spec", "."], problem: "cannot read '.'"),
        BadInput(arguments: ["run", "--seed", "5"], problem: "this run loses none", accepted: "accepted: --seed with --loss above 0"),
        BadInput(arguments: ["run", "--loss", "1%", "--seed", "x"], problem: "--seed: 'x' is not a seed", accepted: "accepted: a whole number from 0 to 4294967295"),
        BadInput(arguments: ["run", "--transport", "unix", "--pcap", "x.pcapng"], problem: "a unix run has no packets", accepted: "accepted: --pcap with --transport tcp4"),
        BadInput(arguments: ["run", "--db", "x.sqlite", "--pcap", "nodir/x.pcapng"], problem: "--pcap: the directory nodir does not exist",
                 accepted: "accepted: a file path such as capture.pcapng"),
        BadInput(arguments: ["run", "--db", "x.sqlite", "--pcap", "."], problem: "--pcap: . is a directory", accepted: "accepted: a file path such as capture.pcapng"),
        BadInput(arguments: ["report", "--out", "nodir/r.md"], problem: "--out: the directory nodir does not exist", accepted: "accepted: a file path such as report.md"),
        BadInput(arguments: ["compare", "1", "2", "--out", "."], problem: "--out: . is a directory", accepted: "accepted: a file path such as comparison.md"),
        // report, compare, migrate, sweeps
        BadInput(arguments: ["report", "--out", "report.txt"], problem: "does not end in .md"),
        BadInput(arguments: ["report", "nosuch"], problem: "no sweep 'nosuch'", accepted: "`pipelab sweeps` lists them", fixture: .database),
        BadInput(arguments: ["report"], problem: "no pipelab database at pipelab.sqlite", accepted: "accepted: a database that `pipelab sweep` made here"),
        BadInput(arguments: ["report"], problem: "is not a SQLite database", accepted: "left unchanged", status: 65, fixture: .notADatabase),
        BadInput(arguments: ["report", "--db", "file:pipelab.sqlite"], problem: "looks like a SQLite URI", fixture: .database),
        BadInput(arguments: ["compare", "1"], problem: "Missing expected argument '<sweep-b>'", accepted: "pipelab compare --help"),
        // A first word that names no command: the nearest command, one or two edits away (a swap is one), is offered.
        BadInput(arguments: ["reprot", "latest"], problem: "'reprot' is not a command of pipelab. Did you mean 'report'?",
                 accepted: "Accepted: run, sweep, sweeps, report, compare, merge, migrate"),
        BadInput(arguments: ["merg", "--db", "x.sqlite"], problem: "'merg' is not a command of pipelab. Did you mean 'merge'?",
                 accepted: "Accepted: run, sweep, sweeps, report, compare, merge, migrate"),
        BadInput(arguments: ["frobnicate"], problem: "'frobnicate' is not a command of pipelab. Accepted: run,", accepted: "merge, migrate"),
        BadInput(arguments: ["compare", "1", "nosuch"], problem: "no sweep 'nosuch'", accepted: "`pipelab sweeps` lists them", fixture: .database),
        BadInput(arguments: ["migrate"], problem: "is not a SQLite database", accepted: "left unchanged", status: 65, fixture: .notADatabase),
        BadInput(arguments: ["migrate", "extra"], problem: "Unexpected argument 'extra'", accepted: "pipelab migrate --help"),
        BadInput(arguments: ["migrate", "--db", ":memory:"], problem: "':memory:' is an in-memory database"),
        BadInput(arguments: ["sweeps", "--db", "missing.sqlite"], problem: "no pipelab database at missing.sqlite",
                 accepted: "accepted: a database that `pipelab sweep --db missing.sqlite` made"),
        BadInput(arguments: ["sweeps"], problem: "no pipelab database at missing.sqlite", accepted: "accepted: a database that `pipelab sweep` made with this PIPELAB_DB",
                 environment: ["PIPELAB_DB": "missing.sqlite"]),
        // the hidden worker mode, run by hand
        BadInput(arguments: ["worker"], problem: "worker is pipelab's internal mode"),
        BadInput(arguments: ["worker", "--recorder", "1"], problem: "--recorder 1 is not this process's parent", accepted: "not by hand"),
    ]

    @Test(arguments: cases)
    func refusedWithOneLineAndNothingWritten(_ input: BadInput) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.prepare(input.fixture, in: directory)
        let before = try Self.contents(of: directory)
        let output = try CLI.run(input.arguments, in: directory, environment: input.environment)
        #expect(output.status == input.status, "stderr: \(output.stderr)")
        #expect(!output.signaled)
        #expect(output.stdout.isEmpty)
        let lines = output.stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == 1 && output.stderr.hasSuffix("\n"), "stderr: \(output.stderr)")
        #expect(output.stderr.hasPrefix("pipelab: ") || output.stderr.hasPrefix("pipelab worker: "))
        #expect(output.stderr.contains(input.problem), "stderr: \(output.stderr)")
        #expect(output.stderr.contains(input.accepted), "stderr: \(output.stderr)")
        // What is accepted is said at most once.
        #expect(output.stderr.lowercased().components(separatedBy: "accepted:").count <= 2, "stderr: \(output.stderr)")
        #expect(!output.stderr.contains("?;"), "stderr: \(output.stderr)")
        #expect(try Self.contents(of: directory) == before)
    }

    @Test func thereAreAtLeastFortyClasses() {
        #expect(Self.cases.count >= 40)
    }

    @Test func messageNamesTheFlagAndWhatIsAccepted() throws {
        let output = try CLI.run(["run", "--transport", "tcp5"])
        #expect(output.stderr == "pipelab: --transport: unknown value 'tcp5'; accepted: tcp4, tcp6, unix, pipe\n")
    }

    /// --db was passed: the hint is the sweep that would make that file, not "pass --db".
    @Test func aMissingDatabaseGivenWithDbIsNotToldToPassDb() throws {
        let output = try CLI.run(["report", "1", "--db", "nope.sqlite", "--out", "r.md"], in: try temporaryDirectory())
        #expect(output.status == 64)
        #expect(output.stderr == "pipelab: no pipelab database at nope.sqlite; accepted: a database that `pipelab sweep --db nope.sqlite` made\n")
    }

    /// The parser's suggestion ends a sentence; what is accepted begins the next, without "?;".
    @Test func aSuggestionIsJoinedToWhatIsAcceptedCleanly() throws {
        let output = try CLI.run(["sweep", "--repat", "3"])
        #expect(output.stderr == "pipelab: Unknown option '--repat'. Did you mean '--repeat'? Accepted: what `pipelab sweep --help` lists\n")
    }

    @Test func negativeValuesSayTheSameSeparateOrAttached() throws {
        for option in ["--sleep", "--sends", "--timeout", "--payload"] {
            let separate = try CLI.run(["run", option, "-1"])
            let attached = try CLI.run(["run", "\(option)=-1"])
            #expect(separate.stderr == attached.stderr)
            #expect(separate.stderr.contains("'-1' is negative"), "\(separate.stderr)")
        }
    }

    /// Every file in `directory` with its bytes.
    /// Every file and its bytes, except SQLite's -wal and -shm companions of a WAL database, which
    /// any reader may create (docs/schema.md); the database file itself must not change.
    static func contents(of directory: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path)
        where !name.hasSuffix(".sqlite-wal") && !name.hasSuffix(".sqlite-shm") {
            files[name] = try Data(contentsOf: directory.appendingPathComponent(name))
        }
        return files
    }

    static func prepare(_ fixture: BadInput.Fixture, in directory: URL) throws {
        let database = directory.appendingPathComponent("pipelab.sqlite")
        switch fixture {
        case .none: break
        case .database: try FileManager.default.copyItem(at: try fixtureDatabase.get(), to: database)
        case .notADatabase: try Data("not a database, but precious\n".utf8).write(to: database)
        case .spec(let text): try Data(text.utf8).write(to: directory.appendingPathComponent("spec.json"))
        }
    }

    /// One small completed sweep, recorded once for every case that needs a real database.
    static let fixtureDatabase: Result<URL, Error> = Result {
        let directory = try temporaryDirectory()
        let output = try CLI.run(sweepCommand + ["--name", "fixture"], in: directory)
        guard output.status == 0 else { throw TestFailure("fixture sweep exited \(output.status): \(output.stderr)") }
        return directory.appendingPathComponent("pipelab.sqlite")
    }
}

