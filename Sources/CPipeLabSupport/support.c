#include "pipelab_support.h"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

int pipelab_die_with_parent(int expected_parent) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) return -1;
    /* The parent may have died before the request took effect. */
    return getppid() == expected_parent ? 0 : -1;
}

#include <sqlite3.h>

int pipelab_sqlite_fast_malloc(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
