import CPipeLabSupport
import Glibc
import PipeLabExperiment
import PipeLabKernel
import PipeLabNetwork

/// The hidden worker mode: take runs from the recorder one after another and report their steps.
/// Workers only make system calls; they never touch the database.
public enum WorkerMain {
    /// The fd on which a spawned worker finds its channel.
    public static let channelFD: Int32 = 3

    /// Serves runs until the recorder closes the channel; returns the exit status: 64, with one
    /// line, when this process was not started by a recorder or the channel carries anything else.
    /// - Parameter recorder: the pid of the recorder that spawned this worker.
    /// - Parameter isolate: enter a network namespace of its own first (the recorder found it allowed).
    /// - Parameter userCommand: `--client-cmd`'s program, for runs of client `command`.
    public static func serve(recorder: Int32, isolate: Bool = false, userCommand: String? = nil, channelFD: Int32 = channelFD) -> Int32 {
        let notByHand = "this mode is started by `pipelab sweep` and `pipelab run`, not by hand"
        // A recorder killed outright must not leave workers behind, stuck in a hanging send.
        guard pipelab_die_with_parent(recorder) == 0 else {
            writeStandardError("pipelab worker: --recorder \(recorder) is not this process's parent; \(notByHand)")
            return 64
        }
        if let problem = WorkerDescriptors.problem(channelFD: channelFD, logFD: StepLog.workerFD) {
            writeStandardError("pipelab worker: \(problem); \(notByHand)")
            return 64
        }
        StopReporter.blockStopSignal()
        // Before any thread starts: the peer thread and the forked clients inherit the namespace.
        if isolate {
            let failure = pipelab_isolate_network()
            guard failure == 0 else {
                writeStandardError("pipelab worker: entering a network namespace of its own: \(strerrorText(failure))")
                return 70
            }
        }
        // The client's sleep ends when asked, not up to 50 µs later (the default slack); the forked
        // clients inherit it. 1 ns is the minimum: 0 would restore the default.
        _ = pipelab_set_timer_slack(1)
        let channel = Channel(fd: channelFD)
        let runner: RunPerformer
        do {
            runner = try RunPerformer(channel: channel, log: try StepLog(fd: StepLog.workerFD), userCommand: userCommand)
        } catch {
            writeStandardError("pipelab worker: \(error)")
            return 70
        }
        while true {
            switch channel.receiveJobs() {
            case .jobs(let jobs):
                for job in jobs { runner.perform(job) }
            case .closed:
                return 0
            case .invalid(let what):
                writeStandardError("pipelab worker: the channel carried \(what); accepted: job records from the recorder that started this worker")
                return 64
            }
        }
    }
}

