/* Whole-file and byte-range digests for @model-signing/hashing-native: the read loop and the digest
   contexts, without any Node.js API, so that the N-API layer (addon.c) stays a thin translation. */
#ifndef MS_FILE_DIGEST_H
#define MS_FILE_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "file_open.h"

#ifdef MS_HAVE_BLAKE3
#include "blake3.h"
#endif

/** The algorithms of the manifest. */
typedef enum { MS_SHA256 = 0, MS_BLAKE2B = 1, MS_BLAKE3 = 2 } ms_algorithm;

/** One reusable digest context of one algorithm. */
typedef struct {
  ms_algorithm algorithm;
  EVP_MD_CTX *evp;
#ifdef MS_HAVE_BLAKE3
  blake3_hasher blake3;
#endif
} ms_digester;

/** Where a failure happened, for the error message. */
typedef enum { MS_AT_OPEN = 0, MS_AT_READ = 1, MS_AT_STAT = 2, MS_AT_LIST = 3 } ms_stage;

/** Digest length in bytes, or 0 when the algorithm is not compiled in. */
size_t ms_digest_size(ms_algorithm algorithm);

/** Sets up `d` for `algorithm`; 0 or an errno value (ENOMEM, ENOSYS when not compiled in). */
int ms_digester_init(ms_digester *d, ms_algorithm algorithm);

/** Releases what ms_digester_init allocated. */
void ms_digester_free(ms_digester *d);

/** Starts a new digest in `d` (set up by ms_digester_init); 0 or an errno value. */
int ms_digest_begin(ms_digester *d);

/** Adds `length` bytes to the digest begun in `d`; 0 or an errno value. */
int ms_digest_update(ms_digester *d, const uint8_t *data, size_t length);

/** Writes the digest (ms_digest_size bytes) to `out`; 0 or an errno value. */
int ms_digest_end(ms_digester *d, uint8_t *out);

/** Options of one read. */
typedef struct {
  /** Opens the file (see file_open.h). */
  ms_opener *opener;
  /** The identity the file must have (st_dev, st_ino), or NULL: see ms_opener_open. */
  const double *identity;
  /** Reusable read buffer and its size. */
  uint8_t *buffer;
  size_t buffer_size;
  /** Called after every read with the bytes read (may be NULL); a non-zero return stops with ECANCELED. */
  int (*on_read)(void *context, size_t bytes);
  void *context;
} ms_read_options;

/**
 * Digest of bytes [start, end) of `path` (end < 0: to EOF; reading also stops at EOF). Returns 0 or an errno
 * value, with *stage telling which call failed; *bytes receives the number of bytes hashed.
 */
int ms_digest_range(ms_digester *d, const char *path, const ms_read_options *options, uint64_t start,
                    int64_t end, uint8_t *out, uint64_t *bytes, ms_stage *stage);

/**
 * A whole file of unknown size: hashed when it holds fewer than `probe_bytes` bytes (*size is then its
 * length and *hashed 1), otherwise left alone (*hashed 0, *size its size from fstat). Errors as above.
 */
int ms_digest_probe(ms_digester *d, const char *path, const ms_read_options *options, size_t probe_bytes,
                    uint8_t *out, uint64_t *size, int *hashed, ms_stage *stage);

#endif
