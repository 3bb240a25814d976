/// The real-time priorities pipelab's threads use (SCHED_FIFO; 0 is the normal class). A peer, a
/// link thread and a client from send #1 until its first pause are `reacting`: one priority, so
/// none preempts the other inside a call, and the scheduler gives a woken one another CPU. A
/// client waiting out a timed pause (asleep, or on the CPU for its last 150 µs) is `pausing`,
/// below them: a peer woken beside another run's spinning client takes the CPU at once instead of
/// waiting out that spin, which made about 1 % of the race-window sweep's 50–300 µs runs
/// `ok,ok,ok` when both were one priority.
public enum RealTimePriority {
    public static let pausing: Int32 = 1
    public static let reacting: Int32 = 2
}
