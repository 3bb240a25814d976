/// The real-time priorities pipelab's threads use (SCHED_FIFO; 0 is the normal class). A peer and
/// a client from send #1 until its first pause are `reacting`: one priority, so neither preempts
/// the other inside a call, and the scheduler gives a woken one another CPU. A client waiting out
/// a timed pause (asleep, or on the CPU for its last 150 µs) is `pausing`, below them: a peer woken
/// beside another run's spinning client takes the CPU at once instead of waiting out that spin,
/// which made about 1 % of the race-window sweep's 50–300 µs runs `ok,ok,ok` when both were one
/// priority. The link thread is `pausing` too: a client's send due at the very instant the link
/// delivers a packet (sends 5 ms apart over a 20 ms link: send #6 and the RST send #2 provoked)
/// is not preempted by it, as before there were two priorities (at `reacting` the link thread took
/// that tie in about half the runs, and send #6 failed).
public enum RealTimePriority {
    public static let pausing: Int32 = 1
    public static let reacting: Int32 = 2
}