/// Carries out DESIGN.md's script for one scenario: the client connects and sends once; the peer,
/// once that data has arrived, reads once and ends the connection its way; the client sleeps, makes
/// its probe (if any), then its remaining sends.
package final class RunPerformer {
    private let channel: Channel
    private let log: StepLog
    private let peer: PeerThread
    private let stopReporter: StopReporter
    private let payload = ZeroPayload()
    private var capture: Capture?
    private var link: Link?
    private var linkFailure: Int32 = 0
    private var probeBuffer = [UInt8](repeating: 0, count: Int(Probe.recvBytes))
    /// The sweep's real-time tokens; without them (a worker started another way) no client uses the class.
    private let realTimeTokens = RealTimeTokens()
    /// Test-only: the client's pause before send #3 in this worker's first run (see TestDelays).
    private var testPauseNs = TestDelays.fromEnvironment().pauseNs

    private let realClient: RealClientJobs

    /// - Parameter userCommand: `--client-cmd`'s program, for runs of client `command`.
    package init(channel: Channel, log: StepLog, userCommand: String? = nil) throws(SystemError) {
        self.channel = channel
        self.log = log
        // The peer and the link have their own shares of the tokens: a share gives back only what it holds.
        peer = try PeerThread(tokens: RealTimeTokens())
        stopReporter = try StopReporter(channel: channel)
        realClient = RealClientJobs(peer: peer, userCommand: userCommand)
    }

    package func perform(_ job: Channel.Job) {
        let (token, scenario) = (job.token, job.scenario)
        let bytes: UnsafeRawBufferPointer
        do { bytes = try payload.bytes(scenario.payloadBytes) } catch {
            channel.send(.harnessError(token: token, stage: .payload, errno: error.errno))
            return
        }
        if scenario.hasLink {
            guard let link = openedLink() else {
                channel.send(.harnessError(token: token, stage: .link, errno: linkFailure))
                return
            }
            link.configure(rttNs: scenario.rttNs, lossBasisPoints: scenario.lossBasisPoints, seed: job.lossSeed)
        }
        log.reset()
        // A capture that cannot open (no CAP_NET_RAW) leaves the run without packets rather than
        // without a result. Over a lossy link it is always taken: the lost segments are evidence.
        let capture = (job.capture || scenario.lossBasisPoints > 0) && scenario.transport.isTCP ? openedCapture() : nil
        // The run's clock starts at its first system call: the set-up above (a worker's first
        // capture or link costs tens of milliseconds) stays off its timeline.
        let recorder = StepRecorder(log: log, area: .client, token: token, runStartNs: MonotonicClock.nowNs(),
                                    isTCP: scenario.transport.isTCP)
        // Begun before the connect, so the handshake is in it.
        capture?.begin(runStartNs: recorder.runStartNs)
        stopReporter.arm(token: token, capture: capture, link: scenario.hasLink ? link : nil)
        if scenario.client.isReal {
            let ending = realClient.perform(token: token, scenario, recorder: recorder, capture: capture, link: scenario.hasLink ? link : nil)
            _ = stopReporter.disarm()
            channel.send(ending)
            return
        }
        let ends: (client: Int32, peer: Int32)
        switch connect(scenario.transport, overLink: scenario.hasLink, recorder: recorder) {
        case .success(let connected): ends = connected
        case .failure(let failure):
            _ = stopReporter.disarm()
            channel.send(.harnessError(token: token, stage: failure.stage, errno: failure.errno))
            return
        }
        // Read while connected: a reset socket has no peer name.
        let ports = capture == nil ? nil : Sockets.port(of: ends.client, peer: false).flatMap { client in
            Sockets.port(of: ends.client, peer: true).map { (client: client, peer: $0) }
        }
        var ending: [WireMessage] = []
        let barrier: StartBarrier
        do { barrier = try StartBarrier() } catch {
            closeQuietly(ends.client, tcp: scenario.transport.isTCP)
            closeQuietly(ends.peer, tcp: scenario.transport.isTCP)
            _ = stopReporter.disarm()
            channel.send(.harnessError(token: token, stage: .barrier, errno: error.errno))
            return
        }
        defer { barrier.close() }
        let peerJob = PeerThread.Job(fd: ends.peer, action: scenario.peer, transport: scenario.transport,
                                     recorder: recorder.forPeer, barrier: barrier)
        // The client's calls are made by a forked child, whatever the disposition: SIGPIPE's default
        // action may end the process that sends (the child dies in place of the worker, as the C
        // programs it stands for would), and a race must not depend on whether the client is a
        // thread of the peer's process or a process of its own (measured at sleep 0 with the
        // client on the worker's thread: `ok,ok,ok` in 3-6 % of tcp4 runs against 12 % forked).
        let worker = getpid()
        let child = fork()
        if child == 0 {
            guard pipelab_die_with_parent(worker) == 0 else { _exit(0) }
            // The peer's end must not stay open in the client, or the peer could never end it.
            Glibc.close(ends.peer)
            barrier.pass()
            clientSends(scenario, bytes, fd: ends.client, recorder: recorder)
            _exit(0)
        }
        guard child > 0 else {
            let failure = errno
            closeQuietly(ends.client, tcp: scenario.transport.isTCP)
            closeQuietly(ends.peer, tcp: scenario.transport.isTCP)
            _ = stopReporter.disarm()
            channel.send(.harnessError(token: token, stage: .fork, errno: failure))
            return
        }
        testPauseNs = 0
        peer.begin(peerJob)
        if case .signaled(let signal) = Self.wait(for: child) {
            ending.append(.clientKilled(token: token, signal: signal))
            // A client killed in the real-time class leaves its token locked in the description it shares with us.
            realTimeTokens?.give()
        }
        let peerStillOpen = peer.finish()
        // The answer to the client's last send may still be on the link: wait a round trip for it,
        // with a tenth and 1 ms to spare for the link thread's and the kernel's own delays.
        if capture != nil && scenario.hasLink { MonotonicClock.sleep(nanoseconds: scenario.rttNs + scenario.rttNs / 10 + 1_000_000) }
        // A stop at the timeout that came first has sent the packets already.
        if stopReporter.disarm(), let capture, let ports {
            ending += StopReporter.packets(token: token, capture: capture, link: scenario.hasLink ? link : nil,
                                           clientPort: ports.client, peerPort: ports.peer)
        }
        // Harness teardown, not part of the experiment: abortive closes leave no TIME_WAIT, so a
        // sweep of 100,000 runs never runs out of ports.
        closeQuietly(ends.client, tcp: scenario.transport.isTCP)
        if peerStillOpen { closeQuietly(ends.peer, tcp: scenario.transport.isTCP) }
        channel.send(ending + [.runDone(token: token)])
    }

    /// The client's sends: the first, the sleep and the probe, the rest `interval` apart; each send
    /// announced before it is made. With a single send the client still sleeps and probes after it.
    private func clientSends(_ scenario: Scenario, _ payload: UnsafeRawBufferPointer, fd: Int32, recorder: StepRecorder) {
        var sigpipe = SigpipeControl(mode: scenario.sigpipe)
        let isSocket = scenario.transport.isSocket
        let flags = scenario.sigpipe == .nosignal ? Int32(MSG_NOSIGNAL) : 0
        // The sleep ends when asked only if the woken client gets a CPU at once: with many runs in
        // flight on few CPUs it would wait its turn (measured: up to 9 ms late at 32 jobs on 2
        // CPUs). The real-time class preempts that queue from the sleep until the client's last
        // call returns: every pause after the sleep is timed too (an interval of 0 is a pause of 0;
        // leaving the class after send #2 let the scheduler hold send #3 back by up to 4 ms in a
        // default sweep). Where it is not allowed (no CAP_SYS_NICE) the pauses are as the scheduler gives.
        // The class is bounded (RealTimePhase): a token per CPU, and never a busy stretch past its budget.
        var realTime = RealTimePhase(tokens: realTimeTokens)
        defer { realTime.leave() }
        let boost = scenario.sleepNs > 0 || scenario.intervalNs > 0 || scenario.hasLink
        for sendNumber in 1...scenario.sends {
            if sendNumber == 2 {
                if boost { realTime.beforePause() }
                MonotonicClock.sleep(nanoseconds: scenario.sleepNs)
                realTime.afterPause(scenario.sleepNs)
                if scenario.probe != .none {
                    ClientProbe.make(scenario.probe, fd: fd, recorder: recorder, buffer: &probeBuffer)
                }
            } else if sendNumber > 2 {
                // A pause of 0 keeps the token: giving it back for no sleep would only churn it.
                if scenario.intervalNs > 0 { realTime.beforePause() }
                MonotonicClock.sleep(nanoseconds: scenario.intervalNs + (sendNumber == 3 ? testPauseNs : 0))
                if scenario.intervalNs > 0 { realTime.afterPause(scenario.intervalNs) }
            }
            sigpipe.beforeCall()
            recorder.record(.client, isSocket ? .send : .write, bytes: scenario.payloadBytes, fd: fd,
                            announce: true, sigpipe: sigpipe.raisedDuringCall) {
                isSocket ? Glibc.send(fd, payload.baseAddress, payload.count, flags)
                         : Glibc.write(fd, payload.baseAddress, payload.count)
            }
            realTime.afterCall()
        }
        // With a single send the client still sleeps and probes after it.
        if scenario.sends == 1 && scenario.probe != .none {
            if boost { realTime.beforePause() }
            MonotonicClock.sleep(nanoseconds: scenario.sleepNs)
            realTime.afterPause(scenario.sleepNs)
            ClientProbe.make(scenario.probe, fd: fd, recorder: recorder, buffer: &probeBuffer)
        }
    }

    private func openedCapture() -> Capture? {
        if capture == nil { capture = try? Capture() }
        return capture
    }

    /// The worker's link, made at its first run that needs one and kept.
    private func openedLink() -> Link? {
        if link == nil {
            do { link = try Link(tokens: RealTimeTokens()) } catch { linkFailure = error.errno }
        }
        return link
    }

    private static func wait(for child: pid_t) -> ProcessTermination {
        var status: Int32 = 0
        while waitpid(child, &status, 0) == -1 && errno == EINTR {}
        return ProcessTermination(waitStatus: status)
    }

    private struct SetupFailure: Error {
        package var stage: HarnessStage
        package var errno: Int32
    }

    private func connect(_ transport: Transport, overLink: Bool, recorder: StepRecorder) -> Result<(client: Int32, peer: Int32), SetupFailure> {
        switch transport {
        case .tcp4, .tcp6:
            // A listener of the run's own, closed once its client is accepted: a stray connection
            // is refused at once instead of waiting in a backlog for the worker's next run.
            let listener: LoopbackListener
            do { listener = try LoopbackListener(transport: transport, overLink: overLink) } catch {
                return .failure(SetupFailure(stage: transport == .tcp6 ? .listenTCP6 : .listenTCP4, errno: error.errno))
            }
            let client: Int32
            do { client = try listener.newClientSocket() } catch {
                return .failure(SetupFailure(stage: .clientSocket, errno: error.errno))
            }
            stopReporter.note(clientFD: client, peerPort: Sockets.port(of: listener.fd, peer: false))
            // Announced like the sends, so a connect or accept that hangs is recorded as a step.
            let connected = recorder.record(.client, .connect, bytes: 0, fd: client, announce: true) { listener.connect(client).value }
            guard !connected.failed else {
                Glibc.close(client)
                return .failure(SetupFailure(stage: .connect, errno: connected.errno))
            }
            let accepted = recorder.record(.peer, .accept, bytes: 0, fd: nil, stateOfResult: true, announce: true) { listener.accept(expecting: client).value }
            guard !accepted.failed else {
                Glibc.close(client)
                return .failure(SetupFailure(stage: .accept, errno: accepted.errno))
            }
            return .success((client, Int32(accepted.value)))
        case .unix:
            var fds: [Int32] = [-1, -1]
            guard socketpair(AF_UNIX, Sockets.stream, 0, &fds) == 0 else {
                return .failure(SetupFailure(stage: .socketpair, errno: errno))
            }
            return .success((fds[0], fds[1]))
        case .pipe:
            var fds: [Int32] = [-1, -1]
            guard Glibc.pipe(&fds) == 0 else { return .failure(SetupFailure(stage: .pipe, errno: errno)) }
            // Close-on-exec, so no worker spawned later inherits a run's pipe.
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            return .success((fds[1], fds[0]))
        }
    }

    private func closeQuietly(_ fd: Int32, tcp: Bool) {
        if tcp { _ = Sockets.setLingerZero(fd) }
        Glibc.close(fd)
    }
}
