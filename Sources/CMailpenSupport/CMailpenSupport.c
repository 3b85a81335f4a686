#define _GNU_SOURCE
#include "CMailpenSupport.h"

#include <stdlib.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

void mailpen_tune_allocator(void) {
#if defined(__GLIBC__)
    /* Keep up to 16 MiB free at the top of each arena instead of handing it back at once. */
    mallopt(M_TRIM_THRESHOLD, 16 * 1024 * 1024);
    /* Blocks over 1 MiB (large messages) still come from mmap and go straight back when freed. */
    mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
#endif
}

#if defined(__linux__)
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

int mailpen_lower_thread_priority(int increment) {
#if defined(__linux__)
    pid_t thread = (pid_t)syscall(SYS_gettid);
    int current = getpriority(PRIO_PROCESS, (id_t)thread);
    return setpriority(PRIO_PROCESS, (id_t)thread, current + increment);
#else
    (void)increment;
    return -1;
#endif
}

int mailpen_set_thread_idle_priority(int idle) {
#if defined(__linux__)
    struct sched_param parameters = { .sched_priority = 0 };
    return sched_setscheduler((pid_t)syscall(SYS_gettid), idle ? SCHED_IDLE : SCHED_OTHER, &parameters);
#else
    (void)idle;
    return -1;
#endif
}

#include <sqlite3.h>

int mailpen_reset_database(struct sqlite3 *db) {
    int result = sqlite3_db_config(db, SQLITE_DBCONFIG_RESET_DATABASE, 1, 0);
    if (result != SQLITE_OK) return result;
    result = sqlite3_exec(db, "VACUUM", 0, 0, 0);
    int restored = sqlite3_db_config(db, SQLITE_DBCONFIG_RESET_DATABASE, 0, 0);
    return result != SQLITE_OK ? result : restored;
}
