#ifndef PIPELAB_SUPPORT_H
#define PIPELAB_SUPPORT_H

/// Asks the kernel to SIGKILL the calling process when its parent dies (prctl PR_SET_PDEATHSIG,
/// which Swift cannot call: prctl is variadic). Returns 0, or -1 when the parent is already gone.
int pipelab_die_with_parent(int expected_parent);

/// Turns off SQLite's memory statistics (a global mutex on every allocation) before SQLite is
/// first used; sqlite3_config is variadic too. Returns SQLite's result code.
int pipelab_sqlite_fast_malloc(void);

#endif
