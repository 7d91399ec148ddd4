/* LD_PRELOAD shim for the run-file fault-injection tests: counts every call that changes a file
 * (write, pwrite, writev, ftruncate, fsync, rename, unlink and their variants) and, once armed with
 * fault_at = k, ends the process with _exit(137) just before the k-th one, as a SIGKILL there would.
 * fault_count is the number of calls so far (set fault_at = 0 to only count). When fault_log is
 * set, call i (from 1) records its kind at fault_log[i - 1]: 'T' a write into a file whose name
 * ends in .tmp (opened by name through open/openat), 'W' a write into another regular file, 'O' a
 * write to something else (pipe, terminal, /dev/null, a folder's fsync), 'R' rename, 'U' unlink. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

long fault_at = 0;
long fault_count = 0;
char *fault_log = 0;
long fault_log_size = 0;

#define MAX_FD 4096
static char fd_kind[MAX_FD];     /* 'T' temporary file, 'W' other regular file, 0 unknown */

static void step_kind(char kind) {
    ++fault_count;
    if (fault_log && fault_count <= fault_log_size)
        fault_log[fault_count - 1] = kind;
    if (fault_count == fault_at && fault_at > 0)
        _exit(137);
}

static void step_fd(int fd) {
    step_kind(fd >= 0 && fd < MAX_FD && fd_kind[fd] ? fd_kind[fd] : 'O');
}
#define step() step_fd(fd)

static int opened(int fd, const char *path) {
    struct stat st;
    if (fd >= 0 && fd < MAX_FD) {
        size_t n = strlen(path);
        fd_kind[fd] = fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ? 0
                      : (n > 4 && strcmp(path + n - 4, ".tmp") == 0) ? 'T' : 'W';
    }
    return fd;
}

#define REAL(name) static __typeof__(name) *real; if (!real) real = dlsym(RTLD_NEXT, #name)

ssize_t write(int fd, const void *b, size_t n) { REAL(write); step(); return real(fd, b, n); }
ssize_t pwrite(int fd, const void *b, size_t n, off_t o) { REAL(pwrite); step(); return real(fd, b, n, o); }
ssize_t pwrite64(int fd, const void *b, size_t n, off_t o) { REAL(pwrite64); step(); return real(fd, b, n, o); }
ssize_t writev(int fd, const struct iovec *v, int c) { REAL(writev); step(); return real(fd, v, c); }
ssize_t pwritev(int fd, const struct iovec *v, int c, off_t o) { REAL(pwritev); step(); return real(fd, v, c, o); }
int ftruncate(int fd, off_t n) { REAL(ftruncate); step(); return real(fd, n); }
int ftruncate64(int fd, off_t n) { REAL(ftruncate64); step(); return real(fd, n); }
int fsync(int fd) { REAL(fsync); step(); return real(fd); }
int fdatasync(int fd) { REAL(fdatasync); step(); return real(fd); }
int rename(const char *a, const char *b) { REAL(rename); step_kind('R'); return real(a, b); }
int renameat(int fa, const char *a, int fb, const char *b) { REAL(renameat); step_kind('R'); return real(fa, a, fb, b); }
int unlink(const char *p) { REAL(unlink); step_kind('U'); return real(p); }
int unlinkat(int fd, const char *p, int f) { REAL(unlinkat); step_kind('U'); return real(fd, p, f); }

#define MODE_ARG mode_t mode = 0; if (flags & (O_CREAT | O_TMPFILE)) { va_list ap; va_start(ap, flags); \
    mode = va_arg(ap, mode_t); va_end(ap); }
int open(const char *p, int flags, ...) { REAL(open); MODE_ARG return opened(real(p, flags, mode), p); }
int open64(const char *p, int flags, ...) { REAL(open64); MODE_ARG return opened(real(p, flags, mode), p); }
int openat(int d, const char *p, int flags, ...) { REAL(openat); MODE_ARG return opened(real(d, p, flags, mode), p); }
int openat64(int d, const char *p, int flags, ...) { REAL(openat64); MODE_ARG return opened(real(d, p, flags, mode), p); }
int close(int fd) {
    REAL(close);
    if (fd >= 0 && fd < MAX_FD)
        fd_kind[fd] = 0;
    return real(fd);
}
