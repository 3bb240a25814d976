import Foundation
import Glibc
@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabNetwork
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
    static func perform(_ client: ClientProgram, peer action: PeerAction, userCommand: String? = nil) throws -> Seen? {
        let command: [String]
        switch ClientPrograms.command(for: client, userCommand: userCommand) {
        case .success(let found): command = found
        case .failure(let unavailable):
            print("skipped \(client.rawValue): \(unavailable.reason)")
            return nil
        }
        let scenario = Scenario(transport: .tcp4, peer: action, sigpipe: .default, sleepNs: 100_000_000, sends: 3, payloadBytes: 5)
        let (log, fd) = try StepLog.create()
        defer { close(fd) }
        let recorder = StepRecorder(log: log, area: .client, token: 1, runStartNs: MonotonicClock.nowNs(), isTCP: true)
        let run = try RealClientRun.perform(command, scenario, listener: try LoopbackListener(transport: .tcp4),
                                            peer: try PeerThread(), recorder: recorder)
        if let open = run.peerStillOpen { close(open) }
        var tokens = run.traced.steps.filter { $0.op.isClientWrite }.compactMap(Signature.token(for:))
        if case .signaled(let signal) = run.termination { tokens.append("killed:" + SignalName.of(signal)) }
        return Seen(signature: tokens.joined(separator: ","), run: run)
    }

    @Test func cDiesOfSigpipeAtTheThirdSend() throws {
        guard let seen = try Self.perform(.c, peer: .close) else { return }
        #expect(seen.signature == "ok,ok,killed:SIGPIPE")
        #expect(seen.run.termination == .signaled(SIGPIPE))
        #expect(seen.writes.map(\.op) == [.sendto, .sendto, .sendto])
        #expect(seen.writes.last?.result == nil && seen.writes.last?.sigpipe == true)
        #expect(seen.run.traced.disposition == .default)
    }

    @Test func pythonRaisesBrokenPipeError() throws {
        guard let seen = try Self.perform(.python, peer: .close) else { return }
        #expect(seen.signature == "ok,ok,EPIPE")
        #expect(seen.run.termination == .exited(0))
        // CPython sets SIGPIPE to SIG_IGN at start-up, before the script runs.
        #expect(seen.run.traced.steps.contains { $0.op == .sigaction && $0.value == SigpipeDisposition.ignore.rawValue })
        #expect(seen.run.output.contains(#""error": "BrokenPipeError", "errno": 32, "message": "[Errno 32] Broken pipe""#))
    }

    @Test func pythonAfterAnAbortiveCloseRaisesConnectionResetError() throws {
        guard let seen = try Self.perform(.python, peer: .linger0) else { return }
        #expect(seen.signature == "ok,ECONNRESET,EPIPE")
        #expect(seen.run.output.contains(#""error": "ConnectionResetError", "errno": 104"#))
        #expect(seen.run.output.contains(#""error": "BrokenPipeError", "errno": 32"#))
    }

    @Test func perlDiesOfSigpipe() throws {
        guard let seen = try Self.perform(.perl, peer: .close) else { return }
        #expect(seen.signature == "ok,ok,killed:SIGPIPE")
        #expect(seen.run.termination == .signaled(SIGPIPE))
        #expect(seen.writes.map(\.op) == [.write, .write, .write])
        // Perl prints its line for each send that returned, and nothing for the one it died in.
        #expect(seen.run.output.split(separator: "\n").count == 2)
    }

    /// Node reads the peer's FIN during the sleep, ends its own side (allowHalfOpen is false) and
    /// fails the later writes itself: they never reach the kernel.
    @Test func nodeFailsLaterWritesWithoutASystemCall() throws {
        guard let seen = try Self.perform(.node, peer: .close) else { return }
        #expect(seen.signature == "ok")
        #expect(seen.run.traced.steps.contains { $0.op == .shutdown && $0.result == 0 })
        #expect(seen.run.output.contains(#""send":3,"ok":false,"error":"Error","code":"EPIPE""#))
        #expect(seen.run.termination == .exited(0))
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
