import Foundation
import Glibc
@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabNetwork
@testable import PipeLabReport
@testable import PipeLabWorker
import Testing

/// Real programs in their own runtimes, each under strace against pipelab's own peer on real
/// loopback sockets, started with the default SIGPIPE disposition: what each runtime really sees.
/// A runtime that is not installed is skipped, and the test says so.
@Suite(.serialized) struct RealClientTests {
    struct Seen {
        var signature: String
        var run: RealClientRun
        var writes: [Step] { run.traced.steps.filter { $0.op.isClientWrite } }
    }

    /// One run of `client` with sleep 100 ms and 3 sends; nil when its runtime is not installed.
    static func perform(_ client: ClientProgram, peer action: PeerAction, sigpipe: SigpipeMode = .default,
                        userCommand: String? = nil) throws -> Seen? {
        let command: [String]
        switch ClientPrograms.command(for: client, userCommand: userCommand) {
        case .success(let found): command = found
        case .failure(let unavailable):
            print("skipped \(client.rawValue): \(unavailable.reason)")
            return nil
        }
        let scenario = Scenario(transport: .tcp4, peer: action, sigpipe: sigpipe, sleepNs: 100_000_000, sends: 3, payloadBytes: 5)
        let (log, fd) = try StepLog.create()
        defer { close(fd) }
        let recorder = StepRecorder(log: log, area: .client, half: 0, token: 1, runStartNs: MonotonicClock.nowNs(), isTCP: true)
        let run = try RealClientRun.perform(command, scenario, listener: try LoopbackListener(transport: .tcp4),
                                            peer: try PeerThread(tokens: nil), recorder: recorder)
        if let open = run.peerStillOpen { close(open) }
        var tokens = run.traced.steps.filter { $0.op.isClientWrite }.compactMap(Signature.token(for:))
        if case .signaled(let signal) = run.termination { tokens.append("killed:" + SignalName.of(signal)) }
        return Seen(signature: tokens.joined(separator: ","), run: run)
    }

    /// A mandatory runtime's (c, python, node, perl; README's install line) run of the classic case
    /// (peer close, SIGPIPE ignored), of linger0, and of the classic case started with SIGPIPE's
    /// default action: what its system calls made, what it was told, how it ended.
    struct Case: CustomTestStringConvertible, Sendable {
        var client: ClientProgram
        var peer: PeerAction
        var sigpipe: SigpipeMode
        var signature: String
        /// What it reported at its first failing send (`runs.client_error`); nil when it died first.
        var error: String?
        var killed: Bool
        var writes: [PipeLabExperiment.Operation]
        /// The disposition its writes met.
        var met: SigpipeDisposition
        var testDescription: String { "\(client.rawValue) \(peer.rawValue) \(sigpipe.rawValue) → \(signature)" }
    }

