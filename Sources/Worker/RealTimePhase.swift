import CPipeLabSupport
import Glibc
import PipeLabKernel
import PipeLabNetwork

/// The client's time in the real-time class during one run (README, "Real-time budget"), so that
/// its wake-ups are on time however many runs are in flight, without ever starving the machine:
/// - it sleeps in the class (a sleeping thread holds no CPU) and, once awake, runs on in it only
///   with one of the sweep's tokens (RealTimeTokens: one per CPU). Without a free token it makes
///   the one call the pause was timing, then leaves the class: leaving at once would let the
///   scheduler preempt it there (switched_to_fair() reschedules a demoted task), and the pause
///   would overrun. The calls that follow that one with no pause between them (an interval of 0)
///   are part of what it timed, so it leaves after the last of them, or once it has been awake
///   `tokenlessNs`. So beyond the tokens a client runs in the class only from its wake-up to the
///   return of those calls, microseconds;
/// - a pause ends at its deadline, counted from before it was prepared; in the class the client
///   wakes a little early and, holding a token, waits out the rest on the CPU (`pause`);
/// - it never holds a CPU busy for longer than `busyBudgetNs`: a busy stretch starts when it wakes
///   from a pause that gave the CPU away (at least `restNs`), and once a stretch passes the budget
///   it leaves the class for the rest of the run (sends 1 ns apart then run as an ordinary
///   process). A single call is not cut short: the budget is checked as each call returns.
struct RealTimePhase {
    static let busyBudgetNs: Int64 = 2_000_000
    static let restNs: Int64 = 100_000

    private let tokens: RealTimeTokens?
    private var inClass = false
    /// In the class at the peers' priority (from send #1 until the first pause).
    private var reacting = false
    private var holding = false
    private var leaveAfterCall = false
    private var spent = false
    private var busySince: Int64?
    /// When a client without a token woke: its calls in the class end `tokenlessNs` after it.
    private var tokenlessSince: Int64 = 0

    init(tokens: RealTimeTokens?) {
        self.tokens = tokens
    }

    /// Before send #1: into the class without a token, for that send and the calls that follow it
    /// with no pause (at most `tokenlessNs`), or until its first pause. The peer waits in the class
    /// at the same priority (RealTimePriority), and threads of one priority do not preempt each
    /// other, so a peer woken by send #1 on the client's CPU does not preempt the client inside its
    /// send: the scheduler moves it to another CPU (or it waits for the client's calls), as on an
    /// idle machine, where client and peer have a CPU each. Without this, whether the client lost
    /// the sleep-0 race depended on whether it was woken on the peer's CPU, which the history of the
    /// process making the run decides: the long-lived client process was on the peer's CPU in about
    /// 80 % of runs, a new run process (SIGPIPE's default action) far less often, so the race's
    /// outcome depended on the disposition (docs/internals.md, "What decides the sleep-0 race").
    mutating func beforeFirstCall() {
        guard tokens != nil, !spent else { return }
        if !inClass { inClass = pipelab_set_realtime(RealTimePriority.reacting) == 0 }
        reacting = inClass
        // Without a token: the tokens stay for the timed wake-ups (a client woken without one
        // sleeps to its deadline and is more often late); a few calls are all it makes here.
        tokenlessSince = MonotonicClock.nowNs()
        leaveAfterCall = inClass
    }

    /// Before a timed pause: into the class to wake on time, below the peers (RealTimePriority);
    /// the token goes back while it sleeps.
    mutating func beforePause() {
        guard tokens != nil, !spent else { return }
        giveBack()
        leaveAfterCall = false
        if !inClass || reacting { inClass = pipelab_set_realtime(RealTimePriority.pausing) == 0 }
        reacting = false
    }

    /// A pause of `pauseNs` that ends at `deadline` (CLOCK_MONOTONIC), measured from before
    /// `beforePause`, so the calls made to prepare it are not added to it. In the class, a thread
    /// woken by its timer still reaches a CPU tens of microseconds late on a busy virtual machine,
    /// so it wakes `wakeEarlyNs` early and, once it holds a token, waits out the rest on the CPU;
    /// without a token it sleeps the rest (no more busy clients in the class than tokens).
    mutating func pause(_ pauseNs: Int64, until deadline: Int64) {
        // A pause shorter than the early wake-up is slept, not spun: a sleep of microseconds is a
        // race on purpose, and spinning through all of it would only hold a CPU in the class.
        guard pauseNs >= Self.wakeEarlyNs, inClass else {
            if pauseNs > 0 { Self.sleep(until: deadline) }
            return afterPause(pauseNs)
        }
        Self.sleep(until: deadline - Self.wakeEarlyNs)
        afterPause(pauseNs)
        if holding {
            while MonotonicClock.nowNs() < deadline {}
        } else {
            Self.sleep(until: deadline)
            if leaveAfterCall { tokenlessSince = MonotonicClock.nowNs() }
        }
    }

    static let wakeEarlyNs: Int64 = 150_000
    /// The longest a client without a token stays in the class after it woke: a few calls.
    static let tokenlessNs: Int64 = 100_000

    private static func sleep(until deadline: Int64) {
        var request = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        // An absolute deadline: a signal's interruption resumes with the same one.
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &request, nil) == EINTR {}
    }

    /// Awake after a pause of `pauseNs`: on in the class with a token, or out of it without one.
    private mutating func afterPause(_ pauseNs: Int64) {
        guard inClass, let tokens else { return }
        if !holding {
            guard tokens.take() else {
                // Counted from its first wake-up without one, not renewed by the pauses of 0 after it.
                if !leaveAfterCall { tokenlessSince = MonotonicClock.nowNs() }
                leaveAfterCall = true
                return
            }
            holding = true
        }
        if busySince == nil || pauseNs >= Self.restNs { busySince = MonotonicClock.nowNs() }
    }

    /// After each call: a busy stretch past the budget ends the run's time in the class. Without a
    /// token, the client leaves after its timed call unless `nextWithoutPause` (the next call
    /// follows at once: leaving first would let the scheduler hold it back) and it woke less than
    /// `tokenlessNs` ago.
    mutating func afterCall(nextWithoutPause: Bool = false) {
        if leaveAfterCall {
            if nextWithoutPause && MonotonicClock.nowNs() - tokenlessSince < Self.tokenlessNs { return }
            return leave()
        }
        guard inClass, let busySince, MonotonicClock.nowNs() - busySince > Self.busyBudgetNs else { return }
        leave()
        spent = true
    }

    mutating func leave() {
        if inClass { _ = pipelab_set_realtime(0) }
        inClass = false
        reacting = false
        leaveAfterCall = false
        giveBack()
    }

    private mutating func giveBack() {
        if holding { tokens?.give() }
        holding = false
    }
}
