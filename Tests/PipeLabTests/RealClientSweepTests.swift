import Foundation
@testable import PipeLabExperiment
@testable import PipeLabWorker
import Testing

/// `sweep --client` and `--client-cmd`, end to end: real programs as cells of a sweep, recorded
/// with what they reported, the combinations they cannot take and the runtimes this machine lacks
/// left out with their reasons, and the report's runtime table.
@Suite(.serialized) struct RealClientSweepTests {
    static func sqlite(_ database: String, _ sql: String) throws -> [String] {
        try CLIShell.sqlite3(database, sql).stdout.split(separator: "\n").map(String.init)
    }

    @Test func aSweepOfRuntimesRecordsWhatEachProgramSaw() throws {
        for client in [ClientProgram.c, .python] {
            guard case .success = ClientPrograms.command(for: client) else {
                print("skipped: \(client.rawValue) is not installed")
                return
            }
        }
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = folder.appendingPathComponent("runtimes.sqlite").path
        let sweep = try CLI.run(["sweep", "--db", database, "--client", "harness,c,python", "--peer", "close",
                                 "--sigpipe", "default,handler", "--sleep", "100ms", "--repeat", "2", "--quiet"])
        try #require(sweep.status == 0, "\(sweep.stderr)")
        // A handler does not survive exec: only the harness runs it.
        #expect(try Self.sqlite(database, "SELECT client, reason FROM skipped ORDER BY client") == [
            "c|a signal handler does not survive exec(2): a real program brings its own",
            "python|a signal handler does not survive exec(2): a real program brings its own",
        ])
        let rows = try Self.sqlite(database, """
            SELECT client, sigpipe, signature, COALESCE(client_error, '-'), COALESCE(client_sigpipe, '-'),
                   COALESCE(client_exit, '-'), COALESCE(term_signal, '-'), client_output IS NOT NULL
            FROM runs WHERE peer_late = 0 ORDER BY client, sigpipe
            """)
        // Two repeats: a run the machine disturbed (a busy machine's) leaves the rows, the other stays.
        #expect(rows.contains("c|default|ok,ok,killed:SIGPIPE|-|default|-|SIGPIPE|1"), "\(rows)")
        #expect(rows.contains("python|default|ok,ok,EPIPE|BrokenPipeError: [Errno 32] Broken pipe|ignore|0|-|1"), "\(rows)")
        #expect(rows.contains { $0.hasPrefix("harness|handler|ok,ok,EPIPE+SIGPIPE|-|-|-|-|0") }, "\(rows)")
        // A real program's writes are steps as strace named them.
        #expect(try Self.sqlite(database, """
            SELECT group_concat(op) FROM (SELECT s.op FROM steps s JOIN runs r ON r.id = s.run_id
            WHERE r.client = 'python' AND r.repeat_index = 0 AND s.send_number IS NOT NULL ORDER BY s.seq)
            """) == ["sendto,sendto,sendto"])

        let report = folder.appendingPathComponent("report.md").path
        let made = try CLI.run(["report", "--db", database, "--out", report])
        try #require(made.status == 0, "\(made.stderr)")
        let text = try String(contentsOfFile: report, encoding: .utf8)
        #expect(text.contains("## What each program saw"))
        #expect(text.contains("| python | close | default → ignore | `ok,ok,EPIPE` | BrokenPipeError: \\[Errno 32\\] Broken pipe | exit 0 |"))
        #expect(text.contains("| c | close | default | `ok,ok,killed:SIGPIPE` | — | killed by SIGPIPE |"))
        #expect(text.contains("Under strace:"))
    }

    /// A runtime this machine cannot run (here: its program cannot be found) is left out of the
    /// grid with the reason, like a combination that cannot exist; the rest of the sweep runs.
    @Test func aRuntimeThatCannotRunIsLeftOutWithItsReason() throws {
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = folder.appendingPathComponent("missing.sqlite").path
        let empty = folder.appendingPathComponent("no-clients").path
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let sweep = try CLI.run(["sweep", "--db", database, "--client", "harness,perl", "--sleep", "10ms", "--repeat", "1"],
                                environment: ["PIPELAB_CLIENTS": empty])
        try #require(sweep.status == 0, "\(sweep.stderr)")
        #expect(sweep.stdout.contains("not run, 1 cell"), "\(sweep.stdout)")
        let skipped = try Self.sqlite(database, "SELECT client, cells, reason FROM skipped")
        #expect(skipped == ["perl|1|the perl client's source \(empty)/client.pl cannot be read (set PIPELAB_CLIENTS to pipelab's Clients folder)"])
        #expect(try Self.sqlite(database, "SELECT DISTINCT client FROM runs") == ["harness"])
    }

    /// `--client-cmd` in a sweep: the program written here runs in each cell, and its command is
    /// kept in the stored spec, so `--resume` and the reproduce command run it again.
    @Test func aSweepRunsTheUsersOwnCommand() throws {
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = folder.appendingPathComponent("mine.sqlite").path
        // Perl with syswrite, which reports nothing: pipelab's steps and its exit are the record.
        let program = #"perl -MIO::Socket::IP -e '$s = IO::Socket::IP->new(PeerHost => $ENV{PIPELAB_HOST}, PeerPort => $ENV{PIPELAB_PORT}) or die; syswrite $s, "x"; select undef, undef, undef, 0.1; syswrite $s, "y"; syswrite $s, "z" or exit 3'"#
        let sweep = try CLI.run(["sweep", "--db", database, "--client-cmd", program, "--peer", "close,linger0",
                                 "--sigpipe", "ignore", "--sleep", "0", "--repeat", "1", "--quiet"])
        try #require(sweep.status == 0, "\(sweep.stderr)")
        let rows = try Self.sqlite(database, "SELECT client, peer, signature, client_exit FROM runs ORDER BY peer")
        #expect(rows == ["command|close|ok,ok,EPIPE|3", "command|linger0|ok,ECONNRESET,EPIPE|3"], "\(rows)")
        #expect(try Self.sqlite(database, "SELECT json_extract(spec, '$.\"client-cmd\"') FROM sweeps") == [program])
    }
}
