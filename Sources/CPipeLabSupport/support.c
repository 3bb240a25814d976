#define _GNU_SOURCE
#include "pipelab_support.h"

#include <signal.h>
#include <sys/prctl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <errno.h>
#include <string.h>
#include <net/if.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <sys/mman.h>

int pipelab_die_with_parent(int expected_parent) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) return -1;
    /* The parent may have died before the request took effect. */
    return getppid() == expected_parent ? 0 : -1;
}

int pipelab_run_in_memory_sharing_process(int (*body)(void *), void *context, void *stack_top) {
    return clone(body, stack_top, CLONE_VM | CLONE_VFORK | SIGCHLD, context);
}

int pipelab_unread_bytes(int fd) {
    int count = 0;
    return ioctl(fd, FIONREAD, &count) == 0 ? count : -1;
}

int pipelab_token_file(const char *name, int count) {
    int fd = memfd_create(name, MFD_CLOEXEC);
    if (fd < 0) return -1;
    if (ftruncate(fd, count) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int pipelab_token_take(int fd, int count) {
    for (int index = 0; index < count; index++) {
        struct flock lock = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = index, .l_len = 1 };
        if (fcntl(fd, F_OFD_SETLK, &lock) == 0) return index;
    }
    return -1;
}

void pipelab_token_give(int fd) {
    struct flock lock = { .l_type = F_UNLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
    (void)fcntl(fd, F_OFD_SETLK, &lock);
}

int pipelab_set_realtime(int priority) {
    struct sched_param param = { .sched_priority = priority };
    int on = priority > 0;
    /* 0 is the calling thread. Not pthread_setschedparam(pthread_self(), …): in a run process
     * (clone with CLONE_VM, no thread of its own) pthread_self() is its maker's, whose thread id
     * glibc passes, so a run process stayed out of the class and its suspended maker went in. */
    return sched_setscheduler(0, on ? SCHED_FIFO : SCHED_OTHER, &param) == 0 ? 0 : errno;
}

int pipelab_set_timer_slack(unsigned long nanoseconds) {
    return prctl(PR_SET_TIMERSLACK, nanoseconds, 0, 0, 0);
}

int pipelab_isolate_network(void) {
    if (unshare(CLONE_NEWNET) != 0) {
        if (errno != EPERM || unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0) return errno;
    }
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return errno;
    struct ifreq request;
    memset(&request, 0, sizeof request);
    strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
    int status = ioctl(fd, SIOCGIFFLAGS, &request);
    if (status == 0) {
        request.ifr_flags |= IFF_UP;
        status = ioctl(fd, SIOCSIFFLAGS, &request);
    }
    int saved = errno;
    close(fd);
    return status == 0 ? 0 : saved;
}

#include <sqlite3.h>

int pipelab_sqlite_fast_malloc(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int pipelab_sqlite_distrust_schema(struct sqlite3 *db) {
    int status = sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)0);
    if (status != SQLITE_OK) return status;
    status = sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)0);
    if (status != SQLITE_OK) return status;
    /* pipelab makes no triggers: one in a file is someone else's, and would fire on pipelab's writes. */
    return sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, (int *)0);
}

int pipelab_affinity_cpus(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return -1;
    return CPU_COUNT(&set);
}
