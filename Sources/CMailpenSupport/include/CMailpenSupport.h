#ifndef C_MAILPEN_SUPPORT_H
#define C_MAILPEN_SUPPORT_H

/// Tunes glibc's allocator for Mailpen's server (see MemoryTuning.swift). Does nothing elsewhere.
void mailpen_tune_allocator(void);

/// Lowers the scheduling priority of the calling thread (not the whole process) by `increment` nice
/// levels, so that background work such as search indexing yields to request handling. Returns 0 on
/// success, -1 where unsupported.
int mailpen_lower_thread_priority(int increment);

/// Moves the calling thread into (idle != 0) or out of the idle scheduling class (Linux SCHED_IDLE), in
/// which it runs only on a core that has nothing else to do. Returns 0 on success, -1 where unsupported.
int mailpen_set_thread_idle_priority(int idle);

struct sqlite3;

/// Empties the SQLite database `db` is open on, damaged pages and all, leaving a valid empty database
/// (SQLITE_DBCONFIG_RESET_DATABASE, then VACUUM). Returns SQLite's result code. For a database of derived
/// data only: everything in it is gone.
int mailpen_reset_database(struct sqlite3 *db);

#endif
