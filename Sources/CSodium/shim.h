#ifndef SEALBOX_CSODIUM_SHIM_H
#define SEALBOX_CSODIUM_SHIM_H
#include <sodium.h>
#include <sys/syscall.h>
#include <unistd.h>

/* sync_file_range(2) with SYNC_FILE_RANGE_WRITE (2), which glibc declares only under _GNU_SOURCE: starts writing a
   file's dirty pages back, without waiting. */
static inline int sealbox_start_writeback(int fd) { return (int)syscall(SYS_sync_file_range, fd, (long)0, (long)0, 2); }

/* syncfs(2), also declared only under _GNU_SOURCE: writes back every dirty page and inode of the file system that
   holds fd, then flushes the device's cache; since Linux 5.8 it reports a writeback error met since fd was opened. */
static inline int sealbox_syncfs(int fd) { return (int)syscall(SYS_syncfs, fd); }

/* The type of the file system that holds fd (statfs(2)'s f_type magic number), or -1. */
#include <sys/vfs.h>
static inline long sealbox_file_system_type(int fd) {
    struct statfs info;
    return fstatfs(fd, &info) == 0 ? (long)info.f_type : -1;
}
#endif
