/* Preloaded into Mailpen under valgrind 3.19 (Debian 12): libdispatch's main thread waits in
 * sigsuspend() with its signal mask in read-only memory, and valgrind writes to the mask it is given,
 * which crashes valgrind itself. This sigsuspend() hands the system call a copy on the stack. */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>
int sigsuspend(const sigset_t *mask) {
    sigset_t copy = *mask;
    return (int)syscall(SYS_rt_sigsuspend, &copy, _NSIG / 8);
}
