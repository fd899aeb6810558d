/* Large files and shards hashed on several threads in turns, the task with the most bytes left first, so that
   every thread finishes at about the same time. A SHA-256 or BLAKE2b digest is sequential, so one task can
   only ever run on one thread; with one task per thread until each is done (largest first), the threads that
   finish early wait for the last task (two 1 GB shards and one of 147 MB on two cores: 1147 MB on one thread
   against 1074 for an even split; three 5 GB files: 10 GB against 7.5). Taking turns of a few MiB and always
   continuing the task with the most bytes left makes the tasks run out together: their digest contexts stay
   open between turns, at most two per thread at a time, so that files are read in long runs. */
#ifndef MS_TURNS_H
#define MS_TURNS_H

#include <stddef.h>
#include <stdint.h>

#include "file_digest.h"

/** One call's work and outcome. */
typedef struct {
  ms_algorithm algorithm;
  uint32_t count;
  /** The file of each task. */
  char *const *paths;
  /** `start, end` per task (`end` < 0: to EOF); NULL when every task is a whole file. */
  const double *ranges;
  /** The bytes each task should read (for the order only: reading stops at `end` or EOF, as it comes). */
  const double *sizes;
  int no_follow;
  /** The model root and the identities of the tasks (dev, ino per task, NaN for none), or NULL: see file_open.h. */
  const char *root;
  const double *identities;
  unsigned threads;
  /** Bytes per turn of a task on a thread. */
  uint64_t turn_bytes;
  /** Called (from any thread, concurrently) after every read; a non-zero return stops with ECANCELED. */
  int (*on_read)(void *context, size_t bytes);
  void *context;
  /** Receives ms_digest_size(algorithm) bytes per task, in task order. */
  uint8_t *digests;
  /** On failure: which task, and which call. */
  uint32_t failed_index;
  ms_stage failed_stage;
} ms_turns;

/**
 * Hashes every task of `work` on up to `work->threads` threads (the calling thread among them). Returns 0, or
 * the errno value of the first failure (ECANCELED when on_read asked to stop), with failed_index and
 * failed_stage set. No thread outlives the call.
 */
int ms_hash_in_turns(ms_turns *work);

#endif
