import CPipeLabSupport
import PipeLabKernel

/// The sweep's real-time tokens, one per CPU (the worker's RealTimeTokens): a holder may run on in
/// the real-time class. Each thread that uses them has its own, so one's give() frees only its own.
package protocol RealTimeTokenSource: AnyObject {
    /// Takes a free token; false when every one is held.
    func take() -> Bool
    /// Gives back what this source holds.
    func give()
}

/// A long-lived helper thread's time in the real-time class (the peer, the link; docs/internals.md,
/// "Real-time budget"): it waits in the class, so its wake-up preempts ordinary work and it reacts
/// at once, but once awake it runs on in the class only with a token, and only for
/// `busyBudgetNs`. Without a free token it stays only for the calls it woke for, at most
/// `tokenlessNs` (checked between them), so no more threads are busy in the class than there are
/// CPUs beyond those few calls: leaving as it woke let the scheduler preempt it right there
/// (switched_to_fair() reschedules a demoted thread) and hold those calls back (a peer's ioctl and
/// close came 2.5 ms after its recv on average, up to 10 ms, at load 11). Past the budget it
/// leaves until its next wait. A single call is not cut short. Without tokens it never enters the class.
package struct RealTimeWaits {
    package static let busyBudgetNs: Int64 = 2_000_000
    /// How long a thread woken without a token stays in the class: a few calls.
    package static let tokenlessNs: Int64 = 100_000

    private let tokens: RealTimeTokenSource?
    private var inClass = false
    private var holding = false
    private var awakeSince: Int64 = 0
    /// When it woke without a token; nil when it holds one or waits.
    private var tokenlessSince: Int64?

    /// The real-time priority it waits at (RealTimePriority).
    private let priority: Int32

    package init(tokens: RealTimeTokenSource?, priority: Int32 = RealTimePriority.reacting) {
        self.tokens = tokens
        self.priority = priority
    }

    /// Before a call that blocks: the token goes back (a waiting thread holds no CPU) and the
    /// thread waits in the class.
    package mutating func beforeWait() {
        guard tokens != nil else { return }
        giveBack()
        tokenlessSince = nil
        if !inClass { inClass = pipelab_set_realtime(priority) == 0 }
    }

    /// Woken: on in the class with a token, or for `tokenlessNs` without one.
    package mutating func afterWait() {
        guard inClass, let tokens else { return }
        guard tokens.take() else {
            tokenlessSince = MonotonicClock.nowNs()
            return
        }
        holding = true
        awakeSince = MonotonicClock.nowNs()
    }

    /// Between pieces of busy work: past the budget (or, without a token, past `tokenlessNs`) the
    /// thread leaves the class until its next wait.
    package mutating func checkBudget() {
        let now = MonotonicClock.nowNs()
        let overBudget = holding ? now - awakeSince > Self.busyBudgetNs : tokenlessSince.map { now - $0 > Self.tokenlessNs } ?? false
        if overBudget { leave() }
    }

    /// Out of the class, the token back: for a thread that goes on with ordinary work after its
    /// waits (the worker's main thread, once it has been a run's peer).
    package mutating func leave() {
        if inClass { _ = pipelab_set_realtime(0) }
        inClass = false
        tokenlessSince = nil
        giveBack()
    }

    private mutating func giveBack() {
        if holding { tokens?.give() }
        holding = false
    }
}
