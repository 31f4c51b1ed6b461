/*
 * io.c - the POSIX implementation of the ol_io_t vtable, plus directory
 * helpers (fsync of a directory, mkdir -p).
 *
 * pwrite loops over short writes and EINTR so callers see either the whole
 * write or -1 with errno; pread loops until n bytes or end of file, so a
 * short count means end of file.
 */
#include "os/io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int ol_posix_open(const ol_io_t *io, const char *path, int flags, int mode)
{
    int fd;
    do {
        fd = open(path, flags | O_CLOEXEC, mode);
    } while (fd < 0 && errno == EINTR);
    return fd;
}

static ssize_t ol_posix_pwrite(const ol_io_t *io, int fd, const void *p, size_t n, uint64_t off)
{
    const uint8_t *c = p;
    size_t done = 0;
    while (done < n) {
        ssize_t w = pwrite(fd, c + done, n - done, (off_t)(off + done));
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (w == 0) {
            errno = ENOSPC;
            return -1;
        }
        done += (size_t)w;
    }
    return (ssize_t)done;
}

static ssize_t ol_posix_pread(const ol_io_t *io, int fd, void *p, size_t n, uint64_t off)
{
    uint8_t *c = p;
    size_t done = 0;
    while (done < n) {
        ssize_t r = pread(fd, c + done, n - done, (off_t)(off + done));
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (r == 0) break;
        done += (size_t)r;
    }
    return (ssize_t)done;
}

static int ol_posix_fsync(const ol_io_t *io, int fd)
{
    int rc;
    do {
        rc = fdatasync(fd);
    } while (rc < 0 && errno == EINTR);
    return rc;
}

static int ol_posix_ftruncate(const ol_io_t *io, int fd, uint64_t len)
{
    int rc;
    do {
        rc = ftruncate(fd, (off_t)len);
    } while (rc < 0 && errno == EINTR);
    return rc;
}

static int ol_posix_close(const ol_io_t *io, int fd) { return close(fd); }

static int ol_posix_rename(const ol_io_t *io, const char *from, const char *to) { return rename(from, to); }
static int ol_posix_unlink(const ol_io_t *io, const char *path) { return unlink(path); }
static int ol_posix_rmdir(const ol_io_t *io, const char *path) { return rmdir(path); }
static int ol_posix_fsync_dir(const ol_io_t *io, const char *dir) { return ol_io_fsync_dir(dir); }

static const ol_io_t ol_io_posix_vt = {
    .open = ol_posix_open,
    .pwrite = ol_posix_pwrite,
    .pread = ol_posix_pread,
    .fsync = ol_posix_fsync,
    .ftruncate = ol_posix_ftruncate,
    .close = ol_posix_close,
    .ud = NULL,
    .rename = ol_posix_rename,
    .unlink = ol_posix_unlink,
    .rmdir = ol_posix_rmdir,
    .fsync_dir = ol_posix_fsync_dir,
};

const ol_io_t *ol_io_posix(void) { return &ol_io_posix_vt; }

int ol_io_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc;
    do {
        rc = fsync(fd);
    } while (rc < 0 && errno == EINTR);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

int ol_io_mkdir_p(const char *path)
{
    char tmp[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(tmp, path, n + 1);
    while (n > 1 && tmp[n - 1] == '/') tmp[--n] = 0;
    for (size_t i = 1; i <= n; i++) {
        if (tmp[i] != '/' && tmp[i] != 0) continue;
        char saved = tmp[i];
        tmp[i] = 0;
        if (mkdir(tmp, 0755) < 0 && errno != EEXIST) return -1;
        tmp[i] = saved;
    }
    struct stat st;
    if (stat(tmp, &st) < 0) return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

int ol_io_rename(const ol_io_t *io, const char *from, const char *to)
{
    return io->rename ? io->rename(io, from, to) : rename(from, to);
}

int ol_io_unlink(const ol_io_t *io, const char *path) { return io->unlink ? io->unlink(io, path) : unlink(path); }

int ol_io_rmdir(const ol_io_t *io, const char *path) { return io->rmdir ? io->rmdir(io, path) : rmdir(path); }

int ol_io_sync_dir(const ol_io_t *io, const char *dir)
{
    return io->fsync_dir ? io->fsync_dir(io, dir) : ol_io_fsync_dir(dir);
}