    static let cases: [Case] = [
        Case(client: .c, peer: .close, sigpipe: .ignore, signature: "ok,ok,EPIPE", error: "errno 32: Broken pipe",
             killed: false, writes: [.sendto, .sendto, .sendto], met: .ignore),
        // Every failure it was told of, in order: the RST's stored ECONNRESET, then EPIPE.
        Case(client: .c, peer: .linger0, sigpipe: .ignore, signature: "ok,ECONNRESET,EPIPE", error: "errno 104: Connection reset by peer, then errno 32: Broken pipe",
             killed: false, writes: [.sendto, .sendto, .sendto], met: .ignore),
        Case(client: .c, peer: .close, sigpipe: .default, signature: "ok,ok,killed:SIGPIPE", error: nil,
             killed: true, writes: [.sendto, .sendto, .sendto], met: .default),
        // CPython sets SIGPIPE to SIG_IGN at start-up, whatever it inherited.
        Case(client: .python, peer: .close, sigpipe: .ignore, signature: "ok,ok,EPIPE", error: "BrokenPipeError: [Errno 32] Broken pipe",
             killed: false, writes: [.sendto, .sendto, .sendto], met: .ignore),
        Case(client: .python, peer: .linger0, sigpipe: .ignore, signature: "ok,ECONNRESET,EPIPE",
             error: "ConnectionResetError: [Errno 104] Connection reset by peer, then BrokenPipeError: [Errno 32] Broken pipe", killed: false, writes: [.sendto, .sendto, .sendto], met: .ignore),
        Case(client: .python, peer: .close, sigpipe: .default, signature: "ok,ok,EPIPE", error: "BrokenPipeError: [Errno 32] Broken pipe",
             killed: false, writes: [.sendto, .sendto, .sendto], met: .ignore),
        // Node reads the peer's FIN (or RST) during the sleep and fails the later writes itself:
        // they never reach the kernel.
        Case(client: .node, peer: .close, sigpipe: .ignore, signature: "ok", error: "Error [EPIPE]: This socket has been ended by the other party",
             killed: false, writes: [.write], met: .ignore),
        // Its own read meets the RST's ECONNRESET first (an 'error' event), then it fails the sends itself.
        Case(client: .node, peer: .linger0, sigpipe: .ignore, signature: "ok",
             error: "Error [ECONNRESET]: read ECONNRESET (an 'error' event), then Error [ERR_STREAM_DESTROYED]: Cannot call write after a stream was destroyed", killed: false, writes: [.write], met: .ignore),
        Case(client: .node, peer: .close, sigpipe: .default, signature: "ok", error: "Error [EPIPE]: This socket has been ended by the other party",
             killed: false, writes: [.write], met: .ignore),
        Case(client: .perl, peer: .close, sigpipe: .ignore, signature: "ok,ok,EPIPE", error: "errno 32: Broken pipe",
             killed: false, writes: [.write, .write, .write], met: .ignore),
        Case(client: .perl, peer: .linger0, sigpipe: .ignore, signature: "ok,ECONNRESET,EPIPE", error: "errno 104: Connection reset by peer",
             killed: false, writes: [.write, .write, .write], met: .ignore),
        Case(client: .perl, peer: .close, sigpipe: .default, signature: "ok,ok,killed:SIGPIPE", error: nil,
             killed: true, writes: [.write, .write, .write], met: .default),
    ]

    @Test(arguments: cases)
    func aMandatoryRuntimeSeesWhatItsRuntimeMakesOfTheCalls(_ expected: Case) throws {
        guard let seen = try Self.perform(expected.client, peer: expected.peer, sigpipe: expected.sigpipe) else { return }
        #expect(seen.signature == expected.signature, "\(seen.run.output)")
        #expect(seen.writes.map(\.op) == expected.writes)
        #expect(seen.run.traced.disposition == expected.met)
        let report = ClientReport(exitCode: nil, disposition: seen.run.traced.disposition, output: seen.run.output)
        #expect(report.error == expected.error)
        if expected.killed {
            #expect(seen.run.termination == .signaled(SIGPIPE))
            // It died inside its last write: no result, and the signal marked on it.
            #expect(seen.writes.last?.result == nil && seen.writes.last?.sigpipe == true)
        } else {
            #expect(seen.run.termination == .exited(0))
        }
        // Its connect to the peer's port comes first among its steps on the connection.
        #expect(seen.run.traced.steps.first { $0.op != .sigaction }?.op == .connect)
    }

    /// A SIGPIPE blocked at exec stays blocked in a C program: the failing write leaves it pending.
    @Test func cStartedBlockedLeavesSigpipePending() throws {
        guard let seen = try Self.perform(.c, peer: .close, sigpipe: .blocked) else { return }
        #expect(seen.signature == "ok,ok,EPIPE+SIGPIPE")
        #expect(seen.run.traced.disposition == .blocked)
        #expect(seen.run.termination == .exited(0))
    }

