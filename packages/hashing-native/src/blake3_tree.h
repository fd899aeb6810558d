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

#ifdef __cplusplus
}
#endif

#endif /* MS_BLAKE3_TREE_H */
