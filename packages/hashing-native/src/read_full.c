// pread and ssize_t under -std=c11.
#define _POSIX_C_SOURCE 200809L
#include "read_full.h"

#include <errno.h>
#include <unistd.h>

ssize_t ms_read_full(int fd, uint8_t *buffer, size_t want, uint64_t position) {
  size_t got = 0;
  while (got < want) {
    ssize_t n = pread(fd, buffer + got, want - got, (off_t)(position + got));
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (n == 0) break;
    got += (size_t)n;
  }
  return (ssize_t)got;
}
