#define _GNU_SOURCE
#include "turns.h"
#include "read_full.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#define READ_BUFFER_SIZE (1u << 20)
#define MAX_THREADS 256
// Open tasks per thread: enough for the thread's own task and one to take turns with.
#define OPEN_PER_THREAD 2
#define NO_TASK UINT32_MAX
#define TO_EOF UINT64_MAX

// A task that has been started and is not done: its file and digest stay open between turns.
typedef struct {
  uint32_t task; // NO_TASK: the slot is free
  int running;   // a thread is taking its turn: only that thread touches the rest
  int fd;        // -1 until its first turn
  int digesting; // digester set up and begun
  uint64_t position;
  uint64_t end;  // TO_EOF for a whole file
  double left;   // bytes expected still, for the order
  ms_digester digester;
} open_task;

typedef struct {
  double size;
  uint32_t index;
} sized_index;

// Shared by the threads of one call (on the caller's stack).
typedef struct {
  ms_turns *work;
  pthread_mutex_t lock;
  sized_index *order; // every task, largest first
  uint32_t next;      // the first task of `order` not yet started
  open_task *open;
  size_t open_slots;
  int error; // the first failure's errno value; then no more turns are given out
} shared;

static int largest_first(const void *a, const void *b) {
  const sized_index *x = a, *y = b;
  if (x->size != y->size) return x->size > y->size ? -1 : 1;
  return x->index < y->index ? -1 : x->index > y->index;
}

// Under the lock: the task with the most bytes left that no thread is running, or the largest one not yet
// started when it has more (and a slot is free). A started task wins ties, so that it is read in long runs.
static open_task *pick(shared *s) {
  if (s->error) return NULL;
  open_task *best = NULL, *free_slot = NULL;
  for (size_t i = 0; i < s->open_slots; i++) {
    open_task *slot = &s->open[i];
    if (slot->task == NO_TASK) {
      if (!free_slot) free_slot = slot;
    } else if (!slot->running && (!best || slot->left > best->left)) {
      best = slot;
    }
  }
  if (free_slot && s->next < s->work->count && (!best || s->order[s->next].size > best->left)) {
    const ms_turns *w = s->work;
    uint32_t task = s->order[s->next++].index;
    double start = w->ranges ? w->ranges[2 * task] : 0;
    double end = w->ranges ? w->ranges[2 * task + 1] : -1;
    *free_slot = (open_task){.task = task,
                             .fd = -1,
                             .position = (uint64_t)start,
                             .end = end < 0 ? TO_EOF : (uint64_t)end,
                             .left = w->sizes[task]};
    best = free_slot;
  }
  if (best) best->running = 1;
  return best;
}

static int begin_task(const ms_turns *w, ms_opener *opener, open_task *t, ms_stage *stage) {
  *stage = MS_AT_OPEN;
  t->fd = ms_opener_open(opener, w->paths[t->task], w->identities ? w->identities + 2 * (size_t)t->task : NULL);
  if (t->fd < 0) return errno;
  *stage = MS_AT_READ;
  int error = ms_digester_init(&t->digester, w->algorithm);
  if (error) return error;
  t->digesting = 1;
  return ms_digest_begin(&t->digester);
}

static void release_task(open_task *t) {
  if (t->fd >= 0) close(t->fd);
  if (t->digesting) ms_digester_free(&t->digester);
  t->fd = -1;
  t->digesting = 0;
  t->task = NO_TASK;
}

