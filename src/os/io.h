/*
 * io.h - file I/O behind a small vtable.
 *
 * The store never calls open/write/fsync directly: it goes through an
 * ol_io_t so tests can inject short writes, ENOSPC, fsync failures and
 * "crashes" (stop writing from byte N on). ol_io_posix() is the real thing.
 */
#ifndef OL_OS_IO_H
#define OL_OS_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct ol_io {
    int (*open)(const struct ol_io *io, const char *path, int flags, int mode);
    /* Full write or -1 with errno (a short write is retried internally). */
    ssize_t (*pwrite)(const struct ol_io *io, int fd, const void *p, size_t n, uint64_t off);
    ssize_t (*pread)(const struct ol_io *io, int fd, void *p, size_t n, uint64_t off);
    int (*fsync)(const struct ol_io *io, int fd);
    int (*ftruncate)(const struct ol_io *io, int fd, uint64_t len);
    int (*close)(const struct ol_io *io, int fd);
    void *ud;
    /* Directory operations (added for the partition catalog, store/embedded/
     * catalog.c). Each returns 0 or -1 with errno. A vtable that leaves them
     * NULL gets ol_io_posix()'s through the ol_io_* wrappers below. */
    int (*rename)(const struct ol_io *io, const char *from, const char *to);
    int (*unlink)(const struct ol_io *io, const char *path);
    int (*rmdir)(const struct ol_io *io, const char *path);
    /* fsync of a directory: makes renames, creations and removals in it durable. */
    int (*fsync_dir)(const struct ol_io *io, const char *dir);
} ol_io_t;

const ol_io_t *ol_io_posix(void);

/* Helpers over the vtable. */
int ol_io_fsync_dir(const char *dir);
int ol_io_mkdir_p(const char *path);

/* The directory operations of io, or ol_io_posix()'s when io leaves them NULL. */
int ol_io_rename(const ol_io_t *io, const char *from, const char *to);
int ol_io_unlink(const ol_io_t *io, const char *path);
int ol_io_rmdir(const ol_io_t *io, const char *path);
int ol_io_sync_dir(const ol_io_t *io, const char *dir);

#endif
