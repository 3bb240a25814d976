#ifndef PIPELAB_SUPPORT_H
#define PIPELAB_SUPPORT_H

/// Asks the kernel to SIGKILL the calling process when its parent dies (prctl PR_SET_PDEATHSIG,
/// which Swift cannot call: prctl is variadic). Returns 0, or -1 when the parent is already gone.
int pipelab_die_with_parent(int expected_parent);

/// Runs `body(context)` in a new process that shares the caller's memory (CLONE_VM) but has its own
/// pid, signal dispositions, signal mask and descriptor table, on `stack_top` (the high end of a
/// stack the caller owns), and suspends the calling thread until that process has exited or died
/// (CLONE_VFORK): a process of its own that costs no copy of the address space, what fork() costs.
/// Swift cannot call clone(): it is variadic. Returns the process's pid (reap it with waitpid), or
/// -1 with errno.
int pipelab_run_in_memory_sharing_process(int (*body)(void *), void *context, void *stack_top);

/// The CPUs of this process's affinity mask (sched_getaffinity, CPU_COUNT), or -1.
int pipelab_affinity_cpus(void);

/// Turns off SQLite's memory statistics (a global mutex on every allocation) before SQLite is
/// first used; sqlite3_config is variadic too. Returns SQLite's result code.
int pipelab_sqlite_fast_malloc(void);

/// Makes a connection safe to point at a file someone else wrote (sqlite3_db_config is variadic):
/// SQLITE_DBCONFIG_DEFENSIVE (no writable_schema, no direct writes to shadow tables, no
/// journal_mode=OFF) and SQLITE_DBCONFIG_TRUSTED_SCHEMA off (functions with side effects and
/// virtual tables are not run from the file's triggers and views). Returns SQLite's result code.
struct sqlite3;
int pipelab_sqlite_distrust_schema(struct sqlite3 *db);

/// Adds the SQL function pipelab_values_keep(SPEC, V1, ..., VN) to a connection: 1 when each value
/// keeps its column's rule in SPEC (RowRules.ValueRule), else 0; the untrusted-input check's
/// column rules in one call per row. Returns SQLite's result code.
int pipelab_sqlite_add_values_keep(struct sqlite3 *db);

/// Bytes waiting unread in a socket's receive queue or a pipe (ioctl FIONREAD, which is SIOCINQ
/// for sockets; ioctl is variadic). Returns the count, or -1 with errno set.
int pipelab_unread_bytes(int fd);

/// Sets the calling thread's timer slack (prctl PR_SET_TIMERSLACK) so that its sleeps end when
/// asked instead of up to 50 µs later. Returns 0 or -1.
int pipelab_set_timer_slack(unsigned long nanoseconds);

/// Puts the calling thread in the real-time class (SCHED_FIFO at `priority`, 1 or more) or back in
/// the normal one (SCHED_OTHER, with 0), so that a thread woken by its timer runs at once even when
/// every CPU is busy. Needs CAP_SYS_NICE (root) or an RLIMIT_RTPRIO; returns 0, or an errno value.
int pipelab_set_realtime(int priority);

/// Makes the file of `count` real-time tokens: a close-on-exec memory file (memfd_create, which
/// Swift's Glibc module does not export) named `name`, `count` bytes long. Returns its fd or -1.
int pipelab_token_file(const char *name, int count);

/// Takes one of `count` real-time tokens: an open-file-description lock (F_OFD_SETLK) on one byte
/// of the shared file `fd`, so the tokens are shared by every worker of a sweep and given back by
/// the kernel when a holder dies. Returns the byte taken, or -1 when all are held.
int pipelab_token_take(int fd, int count);

/// Gives back every token the open file description `fd` holds.
void pipelab_token_give(int fd);

/// Moves the calling thread (and the threads and processes it starts later) into a network
/// namespace of its own, with its loopback up (ioctl SIOCSIFFLAGS: no `ip` binary needed). As
/// root that is unshare(CLONE_NEWNET); without privilege it tries a user namespace too, where the
/// kernel allows unprivileged ones (that needs a single-threaded caller). Returns 0 or an errno.
int pipelab_isolate_network(void);

/// A packet capture on every interface of the caller's network namespace: an AF_PACKET socket
/// (SOCK_DGRAM: IP packets without a link header) with a receive ring in which the kernel stamps
/// each packet (CLOCK_REALTIME, nanoseconds) as it is sent or received. Needs CAP_NET_RAW in the
/// namespace. Returns NULL with `*error` set when it cannot be opened.
struct pipelab_capture;
struct pipelab_capture *pipelab_capture_open(int *error);

/// Takes the next packet from the ring without blocking: copies up to `capacity` bytes of it into
/// `bytes`, sets `*length` to its full length, `*realtime_ns` to its stamp and `*outgoing` to 1
/// when this host sent it (PACKET_OUTGOING) or 0 when it received it. Returns the bytes copied, or
/// 0 when the ring holds nothing more.
long pipelab_capture_next(struct pipelab_capture *capture, unsigned char *bytes, unsigned long capacity,
                          unsigned long *length, long long *realtime_ns, int *outgoing);

void pipelab_capture_close(struct pipelab_capture *capture);

/// Creates the TUN device `name` (IFF_TUN | IFF_NO_PI: bare IP packets) in the caller's network
/// namespace, gives it the IPv4 `address` with a /24 (so the rest of that /24 is routed into it)
/// and brings it up. Sets `*tun_fd` (non-blocking) and returns 0, or returns an errno.
int pipelab_link_open(const char *name, const char *address, int *tun_fd);

/// Waits until `fd` is readable or `timeout_ns` passed, to the nanosecond (ppoll, which Swift's
/// Glibc module does not export). Returns ppoll's result.
int pipelab_wait_readable(int fd, long long timeout_ns);

/// Sends `count` bytes and a copy of the descriptor `fd` (SCM_RIGHTS; the cmsg macros do not
/// reach Swift) on a connected Unix socket, with MSG_NOSIGNAL. Returns sendmsg's result.
long pipelab_send_with_fd(int socket, const void *bytes, unsigned long count, int fd);

/// Receives up to `capacity` bytes and the descriptor sent with them (close-on-exec) into `*fd`,
/// or -1 there when none came. Returns recvmsg's result (0 when the other end closed).
long pipelab_receive_with_fd(int socket, void *bytes, unsigned long capacity, int *fd);

#endif
