/* Standalone check of src/blake3_tree.c (built by blake3-tree-check.sh).

   blake3-tree-check                  ms_blake3_parallel (memory) and ms_blake3_file (the same bytes written to
                                      a temporary file) against the library's own incremental hasher
                                      (blake3_hasher_*), on deterministic pseudo-random data, for many lengths
                                      around chunk, block, power-of-two, leaf and piece boundaries and for
                                      1, 2, 3, 4 and 8 threads; also unaligned input and concurrent callers.
                                      Prints one line per mismatch; exit status 1 on any.
   blake3-tree-check --bench FILE N   ms_blake3_file on FILE (as the addon does) with N threads; prints
                                      "HEX  FILE" like b3sum, then the seconds taken. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../src/blake3_tree.h"
#include "blake3.h"

#define KIB ((size_t)1024)
#define MIB (1024 * KIB)

static uint64_t splitmix64(uint64_t *state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

static void reference(const uint8_t *data, size_t len, uint8_t out[32]) {
  blake3_hasher hasher;
  blake3_hasher_init(&hasher);
  blake3_hasher_update(&hasher, data, len);
  blake3_hasher_finalize(&hasher, out, 32);
}

static void hex(const uint8_t digest[32], char text[65]) {
  for (int i = 0; i < 32; i++) sprintf(text + 2 * i, "%02x", digest[i]);
}

static int failures = 0;
static int checks = 0;

static void report(const char *what, size_t len, unsigned threads, const uint8_t expected[32],
                   const uint8_t actual[32], int error) {
  char e[65], a[65];
  hex(expected, e);
  hex(actual, a);
  if (error)
    printf("FAIL %s len=%zu threads=%u: error %d (%s)\n", what, len, threads, error, strerror(error));
  else
    printf("FAIL %s len=%zu threads=%u: expected %s got %s\n", what, len, threads, e, a);
  failures++;
}

// The same bytes as a file, for ms_blake3_file; -1 (and a failure) when it cannot be written.
static int temporary_file(const uint8_t *data, size_t len) {
  const char *dir = getenv("TMPDIR");
  char path[4096];
  snprintf(path, sizeof path, "%s/blake3-tree-check-XXXXXX", dir && *dir ? dir : "/tmp");
  int fd = mkstemp(path);
  if (fd < 0) return -1;
  unlink(path);
  for (size_t done = 0; done < len;) {
    ssize_t n = write(fd, data + done, len - done);
    if (n <= 0) {
      close(fd);
      return -1;
    }
    done += (size_t)n;
  }
  return fd;
}

static void check_one(const char *what, const uint8_t *data, size_t len) {
  static const unsigned thread_counts[] = {1, 2, 3, 4, 8};
  uint8_t expected[32];
  reference(data, len, expected);
  int fd = temporary_file(data, len);
  if (fd < 0) {
    printf("FAIL %s len=%zu: could not write the temporary file\n", what, len);
    failures++;
  }
  for (size_t t = 0; t < sizeof thread_counts / sizeof thread_counts[0]; t++) {
    uint8_t actual[32];
    memset(actual, 0, sizeof actual);
    int error = ms_blake3_parallel(data, len, thread_counts[t], actual);
    checks++;
    if (error || memcmp(expected, actual, 32) != 0)
      report(what, len, thread_counts[t], expected, actual, error);
    if (fd < 0) continue;
    memset(actual, 0, sizeof actual);
    error = ms_blake3_file(fd, len, thread_counts[t], NULL, actual);
    checks++;
    if (error || memcmp(expected, actual, 32) != 0)
      report("file", len, thread_counts[t], expected, actual, error);
  }
  if (fd >= 0) {
    // A file shorter than the size given (it shrank after its size was taken) is an error, never a digest.
    uint8_t actual[32];
    int error = ms_blake3_file(fd, len + 1, 2, NULL, actual);
    checks++;
    if (error != ENODATA) {
      printf("FAIL file len=%zu given as %zu: expected ENODATA, got %d\n", len, len + 1, error);
      failures++;
    }
    close(fd);
  }
}

// Several callers at once, each with its own threads: the function must share no state between calls.
typedef struct {
  const uint8_t *data;
  size_t len;
  uint8_t digest[32];
  int error;
} call;

static void *concurrent_call(void *arg) {
  call *c = arg;
  c->error = ms_blake3_parallel(c->data, c->len, 2, c->digest);
  return NULL;
}

static void check_concurrent(const uint8_t *data) {
  enum { CALLERS = 4 };
  static const size_t lens[CALLERS] = {3 * MIB + 1, 8 * MIB, 5 * MIB + 4095, 2 * MIB + 1024};
  call calls[CALLERS];
  pthread_t ids[CALLERS];
  for (int i = 0; i < CALLERS; i++) {
    calls[i] = (call){.data = data + i, .len = lens[i]};
    if (pthread_create(&ids[i], NULL, concurrent_call, &calls[i]) != 0) {
      printf("FAIL concurrent: could not start caller %d\n", i);
      failures++;
      return;
    }
  }
  for (int i = 0; i < CALLERS; i++) pthread_join(ids[i], NULL);
  for (int i = 0; i < CALLERS; i++) {
    uint8_t expected[32];
    reference(calls[i].data, calls[i].len, expected);
    checks++;
    if (calls[i].error || memcmp(expected, calls[i].digest, 32) != 0)
      report("concurrent", calls[i].len, 2, expected, calls[i].digest, calls[i].error);
  }
}

// A file cut short while it is hashed: the call must fail with ENODATA or, if it finished first, give the
// digest of the whole content; never crash (a mapped read past the end raises SIGBUS) nor give another digest.
typedef struct {
  int fd;
  size_t len;
  uint8_t digest[32];
  int error;
} shrinking;

static void *hash_shrinking(void *arg) {
  shrinking *s = arg;
  s->error = ms_blake3_file(s->fd, s->len, 2, NULL, s->digest);
  return NULL;
}

static void check_shrinking(const uint8_t *data) {
  const size_t len = 48 * MIB;
  uint8_t expected[32];
  reference(data, len, expected);
  int cut = 0;
  for (int round = 0; round < 12; round++) {
    int fd = temporary_file(data, len);
    if (fd < 0) {
      printf("FAIL shrinking: could not write the temporary file\n");
      failures++;
      return;
    }
    shrinking s = {.fd = fd, .len = len};
    pthread_t id;
    pthread_create(&id, NULL, hash_shrinking, &s);
    struct timespec pause = {0, (long)(round % 6) * 1000000L};
    nanosleep(&pause, NULL);
    if (ftruncate(fd, (off_t)(round % 3) * 4096 + 100) != 0) perror("ftruncate");
    pthread_join(id, NULL);
    checks++;
    if (s.error == ENODATA) cut++;
    else if (s.error || memcmp(s.digest, expected, 32) != 0) report("shrinking", len, 2, expected, s.digest, s.error);
    close(fd);
  }
  printf("shrinking file: %d of 12 rounds cut short (ENODATA), the others complete and correct\n", cut);
}

static int run_checks(void) {
  size_t lens[256];
  size_t n = 0;
  static const size_t fixed[] = {
      0, 1, 63, 64, 65, 1023, 1024, 1025, 2047, 2048, 2049, 3072, 3073,
      16 * KIB - 1, 16 * KIB, 16 * KIB + 1,
      // Around the leaf size (128 chunks) and twice it.
      128 * KIB - 1, 128 * KIB, 128 * KIB + 1, 256 * KIB + 1,
      MIB - 1, MIB, MIB + 1, MIB + 1024,
      // Around the smallest input that is split across threads (2 MiB) and uneven splits.
      2 * MIB - 1, 2 * MIB, 2 * MIB + 1, 3 * MIB + 5, 4 * MIB + 1024,
      5 * MIB + 777, 9 * MIB - 1, 17 * MIB + 3,
      64 * MIB + 1,
  };
  for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) lens[n++] = fixed[i];
  for (size_t k = 1; k <= 8; k++) {
    lens[n++] = 4096 * k - 1;
    lens[n++] = 4096 * k + 1;
  }
  static const size_t big_k[] = {31, 32, 33, 255, 256, 257, 1000};
  for (size_t i = 0; i < sizeof big_k / sizeof big_k[0]; i++) {
    lens[n++] = 4096 * big_k[i] - 1;
    lens[n++] = 4096 * big_k[i] + 1;
  }
  uint64_t state = 0x5eed;
  for (int i = 0; i < 12; i++) lens[n++] = (size_t)(splitmix64(&state) % (64 * KIB));
  for (int i = 0; i < 12; i++) lens[n++] = (size_t)(splitmix64(&state) % (24 * MIB));

  size_t max = 0;
  for (size_t i = 0; i < n; i++)
    if (lens[i] > max) max = lens[i];
  // One spare byte so that every length is also checked from an odd (unaligned) address.
  uint8_t *data = malloc(max + 1);
  if (!data) {
    perror("malloc");
    return 2;
  }
  state = 0xb1a4e3;
  for (size_t i = 0; i < max + 1; i += 8) {
    uint64_t word = splitmix64(&state);
    size_t take = max + 1 - i < 8 ? max + 1 - i : 8;
    memcpy(data + i, &word, take);
  }

  for (size_t i = 0; i < n; i++) {
    check_one("aligned", data, lens[i]);
    // The large lengths once unaligned is enough; the small ones are cheap.
    if (lens[i] <= 24 * MIB) check_one("unaligned", data + 1, lens[i]);
  }
  check_concurrent(data);
  check_shrinking(data);
  free(data);

  printf("%d of %d comparisons %s\n", checks - failures, checks, failures ? "matched" : "matched: all OK");
  return failures ? 1 : 0;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int bench(const char *path, unsigned threads) {
  double start = now();
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    perror(path);
    return 2;
  }
  struct stat info;
  if (fstat(fd, &info) != 0) {
    perror(path);
    close(fd);
    return 2;
  }
  size_t len = (size_t)info.st_size;
  uint8_t digest[32];
  int error = ms_blake3_file(fd, len, threads, NULL, digest);
  close(fd);
  double seconds = now() - start;
  if (error) {
    fprintf(stderr, "ms_blake3_file: %s\n", strerror(error));
    return 2;
  }
  char text[65];
  hex(digest, text);
  printf("%s  %s\n", text, path);
  printf("%.3f s, %u thread(s), %.2f GB/s\n", seconds, threads, seconds > 0 ? (double)len / seconds / 1e9 : 0.0);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "--bench") == 0) {
    char *end;
    unsigned long threads = strtoul(argv[3], &end, 10);
    if (*end || threads == 0) {
      fprintf(stderr, "THREADS must be a positive integer\n");
      return 2;
    }
    return bench(argv[2], (unsigned)threads);
  }
  if (argc != 1) {
    fprintf(stderr, "usage: %s [--bench FILE THREADS]\n", argv[0]);
    return 2;
  }
  return run_checks();
}
