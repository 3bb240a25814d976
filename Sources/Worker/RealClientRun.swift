import CPipeLabSupport
import Foundation
import PipeLabExperiment
import PipeLabKernel
import PipeLabNetwork

/// One run with a real program as the client: the program, under strace, gets the peer's address
/// and the script in its environment, connects and writes; the peer is pipelab's own, on its
/// thread, ending the connection its way as for the harness client. strace's record becomes the
/// client's steps once the program has ended.
package struct RealClientRun {
    /// How the program ended (strace ends the way its traced program did).
    package var termination: ProcessTermination
    package var traced: TracedClient
    /// What the program printed: its one JSON line per send, or anything else a user's program says.
    package var output: String
    package var errors: String
    /// The peer's end, when the peer left it open (shutdown endings); the caller closes it.
    package var peerStillOpen: Int32?
    /// The connection's ports, read as it was accepted (for the capture).
    package var ports: (client: UInt16, peer: UInt16)?

    /// The environment a client program reads (Clients/README.md documents it).
    package static func environment(_ scenario: Scenario, host: String, port: UInt16) -> [String: String] {
        ["PIPELAB_HOST": host, "PIPELAB_PORT": String(port), "PIPELAB_SENDS": String(scenario.sends),
         "PIPELAB_PAYLOAD_BYTES": String(scenario.payloadBytes), "PIPELAB_SLEEP_NS": String(scenario.sleepNs),
         "PIPELAB_INTERVAL_NS": String(scenario.intervalNs)]
    }

    package static func perform(_ command: [String], _ scenario: Scenario, listener: LoopbackListener, peer: PeerThread,
                                recorder: StepRecorder) throws(SystemError) -> RealClientRun {
        let folder = try PrivateFolder.make(prefix: "pipelab-client", for: "a client's trace")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (trace, output, errors) = (folder + "/trace", folder + "/output", folder + "/errors")
        let target = listener.target
        // The program and strace die with the worker (PR_SET_PDEATHSIG survives exec), so a worker
        // killed at its timeout leaves no program hanging in a send.
        let dieWithParent = ["setpriv", "--pdeathsig", "KILL", "--"]
        let arguments = dieWithParent + ["strace", "-f", "-ttt", "-T", "-qq", "-s", "0",
                                         "-e", "trace=" + TracedClient.traced.joined(separator: ","),
                                         "-e", "signal=SIGPIPE", "-o", trace, "--"] + dieWithParent + command
        // strace stamps its lines with the wall clock: the run's start on that clock.
        let runStartWallNs = WallClock.nowNs() - (MonotonicClock.nowNs() - recorder.runStartNs)
        // An ignored SIGPIPE reaches the program by inheritance (posix_spawn can only reset it to
        // SIG_DFL): the caller ignores it too, which costs it nothing (it never writes to the
        // run's connection, and the worker writes to its recorder with MSG_NOSIGNAL).
        if scenario.sigpipe == .ignore { _ = SigpipeControl(mode: .ignore) }
        let child = try ChildProcess(arguments, environment: environment(scenario, host: target.host, port: target.port),
                                     output: output, errors: errors, sigpipe: scenario.sigpipe)
        var peerFD: Int32?
        // Until the program connects or ends: one that never connects leaves the peer nothing to do.
        var ended = child.ended()
        while ended == nil && peerFD == nil {
            guard pipelab_wait_readable(listener.fd, 10_000_000) > 0 else {
                ended = child.ended()
                continue
            }
            let accepted = recorder.forPeer.record(.peer, .accept, bytes: 0, fd: nil, stateOfResult: true) {
                listener.acceptFirst().value
            }
            if !accepted.failed { peerFD = Int32(accepted.value) }
        }
        let ports = peerFD.flatMap { fd in
            Sockets.port(of: fd, peer: true).flatMap { client in Sockets.port(of: fd, peer: false).map { (client: client, peer: $0) } }
        }
        var peerStillOpen: Int32?
        if let peerFD {
            // A program of its own cannot wait at the start barrier: it is already sending.
            peer.begin(PeerThread.Job(fd: peerFD, action: scenario.peer, transport: scenario.transport,
                                      recorder: recorder.forPeer, letClientStart: { true }))
            ended = child.wait()
            if peer.finish() { peerStillOpen = peerFD }
        }
        let termination = ended ?? child.wait()
        let events = StraceTrace.parse((try? String(contentsOfFile: trace, encoding: .utf8)) ?? "")
        let disposition: SigpipeDisposition = switch scenario.sigpipe {
        case .ignore: .ignore
        case .blocked: .blocked
        case .default, .handler, .nosignal: .default
        }
        return RealClientRun(termination: termination,
                             traced: TracedClient(events, port: target.port, runStartNs: runStartWallNs, startedWith: disposition),
                             output: (try? String(contentsOfFile: output, encoding: .utf8)) ?? "",
                             errors: (try? String(contentsOfFile: errors, encoding: .utf8)) ?? "",
                             peerStillOpen: peerStillOpen, ports: ports)
    }
}
