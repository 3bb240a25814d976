#ifndef PIPELAB_SUPPORT_H
#define PIPELAB_SUPPORT_H

/// Asks the kernel to SIGKILL the calling process when its parent dies (prctl PR_SET_PDEATHSIG,
/// which Swift cannot call: prctl is variadic). Returns 0, or -1 when the parent is already gone.
int pipelab_die_with_parent(int expected_parent);

/// Turns off SQLite's memory statistics (a global mutex on every allocation) before SQLite is
/// first used; sqlite3_config is variadic too. Returns SQLite's result code.
int pipelab_sqlite_fast_malloc(void);

/// Bytes waiting unread in a socket's receive queue or a pipe (ioctl FIONREAD, which is SIOCINQ
/// for sockets; ioctl is variadic). Returns the count, or -1 with errno set.
int pipelab_unread_bytes(int fd);

/// Sets the calling thread's timer slack (prctl PR_SET_TIMERSLACK) so that its sleeps end when
/// asked instead of up to 50 µs later. Returns 0 or -1.
int pipelab_set_timer_slack(unsigned long nanoseconds);

#endif
