#ifndef C_MAILPEN_SUPPORT_H
#define C_MAILPEN_SUPPORT_H

/// Tunes glibc's allocator for Mailpen's server (see MemoryTuning.swift). Does nothing elsewhere.
void mailpen_tune_allocator(void);

#endif
