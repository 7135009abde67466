#ifndef TASKQ_PROCESS_CONTROL_H
#define TASKQ_PROCESS_CONTROL_H
// Process controls Swift cannot call directly (prctl is variadic in C).
#ifdef __linux__
#include <signal.h>
#include <sys/prctl.h>

/// Asks the kernel to SIGKILL this process when the thread that started it exits
/// (PR_SET_PDEATHSIG). Returns 0, or -1 with errno set.
static inline int taskq_die_with_parent(void) { return prctl(PR_SET_PDEATHSIG, SIGKILL); }
#else
/// Not available on this system: returns -1.
static inline int taskq_die_with_parent(void) { return -1; }
#endif
#endif
