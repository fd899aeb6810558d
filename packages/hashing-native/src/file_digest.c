#define _GNU_SOURCE
#include "file_digest.h"
#include "read_full.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

size_t ms_digest_size(ms_algorithm algorithm) {
  switch (algorithm) {
    case MS_SHA256:
      return 32;
    case MS_BLAKE2B:
      return 64;
    case MS_BLAKE3:
#ifdef MS_HAVE_BLAKE3
      return 32;
#else
      return 0;
#endif
  }
  return 0;
}

int ms_digester_init(ms_digester *d, ms_algorithm algorithm) {
  d->algorithm = algorithm;
  d->evp = NULL;
  if (algorithm == MS_BLAKE3) {
#ifdef MS_HAVE_BLAKE3
    blake3_hasher_init(&d->blake3);
    return 0;
#else
    return ENOSYS;
#endif
  }
  d->evp = EVP_MD_CTX_new();
  return d->evp ? 0 : ENOMEM;
}

void ms_digester_free(ms_digester *d) {
  if (d->evp) EVP_MD_CTX_free(d->evp);
  d->evp = NULL;
}

// OpenSSL here is the one inside Node.js (its symbols are exported to addons): the same SHA-NI / AVX2 code as
// node:crypto, without a JavaScript call per file.
int ms_digest_begin(ms_digester *d) {
  if (d->algorithm == MS_BLAKE3) {
#ifdef MS_HAVE_BLAKE3
    blake3_hasher_reset(&d->blake3);
    return 0;
#else
    return ENOSYS;
#endif
  }
  const EVP_MD *md = d->algorithm == MS_SHA256 ? EVP_sha256() : EVP_blake2b512();
  return EVP_DigestInit_ex(d->evp, md, NULL) == 1 ? 0 : EIO;
}

int ms_digest_update(ms_digester *d, const uint8_t *data, size_t length) {
  if (d->algorithm == MS_BLAKE3) {
#ifdef MS_HAVE_BLAKE3
    blake3_hasher_update(&d->blake3, data, length);
    return 0;
#else
    return ENOSYS;
#endif
  }
  return EVP_DigestUpdate(d->evp, data, length) == 1 ? 0 : EIO;
}

int ms_digest_end(ms_digester *d, uint8_t *out) {
  if (d->algorithm == MS_BLAKE3) {
#ifdef MS_HAVE_BLAKE3
    blake3_hasher_finalize(&d->blake3, out, BLAKE3_OUT_LEN);
    return 0;
#else
    return ENOSYS;
#endif
  }
  unsigned int length = 0;
  return EVP_DigestFinal_ex(d->evp, out, &length) == 1 ? 0 : EIO;
}

int ms_digest_range(ms_digester *d, const char *path, const ms_read_options *options, uint64_t start,
                    int64_t end, uint8_t *out, uint64_t *bytes, ms_stage *stage) {
  *bytes = 0;
  *stage = MS_AT_OPEN;
  int fd = ms_opener_open(options->opener, path, options->identity);
  if (fd < 0) return errno;
  *stage = MS_AT_READ;
  int error = ms_digest_begin(d);
  uint64_t position = start;
  while (!error) {
    size_t want = options->buffer_size;
    if (end >= 0) {
      if (position >= (uint64_t)end) break;
      if ((uint64_t)end - position < want) want = (size_t)((uint64_t)end - position);
    }
    ssize_t got = ms_read_full(fd, options->buffer, want, position);
    if (got < 0) {
      error = errno;
      break;
    }
    if (got > 0) error = ms_digest_update(d, options->buffer, (size_t)got);
    position += (uint64_t)got;
    *bytes += (uint64_t)got;
    if (!error && options->on_read && options->on_read(options->context, (size_t)got)) error = ECANCELED;
    if ((size_t)got < want) break;
  }
  close(fd);
  if (!error) error = ms_digest_end(d, out);
  return error;
}

int ms_digest_probe(ms_digester *d, const char *path, const ms_read_options *options, size_t probe_bytes,
                    uint8_t *out, uint64_t *size, int *hashed, ms_stage *stage) {
  *hashed = 0;
  *size = 0;
  *stage = MS_AT_OPEN;
  int fd = ms_opener_open(options->opener, path, options->identity);
  if (fd < 0) return errno;
  *stage = MS_AT_READ;
  size_t want = probe_bytes < options->buffer_size ? probe_bytes : options->buffer_size;
  ssize_t got = ms_read_full(fd, options->buffer, want, 0);
  int error = got < 0 ? errno : 0;
  if (!error && (size_t)got == want) {
    // As large as the probe: left for the largest-first schedule, which needs its size.
    struct stat info;
    *stage = MS_AT_STAT;
    if (fstat(fd, &info) != 0) error = errno;
    else *size = (uint64_t)info.st_size;
  } else if (!error) {
    error = ms_digest_begin(d);
    if (!error && got > 0) error = ms_digest_update(d, options->buffer, (size_t)got);
    if (!error) error = ms_digest_end(d, out);
    if (!error) {
      *size = (uint64_t)got;
      *hashed = 1;
      if (options->on_read && options->on_read(options->context, (size_t)got)) error = ECANCELED;
    }
  }
  close(fd);
  return error;
}
