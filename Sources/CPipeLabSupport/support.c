#include "pipelab_support.h"

#include <signal.h>
#include <sys/prctl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <unistd.h>

int pipelab_die_with_parent(int expected_parent) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) return -1;
    /* The parent may have died before the request took effect. */
    return getppid() == expected_parent ? 0 : -1;
}

int pipelab_unread_bytes(int fd) {
    int count = 0;
    return ioctl(fd, FIONREAD, &count) == 0 ? count : -1;
}

int pipelab_set_realtime(int on) {
    struct sched_param param = { .sched_priority = on ? 1 : 0 };
    return pthread_setschedparam(pthread_self(), on ? SCHED_FIFO : SCHED_OTHER, &param);
}

int pipelab_set_timer_slack(unsigned long nanoseconds) {
    return prctl(PR_SET_TIMERSLACK, nanoseconds, 0, 0, 0);
}

#include <sqlite3.h>

int pipelab_sqlite_fast_malloc(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
