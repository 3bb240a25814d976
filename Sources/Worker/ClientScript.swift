import Glibc
import PipeLabExperiment
import PipeLabKernel

/// The harness client's part of DESIGN.md's script, as the client process makes it: the first
/// send, the sleep and the probe, the rest `interval` apart; each send announced before it is made.
/// With a single send the client still sleeps and probes after it.
struct ClientScript {
    /// The sweep's real-time tokens; without them (a worker started another way) no client uses the class.
    let realTimeTokens: RealTimeTokens?
    private var probeBuffer = [UInt8](repeating: 0, count: Int(Probe.recvBytes))

    init(realTimeTokens: RealTimeTokens?) {
        self.realTimeTokens = realTimeTokens
    }

    /// - Parameter extraPauseNs: test-only, added to the pause before send #3 (see TestDelays).
    mutating func perform(_ scenario: Scenario, _ payload: UnsafeRawBufferPointer, fd: Int32, recorder: StepRecorder, extraPauseNs: Int64) {
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
        // The client is in it from send #1, so that the peer that send wakes does not preempt it
        // inside the call (RealTimePhase.beforeFirstCall): the sleep-0 race is the same whichever
        // process makes the run.
        func pauseBefore(_ sendNumber: Int) -> Int64 { scenario.intervalNs + (sendNumber == 3 ? extraPauseNs : 0) }
        var realTime = RealTimePhase(tokens: realTimeTokens)
        defer { realTime.leave() }
        let boost = scenario.sleepNs > 0 || scenario.intervalNs > 0 || scenario.hasLink
        realTime.beforeFirstCall()
        for sendNumber in 1...scenario.sends {
            if sendNumber == 2 {
                let sleepStart = MonotonicClock.nowNs()
                if boost { realTime.beforePause() }
                realTime.pause(scenario.sleepNs, until: sleepStart + scenario.sleepNs)
                if scenario.probe != .none {
                    ClientProbe.make(scenario.probe, fd: fd, recorder: recorder, buffer: &probeBuffer)
                }
            } else if sendNumber > 2 {
                // A pause of 0 keeps the token: giving it back for no sleep would only churn it.
                let pauseNs = pauseBefore(sendNumber)
                let pauseStart = MonotonicClock.nowNs()
                if scenario.intervalNs > 0 { realTime.beforePause() }
                realTime.pause(pauseNs, until: pauseStart + pauseNs)
            }
            sigpipe.beforeCall()
            recorder.record(.client, isSocket ? .send : .write, bytes: scenario.payloadBytes, fd: fd,
                            announce: true, sigpipe: sigpipe.raisedDuringCall) {
                isSocket ? Glibc.send(fd, payload.baseAddress, payload.count, flags)
                         : Glibc.write(fd, payload.baseAddress, payload.count)
            }
            // After send #1 the client stays in the class: for the next send at sleep 0, or for the
            // sleep, which it waits out in the class (leaving first would let the scheduler hold it).
            let staysForNext = sendNumber == 1 || pauseBefore(sendNumber + 1) == 0
            realTime.afterCall(nextWithoutPause: sendNumber < scenario.sends && staysForNext)
        }
        if scenario.sends == 1 && scenario.probe != .none {
            let sleepStart = MonotonicClock.nowNs()
            if boost { realTime.beforePause() }
            realTime.pause(scenario.sleepNs, until: sleepStart + scenario.sleepNs)
            ClientProbe.make(scenario.probe, fd: fd, recorder: recorder, buffer: &probeBuffer)
        }
    }
}
