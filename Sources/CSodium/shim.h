#ifndef SEALBOX_CSODIUM_SHIM_H
#define SEALBOX_CSODIUM_SHIM_H
#include <sodium.h>
#include <sys/syscall.h>
#include <unistd.h>

/* sync_file_range(2) with SYNC_FILE_RANGE_WRITE (2), which glibc declares only under _GNU_SOURCE: starts writing a
   file's dirty pages back, without waiting. */
static inline int sealbox_start_writeback(int fd) { return (int)syscall(SYS_sync_file_range, fd, (long)0, (long)0, 2); }
#endif
