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
        // Before any thread starts: the worker's threads and the forked clients inherit the namespace.
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
            runner = try RunPerformer(channel: channel, log: try StepLog(fd: StepLog.workerFD), userCommand: userCommand,
                                      keepsListeners: isolate)
        } catch {
            writeStandardError("pipelab worker: \(error)")
            return 70
        }
        // Started: the recorder hands out no run while workers are still starting (WorkerPool).
        guard channel.send(.ready) else { return 0 }
        while true {
            switch channel.receiveJobs() {
            case .jobs(let jobs):
                for (index, job) in jobs.enumerated() { runner.perform(job, moreInBatch: index + 1 < jobs.count) }
                // A run left unfinished is finished before a wait for the next job: the recorder
                // sends that job once it has this run's end.
                if !channel.hasMessageWaiting { runner.finishUnfinished() }
            case .closed:
                runner.finishUnfinished()
                return 0
            case .invalid(let what):
                runner.finishUnfinished()
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
    /// The harness run's peer, made on this thread.
    private var peer: Peer
    private let stopReporter: StopReporter
    private let payload = ZeroPayload()
    private var capture: Capture?
    private var link: Link?
    private var linkFailure: Int32 = 0
    /// The process that makes the harness client's calls, kept across runs (ClientProcess).
    private var client: ClientProcess?
    /// The sweep's real-time tokens; without them (a worker started another way) no client uses the class.
    private let realTimeTokens = RealTimeTokens()
    /// Test-only: the client's pause before send #3 in this worker's first run (see TestDelays).
    private var testPauseNs = TestDelays.fromEnvironment().pauseNs
    /// Jobs taken so far: the next one writes into the step log's half `StepLog.half(ofJob:)` of it.
    private var jobsTaken = 0

    /// A harness run whose client process may still be making its calls after the peer's part,
    /// left for the next run to finish once that one is connected (`finishUnfinished`): the worker
    /// sets its next run up while the client ends this one, instead of sleeping until it has and
    /// being woken. Left so only when the next job has come, and never with a capture or a link.
    private struct Unfinished {
        var token: Int64
        var client: ClientProcess
        var ends: (client: Int32, peer: Int32)
        var peerStillOpen: Bool
        var tcp: Bool
    }
    private var unfinished: Unfinished?

    private let realClient: RealClientJobs
    /// Whether a TCP listener is kept for the worker's life (see `listener`).
    private let keepsListeners: Bool
    private var keptListeners: [Int: LoopbackListener] = [:]

    /// - Parameter userCommand: `--client-cmd`'s program, for runs of client `command`.
    /// - Parameter keepsListeners: the worker is in a network namespace of its own, which nothing else reaches.
    package init(channel: Channel, log: StepLog, userCommand: String? = nil, keepsListeners: Bool = false) throws(SystemError) {
        self.channel = channel
        self.log = log
        self.keepsListeners = keepsListeners
        // The peer and the link have their own shares of the tokens: a share gives back only what it holds.
        peer = Peer(tokens: RealTimeTokens())
        stopReporter = try StopReporter(channel: channel)
        realClient = RealClientJobs(peer: try PeerThread(tokens: RealTimeTokens()), userCommand: userCommand)
        // Forked now rather than in the first run, while no run of another worker is timed. A
        // failure here is met again, and reported, by the first run.
        if let page = try? payload.bytes(Int64(getpagesize())) { _ = try? clientProcess(payload: page) }
    }

    /// - Parameter moreInBatch: another job follows this one in the message that brought it.
    package func perform(_ job: Channel.Job, moreInBatch: Bool = false) {
        let (token, scenario) = (job.token, job.scenario)
        // Every job takes its half, whatever comes of it: the recorder counts them alike.
        let half = StepLog.half(ofJob: jobsTaken)
        log.begin(token: token, half: half, startNs: MonotonicClock.nowNs())
        jobsTaken += 1
        let bytes: UnsafeRawBufferPointer
        do { bytes = try payload.bytes(scenario.payloadBytes) } catch {
            report(.harnessError(token: token, stage: .payload, errno: error.errno))
            return
        }
        if scenario.hasLink {
            guard let link = openedLink() else {
                report(.harnessError(token: token, stage: .link, errno: linkFailure))
                return
            }
            link.configure(rttNs: scenario.rttNs, lossBasisPoints: scenario.lossBasisPoints, seed: job.lossSeed)
        }
        // A capture that cannot open (no CAP_NET_RAW) leaves the run without packets rather than
        // without a result. Over a lossy link it is always taken: the lost segments are evidence.
        let capture = (job.capture || scenario.lossBasisPoints > 0) && scenario.transport.isTCP ? openedCapture() : nil
        let runLink = scenario.hasLink ? link : nil
        if scenario.client.isReal {
            finishUnfinished()
            let recorder = startClock(token: token, half: half, scenario, capture: capture, link: runLink)
            let ending = realClient.perform(token: token, scenario, recorder: recorder, capture: capture, link: runLink)
            _ = stopReporter.disarm()
            channel.send(ending)
            return
        }
        let client: ClientProcess
        do { client = try clientProcess(payload: bytes) } catch {
            report(.harnessError(token: token, stage: error.stage, errno: error.errno))
            return
        }
        // Its failure needs no handling here: a client process that has ended fails the hand below.
        _ = client.waitInRunProcess(scenario.sigpipe == .default)
        let recorder = startClock(token: token, half: half, scenario, capture: capture, link: runLink)
        let ends: (client: Int32, peer: Int32)
        switch connect(scenario.transport, overLink: scenario.hasLink, recorder: recorder) {
        case .success(let connected): ends = connected
        case .failure(let failure):
            _ = stopReporter.disarm()
            report(.harnessError(token: token, stage: failure.stage, errno: failure.errno))
            return
        }
        // The last run's client has had this run's set-up to end that one: it is finished now,
        // before this run's client is handed its order.
        finishUnfinished()
        // Read while connected: a reset socket has no peer name.
        let ports = capture == nil ? nil : Sockets.port(of: ends.client, peer: false).flatMap { client in
            Sockets.port(of: ends.client, peer: true).map { (client: client, peer: $0) }
        }
        // This thread is the peer: handing the client its run, just before the peer's first call,
        // is the start barrier (ClientProcess).
        var handFailure: Int32?
        let peerStillOpen = peer.perform(Peer.Job(fd: ends.peer, action: scenario.peer, transport: scenario.transport,
                                                  recorder: recorder.forPeer, letClientStart: {
            handFailure = client.hand(token: token, scenario, half: half, runStartNs: recorder.runStartNs, extraPauseNs: self.testPauseNs,
                                      fd: ends.client)
            return handFailure == nil
        }))
        // Waiting for the client is ordinary work: out of the real-time class.
        peer.realTime.leave()
        if let handFailure {
            closeQuietly(ends.client, tcp: scenario.transport.isTCP)
            closeQuietly(ends.peer, tcp: scenario.transport.isTCP)
            _ = stopReporter.disarm()
            report(.harnessError(token: token, stage: .clientProcess, errno: handFailure))
            return
        }
        testPauseNs = 0
        let run = Unfinished(token: token, client: client, ends: ends, peerStillOpen: peerStillOpen, tcp: scenario.transport.isTCP)
        if capture == nil && !scenario.hasLink && (moreInBatch || channel.hasMessageWaiting) {
            _ = stopReporter.disarm()
            unfinished = run
            return
        }
        finish(run) {
            // The answer to the client's last send may still be on the link: wait a round trip for it,
            // with a tenth and 1 ms to spare for the link thread's and the kernel's own delays.
            if capture != nil && scenario.hasLink { MonotonicClock.sleep(nanoseconds: scenario.rttNs + scenario.rttNs / 10 + 1_000_000) }
            // A stop at the timeout that came first has sent the packets already.
            guard stopReporter.disarm(), let capture, let ports else { return [] }
            return StopReporter.packets(token: token, capture: capture, link: runLink, clientPort: ports.client, peerPort: ports.peer)
        }
    }

    /// Finishes the run left unfinished, if any: see `Unfinished`.
    package func finishUnfinished() {
        guard let run = unfinished else { return }
        unfinished = nil
        finish(run)
    }

    /// Waits for the run's client to end it, closes the run's sockets and reports its end;
    /// `evidence` gives what else ends it, once the client has (a captured run's packets).
    private func finish(_ run: Unfinished, evidence: () -> [WireMessage] = { [] }) {
        var ending: [WireMessage] = []
        var clientVanished = false
        switch run.client.awaitRun() {
        case .done: break
        case .killed(let signal):
            ending.append(.clientKilled(token: run.token, signal: signal))
            // A client killed in the real-time class leaves its token locked in the description it shares with us.
            realTimeTokens?.give()
        case .vanished:
            clientVanished = true
        }
        ending += evidence()
        // Harness teardown, not part of the experiment: abortive closes leave no TIME_WAIT, so a
        // sweep of 100,000 runs never runs out of ports.
        closeQuietly(run.ends.client, tcp: run.tcp)
        if run.peerStillOpen { closeQuietly(run.ends.peer, tcp: run.tcp) }
        channel.send(clientVanished ? [.harnessError(token: run.token, stage: .clientProcess, errno: ECHILD)] : ending + [.runDone(token: run.token)])
    }

    /// Sends what ends a run, after the run left unfinished has ended: a worker's messages are
    /// its runs', in the order it took them.
    private func report(_ message: WireMessage) {
        finishUnfinished()
        channel.send(message)
    }

    /// Starts the run's clock at its first system call, so the set-up before it (a worker's first
    /// capture or link costs tens of milliseconds, a client process's fork hundreds of microseconds)
    /// stays off its timeline; begins the capture before the connect, so the handshake is in it.
    private func startClock(token: Int64, half: Int, _ scenario: Scenario, capture: Capture?, link: Link?) -> StepRecorder {
        let recorder = StepRecorder(log: log, area: .client, half: half, token: token, runStartNs: MonotonicClock.nowNs(),
                                    isTCP: scenario.transport.isTCP)
        capture?.begin(runStartNs: recorder.runStartNs)
        stopReporter.arm(token: token, capture: capture, link: link)
        return recorder
    }

    /// The worker's client process, forked again when a run ended it, when it was killed between
    /// runs, when the payload was mapped again for a larger size, or when its killed run processes
    /// have left enough memory behind. Called before any of the run's descriptors exist: a process
    /// forked later would hold them for its whole life.
    private func clientProcess(payload run: UnsafeRawBufferPointer) throws(ClientProcess.StartFailure) -> ClientProcess {
        if let client, !client.hasEnded, client.payload.baseAddress == run.baseAddress, client.payload.count >= run.count,
           client.killedRuns < RunProcess.maxKilledRuns {
            return client
        }
        // The old one ends first: a new one forked while it lives would hold its end of the pair.
        finishUnfinished()
        client?.stop()
        client = nil
        let started = try ClientProcess(payload: payload.mapping, log: log, tokens: realTimeTokens)
        client = started
        return started
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

    private struct SetupFailure: Error {
        package var stage: HarnessStage
        package var errno: Int32
    }

    private func connect(_ transport: Transport, overLink: Bool, recorder: StepRecorder) -> Result<(client: Int32, peer: Int32), SetupFailure> {
        switch transport {
        case .tcp4, .tcp6:
            let listener: LoopbackListener
            do { listener = try self.listener(transport, overLink: overLink) } catch {
                return .failure(SetupFailure(stage: transport == .tcp6 ? .listenTCP6 : .listenTCP4, errno: error.errno))
            }
            let client: Int32
            do { client = try listener.newClientSocket() } catch {
                return .failure(SetupFailure(stage: .clientSocket, errno: error.errno))
            }
            stopReporter.note(clientFD: client, peerPort: listener.port)
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

    /// The run's listener. On the host's loopback, one of the run's own, closed once its client
    /// is accepted: a stray connection is refused at once instead of waiting in a backlog for the
    /// worker's next run. In a namespace of its own, where no stray can come from, one per
    /// transport and address kept for the worker's life: making and closing a listening socket
    /// cost about a tenth of a zero-sleep run's CPU time.
    private func listener(_ transport: Transport, overLink: Bool) throws(SystemError) -> LoopbackListener {
        let key = (transport == .tcp6 ? 1 : 0) + (overLink ? 2 : 0)
        if let kept = keptListeners[key] { return kept }
        let made = try LoopbackListener(transport: transport, overLink: overLink)
        if keepsListeners { keptListeners[key] = made }
        return made
    }

    private func closeQuietly(_ fd: Int32, tcp: Bool) {
        if tcp { _ = Sockets.setLingerZero(fd) }
        Glibc.close(fd)
    }
}
