/* The one read loop of the addon: pread until the bytes asked for, the end of the file, or an error. */
#ifndef MS_READ_FULL_H
#define MS_READ_FULL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Reads up to `want` bytes at `position` into `buffer`, retrying EINTR and short reads; fewer bytes only at
   the end of the file. Returns the bytes read, or -1 with errno set. */
ssize_t ms_read_full(int fd, uint8_t *buffer, size_t want, uint64_t position);

#endif
