/* Reading part of a file through a memory map, with the one hazard of maps handled: a file that shrinks while
   it is mapped raises SIGBUS on the next access, which here becomes an ENODATA error instead of killing the
   process. Used for BLAKE3, whose hashing outruns a copy from the page cache. */
#ifndef MS_MAPPED_WINDOW_H
#define MS_MAPPED_WINDOW_H

#include <stddef.h>
#include <stdint.h>

/* Calls `use(context, data, len)` with bytes [offset, offset + len) of `fd`, mapped read-only, then unmaps
   them. Returns 0; ENODATA when the file is shorter than offset + len (found before, during or after the
   call: `use` must then have no effect that matters); or the errno of a failed mmap or fstat, in which case the
   caller may read the bytes instead. `use` must not keep `data`. */
int ms_with_mapped_window(int fd, uint64_t offset, size_t len,
                          void (*use)(void *context, const uint8_t *data, size_t len), void *context);

#endif