    /// Node replaces its signal mask at start-up (rt_sigprocmask SIG_SETMASK): a SIGPIPE blocked at
    /// exec is unblocked, and Node's SIG_IGN is what its writes meet.
    @Test func nodeStartedBlockedUnblocksSigpipe() throws {
        guard let seen = try Self.perform(.node, peer: .close, sigpipe: .blocked) else { return }
        #expect(seen.run.traced.disposition == .ignore)
        #expect(seen.run.termination == .exited(0))
    }

    @Test func pythonSetsSigpipeIgnoredItself() throws {
        guard let seen = try Self.perform(.python, peer: .close) else { return }
        #expect(seen.run.traced.steps.contains { $0.op == .sigaction && $0.value == SigpipeDisposition.ignore.rawValue })
        #expect(seen.run.output.contains(#""error": "BrokenPipeError", "errno": 32, "message": "[Errno 32] Broken pipe""#))
    }

    @Test func nodeAfterAnAbortiveCloseReportsAnErrorEvent() throws {
        guard let seen = try Self.perform(.node, peer: .linger0) else { return }
        #expect(seen.run.output.contains(#""event":"error""#))
        #expect(seen.run.output.contains("ECONNRESET"))
        #expect(seen.run.termination == .exited(0))
    }

    @Test func javaThrowsSocketExceptionBrokenPipe() throws {
        guard let seen = try Self.perform(.java, peer: .close) else { return }
        // The JVM installs a SIGPIPE handler of its own: the signal is raised and handled.
        #expect(seen.signature == "ok,ok,EPIPE+SIGPIPE")
        #expect(seen.run.output.contains(#""error":"java.net.SocketException","message":"Broken pipe""#))
        #expect(seen.run.traced.disposition == .handler)
    }

    @Test func goReturnsBrokenPipe() throws {
        guard let seen = try Self.perform(.go, peer: .close) else { return }
        #expect(seen.signature == "ok,ok,EPIPE+SIGPIPE")
        #expect(seen.run.output.contains("write: broken pipe"))
        #expect(seen.run.traced.disposition == .handler)
    }

    /// Rust's standard library ignores SIGPIPE and sends with MSG_NOSIGNAL: no signal at all.
    @Test func rustReturnsBrokenPipe() throws {
        guard let seen = try Self.perform(.rust, peer: .close) else { return }
        #expect(seen.signature == "ok,ok,EPIPE")
        #expect(seen.writes.allSatisfy { !$0.sigpipe })
        #expect(seen.run.output.contains(#""error":"BrokenPipe","errno":32"#))
    }

    @Test func userCommandIsTracedLikeAShippedClient() throws {
        // A program written here: the shell's printf through /dev/tcp is not portable, so perl.
        let program = #"perl -MIO::Socket::IP -e '$s = IO::Socket::IP->new(PeerHost => $ENV{PIPELAB_HOST}, PeerPort => $ENV{PIPELAB_PORT}) or die; syswrite $s, "hello"; select undef, undef, undef, 0.2; syswrite $s, "again" or print "failed: $!\n"'"#
        guard let seen = try Self.perform(.command, peer: .linger0, userCommand: program) else { return }
        #expect(seen.signature == "ok,ECONNRESET")
        #expect(seen.run.output.contains("failed: Connection reset by peer"))
        #expect(seen.run.termination == .exited(0))
    }
}

/// `pipelab run --client` and `--client-cmd`, end to end: the worker starts the program under
/// strace and the run reads like any other, with the program's own report beside it.
@Suite struct RealClientCommandTests {
    @Test func runClientPythonShowsTheSeedsOutcome() throws {
        guard case .success = ClientPrograms.command(for: .python) else {
            print("skipped: \(ClientProgram.python.rawValue) is not installed")
            return
        }
        let run = try CLI.runJSON(["--client", "python", "--sleep", "100ms"])
        #expect(run["signature"] as? String == "ok,ok,EPIPE")
        let client = try #require(run["client"] as? [String: Any])
        #expect(client["error"] as? String == "BrokenPipeError: [Errno 32] Broken pipe")
        #expect(client["sigpipe"] as? String == "ignore")
        #expect(client["exit_code"] as? Int == 0)
        let steps = try #require(run["steps"] as? [[String: Any]])
        let third = steps.filter { $0["actor"] as? String == "client" && $0["op"] as? String == "sendto" }.last
        #expect(third?["errno"] as? Int == 32)
    }

