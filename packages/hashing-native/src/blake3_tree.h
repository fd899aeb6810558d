/* Multi-threaded BLAKE3 of one in-memory buffer (typically a mapped file), splitting the BLAKE3 tree across
   threads the way b3sum does, so that one large file is hashed on all cores. Built on the official BLAKE3 C
   implementation (its compression and SIMD hash_many functions); only the tree driver is ours. */
#ifndef MS_BLAKE3_TREE_H
#define MS_BLAKE3_TREE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* BLAKE3 (unkeyed, 32-byte output) of input[0, len), using up to `threads` threads (1 = the calling thread only).
   Returns 0, or an errno value if a thread could not be started (then nothing is written).
   Safe to call from several threads at once (no global mutable state); no thread outlives the call. */
int ms_blake3_parallel(const uint8_t *input, size_t len, unsigned threads, uint8_t out[32]);

/* Called from the hashing threads (concurrently) after each window of a file: `bytes` more were hashed. A
   non-zero return stops the call with ECANCELED. */
typedef struct {
  int (*on_bytes)(void *context, size_t bytes);
  void *context;
} ms_blake3_hooks;

/* BLAKE3 of the first `len` bytes of the file `fd` (its size, taken by the caller), mapped in windows of 4 MiB
   per thread (read with pread where mapping fails): the resident set stays bounded whatever the file size.
   Returns 0, or an errno value: ENODATA when the file ends before `len` bytes (it shrank meanwhile), ECANCELED
   when a hook asked to stop, a read error, ENOMEM, or a pthread_create error. `hooks` may be NULL. */
int ms_blake3_file(int fd, uint64_t len, unsigned threads, const ms_blake3_hooks *hooks, uint8_t out[32]);

#ifdef __cplusplus
}
#endif

#endif /* MS_BLAKE3_TREE_H */