// One turn of `t` on this thread: up to turn_bytes more bytes, or to its end. *done when it is finished (its
// digest written, its file closed).
static int take_turn(const ms_turns *w, ms_opener *opener, open_task *t, uint8_t *buffer, int *done,
                     ms_stage *stage) {
  *done = 0;
  if (t->fd < 0) {
    int error = begin_task(w, opener, t, stage);
    if (error) return error;
  }
  *stage = MS_AT_READ;
  uint64_t turn_left = w->turn_bytes;
  int at_end = 0;
  while (turn_left > 0 && !at_end) {
    size_t want = READ_BUFFER_SIZE < turn_left ? READ_BUFFER_SIZE : (size_t)turn_left;
    if (t->end != TO_EOF) {
      if (t->position >= t->end) {
        at_end = 1;
        break;
      }
      if (t->end - t->position < want) want = (size_t)(t->end - t->position);
    }
    ssize_t got = ms_read_full(t->fd, buffer, want, t->position);
    if (got < 0) return errno;
    if (got > 0) {
      int error = ms_digest_update(&t->digester, buffer, (size_t)got);
      if (error) return error;
    }
    t->position += (uint64_t)got;
    turn_left -= (uint64_t)got;
    // A file that grew since its size was taken still has bytes left: it must not look done to the order.
    t->left = t->left - (double)got > 1 ? t->left - (double)got : 1;
    if (w->on_read && w->on_read(w->context, (size_t)got)) return ECANCELED;
    if ((size_t)got < want) at_end = 1;
  }
  if (!at_end && t->end != TO_EOF && t->position >= t->end) at_end = 1;
  if (!at_end) return 0;
  int error = ms_digest_end(&t->digester, w->digests + (size_t)t->task * ms_digest_size(w->algorithm));
  if (!error) *done = 1;
  return error;
}

static void run_turns(shared *s) {
  uint8_t *buffer = malloc(READ_BUFFER_SIZE);
  ms_opener opener;
  ms_opener_init(&opener, s->work->root, s->work->no_follow);
  pthread_mutex_lock(&s->lock);
  if (!buffer && !s->error) {
    s->error = ENOMEM;
    s->work->failed_index = s->next < s->work->count ? s->order[s->next].index : 0;
    s->work->failed_stage = MS_AT_READ;
  }
  for (;;) {
    open_task *t = pick(s);
    if (!t) break;
    pthread_mutex_unlock(&s->lock);
    int done = 0;
    ms_stage stage = MS_AT_READ;
    int error = take_turn(s->work, &opener, t, buffer, &done, &stage);
    pthread_mutex_lock(&s->lock);
    t->running = 0;
    if (error && !s->error) {
      s->error = error;
      s->work->failed_index = t->task;
      s->work->failed_stage = stage;
    }
    if (done) release_task(t);
  }
  pthread_mutex_unlock(&s->lock);
  ms_opener_free(&opener);
  free(buffer);
}

static void *turns_thread(void *data) {
  run_turns(data);
  return NULL;
}

int ms_hash_in_turns(ms_turns *w) {
  if (w->count == 0) return 0;
  if (w->turn_bytes == 0) w->turn_bytes = READ_BUFFER_SIZE;
  unsigned threads = w->threads < 1 ? 1 : w->threads > MAX_THREADS ? MAX_THREADS : w->threads;
  if (threads > w->count) threads = w->count;
  shared s = {.work = w, .open_slots = (size_t)threads * OPEN_PER_THREAD};
  s.order = malloc(sizeof(sized_index) * w->count);
  s.open = malloc(sizeof(open_task) * s.open_slots);
  if (!s.order || !s.open) {
    free(s.order);
    free(s.open);
    w->failed_index = 0;
    w->failed_stage = MS_AT_READ;
    return ENOMEM;
  }
  for (uint32_t i = 0; i < w->count; i++) s.order[i] = (sized_index){w->sizes[i], i};
  qsort(s.order, w->count, sizeof(sized_index), largest_first);
  for (size_t i = 0; i < s.open_slots; i++) s.open[i] = (open_task){.task = NO_TASK, .fd = -1};
  pthread_mutex_init(&s.lock, NULL);

  pthread_t ids[MAX_THREADS];
  unsigned started = 0;
  // The calling thread takes turns too; a thread that cannot be started only means fewer of them.
  while (started + 1 < threads && pthread_create(&ids[started], NULL, turns_thread, &s) == 0) started++;
  run_turns(&s);
  for (unsigned i = 0; i < started; i++) pthread_join(ids[i], NULL);

  // After a failure, the tasks still open.
  for (size_t i = 0; i < s.open_slots; i++)
    if (s.open[i].task != NO_TASK) release_task(&s.open[i]);
  pthread_mutex_destroy(&s.lock);
  free(s.order);
  free(s.open);
  return s.error;
}