    @Test func clientCommandRunsAProgramWrittenHere() throws {
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        // A C program that writes twice with write(2), keeping SIGPIPE's default action.
        let source = folder.appendingPathComponent("mine.c")
        try #"""
        #include <netdb.h>
        #include <stdlib.h>
        #include <sys/socket.h>
        #include <unistd.h>
        int main(void) {
            struct addrinfo *a;
            if (getaddrinfo(getenv("PIPELAB_HOST"), getenv("PIPELAB_PORT"), NULL, &a) != 0) return 2;
            int fd = socket(a->ai_family, SOCK_STREAM, 0);
            if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) return 3;
            write(fd, "hello", 5);
            usleep(100000);
            for (int i = 0; i < 2; i++) write(fd, "again", 5);
            return 0;
        }
        """#.write(to: source, atomically: true, encoding: .utf8)
        let binary = folder.appendingPathComponent("mine").path
        let compiled = try CLI.run(["-o", binary, source.path], executable: "/usr/bin/cc")
        try #require(compiled.status == 0, "cc: \(compiled.stderr)")
        let run = try CLI.runJSON(["--client-cmd", binary, "--sigpipe", "default", "--sleep", "100ms"])
        #expect(run["signature"] as? String == "ok,ok,killed:SIGPIPE")
        #expect(run["outcome"] as? String == "killed")
        let client = try #require(run["client"] as? [String: Any])
        #expect(client["program"] as? String == "command")
        #expect(client["sigpipe"] as? String == "default")
        #expect(client["exit_code"] is NSNull)
    }

    @Test func badClientInputIsOneLineAndExit64() throws {
        for arguments in [["--client", "cobol"], ["--client", "command"], ["--client", "python", "--client-cmd", "true"],
                          ["--client", "python", "--transport", "unix"], ["--client", "python", "--sigpipe", "handler"]] {
            let output = try CLI.run(["run"] + arguments)
            #expect(output.status == 64, "\(arguments)")
            #expect(output.stderr.split(separator: "\n").count == 1, "\(arguments): \(output.stderr)")
        }
    }
}

/// strace's lines as the traced programs produced them (taken from real runs on this machine).
@Suite struct StraceTraceTests {
    @Test func joinsUnfinishedCallsAndAttributesSignalsToTheirWrite() {
        let trace = """
        4009  1796319611.100000 rt_sigaction(SIGPIPE, {sa_handler=0x465e60, sa_mask=~[RTMIN RT_1], sa_flags=SA_RESTORER|SA_ONSTACK|SA_RESTART|SA_SIGINFO, sa_restorer=0x7f416ab32050}, NULL, 8) = 0 <0.000009>
        32487 1796319611.414374 connect(4, {sa_family=AF_INET6, sin6_port=htons(50489), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::ffff:127.0.0.1", &sin6_addr), sin6_scope_id=0}, 28) = 0 <0.000086>
        32487 1796319611.419656 write(4, ""..., 5) = 5 <0.000044>
        32488 1796319611.500000 write(4, ""..., 5 <unfinished ...>
        32487 1796319611.500100 write(9, ""..., 1) = 1 <0.000010>
        32488 1796319611.500200 <... write resumed>) = -1 EPIPE (Broken pipe) <0.000250>
        32488 1796319611.570173 --- SIGPIPE {si_signo=SIGPIPE, si_code=SI_USER, si_pid=32484, si_uid=0} ---
        32487 1796319611.699185 shutdown(4, SHUT_WR) = -1 ENOTCONN (Transport endpoint is not connected) <0.000157>
        32488 1796319611.700000 +++ killed by SIGPIPE +++
        """
        let traced = TracedClient(StraceTrace.parse(trace), port: 50489, runStartNs: 1_796_319_611_000_000_000, startedWith: .default)
        #expect(traced.steps.map(\.op) == [.sigaction, .connect, .write, .write, .shutdown])
        #expect(traced.disposition == .handler)
        let failed = traced.steps[3]
        #expect(failed.result == -1 && failed.errno == EPIPE && failed.sigpipe)
        #expect(failed.startNs == 500_000_000 && failed.durationNs == 250_000)
        #expect(traced.steps[4].errno == ENOTCONN)
        #expect(traced.writerKilledBy == SIGPIPE)
    }

    /// A program started with SIGPIPE blocked: a shell blocks every signal around vfork and its
    /// child unblocks them before exec (the child's lines come before the vfork returns), so the
    /// program's writes meet SIGPIPE unmasked; a thread that keeps it masked leaves it pending.
    @Test func followsEachThreadsSignalMask() {
        let shell = """
        14692 1.000000 rt_sigprocmask(SIG_SETMASK, ~[RTMIN RT_1], NULL, 8) = 0 <0.000005>
        14692 1.000010 vfork( <unfinished ...>
        14693 1.000020 rt_sigprocmask(SIG_SETMASK, [], ~[KILL STOP RTMIN RT_1], 8) = 0 <0.000005>
        14692 1.000030 <... vfork resumed>) = 14693 <0.000100>
        14693 1.100000 connect(3, {sa_family=AF_INET, sin_port=htons(47069), sin_addr=inet_addr("127.0.0.1")}, 16) = 0 <0.000010>
        14693 1.200000 write(3, ""..., 5) = -1 EPIPE (Broken pipe) <0.000010>
        14693 1.200100 --- SIGPIPE {si_signo=SIGPIPE, si_code=SI_USER, si_pid=14693, si_uid=0} ---
        14693 1.200200 +++ killed by SIGPIPE +++
        """
        let unmasked = TracedClient(StraceTrace.parse(shell), port: 47069, runStartNs: 1_000_000_000, startedWith: .blocked)
        #expect(unmasked.disposition == .default)
        #expect(unmasked.steps.last?.result == nil && unmasked.writerKilledBy == SIGPIPE)

        let threads = """
        20 1.000000 clone3({flags=CLONE_VM|CLONE_THREAD, exit_signal=0} => {parent_tid=[21]}, 88) = 21 <0.000050>
        20 1.000100 rt_sigprocmask(SIG_UNBLOCK, [PIPE], NULL, 8) = 0 <0.000005>
        21 1.100000 connect(3, {sa_family=AF_INET, sin_port=htons(7), sin_addr=inet_addr("127.0.0.1")}, 16) = 0 <0.000010>
        21 1.200000 sendto(3, ""..., 5, 0, NULL, 0) = -1 EPIPE (Broken pipe) <0.000010>
        21 1.300000 sendto(3, ""..., 5, MSG_NOSIGNAL, NULL, 0) = -1 EPIPE (Broken pipe) <0.000010>
        """
        let pending = TracedClient(StraceTrace.parse(threads), port: 7, runStartNs: 1_000_000_000, startedWith: .blocked)
        #expect(pending.disposition == .blocked)
        #expect(pending.steps.filter { $0.op.isClientWrite }.map(\.sigpipe) == [true, false])
    }

    @Test func countsTheBytesOfVectoredWritesAndIgnoresOtherConnections() {
        let trace = """
        10 1.000000 connect(3, {sa_family=AF_INET, sin_port=htons(9), sin_addr=inet_addr("127.0.0.1")}, 16) = 0 <0.000010>
        10 1.100000 connect(5, {sa_family=AF_INET, sin_port=htons(7), sin_addr=inet_addr("127.0.0.1")}, 16) = -1 EINPROGRESS (Operation now in progress) <0.000010>
        10 1.200000 writev(5, [{iov_base=""..., iov_len=5}, {iov_base=""..., iov_len=3}], 2) = 8 <0.000010>
        10 1.300000 sendmsg(3, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base=""..., iov_len=64}], msg_iovlen=1, msg_controllen=0, msg_flags=0}, MSG_NOSIGNAL) = 64 <0.000010>
        10 1.400000 close(5) = 0 <0.000010>
        10 1.500000 write(5, ""..., 5) = 5 <0.000010>
        """
        let traced = TracedClient(StraceTrace.parse(trace), port: 7, runStartNs: 1_000_000_000, startedWith: .ignore)
        #expect(traced.steps.map(\.op) == [.connect, .writev, .close])
        #expect(traced.steps[0].errno == EINPROGRESS)
        #expect(traced.steps[1].bytes == 8)
        #expect(traced.disposition == .ignore)
    }
}

/// What RuntimeExplainer says of a program whose runtime buffers its writes (Node with 4 MiB sends,
/// as measured on this machine): its send's first write(2) returned short, the runtime wrote the
/// rest itself, and the failure that later write met was reported for the send that began earlier.
@Suite struct RuntimeExplainerTests {
    static func write(_ bytes: Int64, _ result: Int64, errno: Int32 = 0, at startNs: Int64) -> Step {
        Step(actor: .client, op: .write, bytes: bytes, result: result, errno: errno, sigpipe: false, startNs: startNs,
             durationNs: 1_000, tcpState: nil, value: nil)
    }

    @Test func aBufferedWriteReportsItsFailureAfterTheCallThatBeganIt() {
        let writes = [Self.write(4_194_304, 523_856, at: 1_000), Self.write(3_670_448, -1, errno: ECONNRESET, at: 2_000)]
        #expect(RuntimeExplainer.programSends(writes) == [1, 1])
        var run = RunResult(scenario: Scenario(transport: .tcp4, peer: .close, sigpipe: .ignore, sleepNs: 100_000_000, sends: 3,
                                               payloadBytes: 4_194_304, client: .node),
                            repeatIndex: 0, outcome: .error, termSignal: nil, steps: writes, harnessMessage: nil, startedAt: 0, durationNs: 0)
        run.client = ClientReport(exitCode: 0, disposition: .ignore, output: """
            {"send":1,"ok":false,"error":"Error","code":"ECONNRESET","errno":-104,"message":"write ECONNRESET"}
            {"send":2,"ok":false,"error":"Error","code":"ERR_STREAM_DESTROYED","message":"Cannot call write after a stream was destroyed"}
            {"send":3,"ok":false,"error":"Error","code":"ERR_STREAM_DESTROYED","message":"Cannot call write after a stream was destroyed"}
            """)
        let said = RuntimeExplainer.calls(run)
        #expect(said.first == "Send #1's first write(2) returned after 523856 of 4194304 bytes; the runtime kept the rest and wrote it itself, and that later write(2) met ECONNRESET: the program was told Error [ECONNRESET]: write ECONNRESET for send #1, a failure reported after the call that began the send had returned.")
        #expect(said.last?.hasPrefix("The node client made 2 writes on the connection for 1 of its 3 sends: it failed sends #2, #3 itself") == true)
    }

    /// A program that sends with send(2) and moves on after a short count begins a new send with
    /// each call: its writes are its sends.
    @Test func aShortSendFollowedByAWholeOneIsTwoSends() {
        let writes = [Self.write(65_536, 4_096, at: 1_000), Self.write(65_536, -1, errno: EPIPE, at: 2_000)]
        #expect(RuntimeExplainer.programSends(writes) == [1, 2])
    }
}
