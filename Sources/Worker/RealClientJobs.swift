import Glibc
import PipeLabExperiment
import PipeLabKernel
import PipeLabNetwork

/// The worker's seam for real clients: where a harness run forks its own client, a real client's
/// run starts the program (RealClientRun) and reports what strace recorded as the client's steps,
/// then how the program ended and what it printed. The peer, the link and the capture are the
/// same as for every run.
package final class RealClientJobs {
    private let peer: PeerThread
    private let userCommand: String?
    /// Each client's command, found (and built) at its first run in this worker.
    private var commands: [ClientProgram: Result<[String], ClientPrograms.Unavailable>] = [:]

    package init(peer: PeerThread, userCommand: String?) {
        self.peer = peer
        self.userCommand = userCommand
    }

    /// Performs the run; returns the messages that end it (its steps are in the step log).
    package func perform(token: Int64, _ scenario: Scenario, recorder: StepRecorder, capture: Capture?, link: Link?) -> [WireMessage] {
        let found = commands[scenario.client] ?? ClientPrograms.command(for: scenario.client, userCommand: userCommand)
        commands[scenario.client] = found
        guard case .success(let command) = found else { return [.harnessError(token: token, stage: .clientProgram, errno: ENOENT)] }
        let listener: LoopbackListener
        do { listener = try LoopbackListener(transport: scenario.transport, overLink: link != nil) } catch {
            return [.harnessError(token: token, stage: scenario.transport == .tcp6 ? .listenTCP6 : .listenTCP4, errno: error.errno)]
        }
        let run: RealClientRun
        do { run = try RealClientRun.perform(command, scenario, listener: listener, peer: peer, recorder: recorder) } catch {
            return [.harnessError(token: token, stage: .clientProgram, errno: error.errno)]
        }
        for step in run.traced.steps { recorder.log.append(.step(token: token, step), to: .client, half: recorder.half) }
        var ending: [WireMessage] = []
        if let capture, let ports = run.ports {
            // The answer to the last write may still be on the link: as for the harness client.
            if link != nil { MonotonicClock.sleep(nanoseconds: scenario.rttNs + scenario.rttNs / 10 + 1_000_000) }
            ending += capture.drain(clientPort: ports.client, peerPort: ports.peer, lost: link?.takeDropped() ?? [])
                .map { .packet(token: token, $0) }
        }
        if let open = run.peerStillOpen {
            _ = Sockets.setLingerZero(open)
            close(open)
        }
        var exitCode: Int32?
        switch (run.traced.writerKilledBy, run.termination) {
        case (let signal?, _), (nil, .signaled(let signal)): ending.append(.clientKilled(token: token, signal: signal))
        case (nil, .exited(let code)): exitCode = code
        }
        ending.append(.clientEnded(token: token, exitCode: exitCode, disposition: run.traced.disposition))
        ending += WireMessage.clientOutput(token: token, ClientReport.tail(run.output + run.errors))
        return ending + [.runDone(token: token)]
    }
}
