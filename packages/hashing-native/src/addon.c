/* The Node-API face of @model-signing/hashing-native. Every call starts one job on a thread of its own and
   returns a promise: the JavaScript thread only hands out work, so no worker thread has to boot and no file is
   read in JavaScript. Node-API (not V8) so that one build serves every Node.js >= 22. The work itself is in
   file_digest.c, blake3_tree.c and tree_list.c. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <node_api.h>
#include <uv.h>

#include "file_digest.h"
#include "resource_list.h"
#include "tree_list.h"
#include "turns.h"
#ifdef MS_HAVE_BLAKE3
#include "blake3_tree.h"
#endif

#define READ_BUFFER_SIZE (1u << 20)

typedef enum { JOB_BATCH, JOB_TURNS, JOB_BLAKE3_FILE, JOB_LIST, JOB_CHUNK } job_kind;

/* Entries of a listing handed to JavaScript before the listing is over. */
typedef struct {
  job_kind kind; /* JOB_CHUNK: what the thread-safe function is given is either this or a job */
  ms_tree tree;
} list_chunk;

/* Per JavaScript environment (the main thread, each worker thread): its running jobs. A job reads and writes
   its control array, which lives in that environment's heap; when the environment goes away (a worker
   terminated, the process exiting) its cleanup hook asks the jobs to stop and waits until none runs, so that
   no job touches freed memory. */
typedef struct {
  pthread_mutex_t lock;
  pthread_cond_t idle;
  int running;
  int closing;
} env_state;

/* One call's work, owned by its thread until it hands the job back through the thread-safe function. */
typedef struct {
  job_kind kind;
  ms_algorithm algorithm;
  uint32_t count;
  char **paths;
  char *path_block; /* when set, every path points into it (a NUL-separated list given as one string) */
  double *ranges; /* owned copy, or NULL for whole files */
  size_t probe_bytes;
  int no_follow;
  /* The checks of the paths (file_open.h): the model root, or NULL; dev, ino per path (NaN: none), or NULL. */
  char *root;
  double *identities;
  uint32_t threads; /* BLAKE3 of one file, or tasks in turns */
  double *turn_sizes; /* tasks in turns: the bytes each is expected to read */
  /* A listing: the ignore paths (pointers into one block, sorted), how many files get their size, the result. */
  char *ignore_block;
  const char **ignore;
  size_t ignore_count;
  size_t sized_files;
  ms_tree tree;
  ms_tree_options *list_options;
  int refused; /* the thread-safe function refused a call: the environment is going away */
  /* Results. */
  uint8_t *digests;
  double *sizes;
  uint64_t bytes;
  int error;
  ms_stage stage;
  int64_t index;
  /* control[0]: bytes hashed so far (written here); control[1]: non-zero asks the job to stop (written by
     JavaScript). A Float64Array kept alive by control_ref while the job runs. */
  double *control;
  napi_ref control_ref;
  napi_deferred deferred;
  napi_threadsafe_function done;
  env_state *state;
} job;

static void free_job(job *j) {
  if (j->path_block) free(j->path_block);
  else if (j->paths)
    for (uint32_t i = 0; i < j->count; i++) free(j->paths[i]);
  free(j->paths);
  free(j->ranges);
  free(j->digests);
  free(j->sizes);
  free(j->turn_sizes);
  free(j->root);
  free(j->identities);
  free(j->ignore_block);
  free(j->ignore);
  ms_tree_free(&j->tree);
  free(j);
}

// The control words are shared with JavaScript: whole 8-byte loads and stores, so neither side sees a torn value.
static int closing(const job *j) {
  return __atomic_load_n(&j->state->closing, __ATOMIC_ACQUIRE);
}

static int cancelled(const job *j) {
  if (closing(j)) return 1;
  uint64_t bits = __atomic_load_n((const uint64_t *)&j->control[1], __ATOMIC_RELAXED);
  double value;
  memcpy(&value, &bits, sizeof value);
  return value != 0;
}

// Tells JavaScript (control[0]) how many bytes are hashed so far, and whether to stop.
static int publish_bytes(job *j, uint64_t total) {
  if (closing(j)) return 1;
  double value = (double)total;
  uint64_t bits;
  memcpy(&bits, &value, sizeof bits);
  __atomic_store_n((uint64_t *)&j->control[0], bits, __ATOMIC_RELAXED);
  return cancelled(j);
}

static int on_read(void *context, size_t bytes) {
  job *j = context;
  j->bytes += bytes;
  return publish_bytes(j, j->bytes);
}

static void run_batch(job *j) {
  size_t digest_size = ms_digest_size(j->algorithm);
  uint8_t *buffer = malloc(READ_BUFFER_SIZE);
  ms_digester digester;
  if (!buffer) {
    j->error = ENOMEM;
    return;
  }
  j->error = ms_digester_init(&digester, j->algorithm);
  ms_opener opener;
  ms_opener_init(&opener, j->root, j->no_follow);
  ms_read_options options = {&opener, NULL, buffer, READ_BUFFER_SIZE, on_read, j};
  for (uint32_t i = 0; i < j->count && !j->error; i++) {
    if (cancelled(j)) {
      j->error = ECANCELED;
      break;
    }
    j->index = i;
    options.identity = j->identities ? j->identities + 2 * (size_t)i : NULL;
    uint8_t *out = j->digests + i * digest_size;
    if (j->probe_bytes > 0) {
      uint64_t size = 0;
      int hashed = 0;
      j->error = ms_digest_probe(&digester, j->paths[i], &options, j->probe_bytes, out, &size, &hashed, &j->stage);
      // A file left for later: the caller learns its size (encoded negative) and hashes it separately.
      if (!j->error) j->sizes[i] = hashed ? (double)size : -(double)size - 1;
    } else {
      uint64_t start = j->ranges ? (uint64_t)j->ranges[2 * i] : 0;
      int64_t end = j->ranges ? (int64_t)j->ranges[2 * i + 1] : -1;
      uint64_t bytes = 0;
      j->error = ms_digest_range(&digester, j->paths[i], &options, start, end, out, &bytes, &j->stage);
    }
  }
  ms_opener_free(&opener);
  ms_digester_free(&digester);
  free(buffer);
}

// Called by every hashing thread of one job (turns, or one BLAKE3 file): the counter is shared, so it is added
// to atomically.
static int on_shared_read(void *context, size_t bytes) {
  job *j = context;
  return publish_bytes(j, __atomic_add_fetch(&j->bytes, bytes, __ATOMIC_RELAXED));
}

// Large tasks on `threads` threads in turns (turns.c).
#define TURN_BYTES (16u << 20)

static void run_turns(job *j) {
  ms_turns work = {.algorithm = j->algorithm,
                   .count = j->count,
                   .paths = j->paths,
                   .ranges = j->ranges,
                   .sizes = j->turn_sizes,
                   .no_follow = j->no_follow,
                   .root = j->root,
                   .identities = j->identities,
                   .threads = j->threads,
                   .turn_bytes = TURN_BYTES,
                   .on_read = on_shared_read,
                   .context = j,
                   .digests = j->digests};
  j->error = ms_hash_in_turns(&work);
  if (j->error) {
    j->index = work.failed_index;
    j->stage = work.failed_stage;
  }
}

#ifdef MS_HAVE_BLAKE3

// One file on `threads` threads, split along the BLAKE3 tree (b3sum's approach; see blake3_tree.c).
static void run_blake3_file(job *j) {
  j->stage = MS_AT_OPEN;
  ms_opener opener;
  ms_opener_init(&opener, j->root, j->no_follow);
  int fd = ms_opener_open(&opener, j->paths[0], j->identities);
  j->error = fd < 0 ? errno : 0;
  ms_opener_free(&opener);
  if (fd < 0) return;
  struct stat info;
  j->stage = MS_AT_STAT;
  if (fstat(fd, &info) != 0) {
    j->error = errno;
  } else if (!S_ISREG(info.st_mode)) {
    j->error = EINVAL;
  } else {
    j->stage = MS_AT_READ;
    ms_blake3_hooks hooks = {on_shared_read, j};
    j->error = ms_blake3_file(fd, (uint64_t)info.st_size, j->threads, &hooks, j->digests);
  }
  close(fd);
}
#endif

static int list_cancelled(void *context) {
  return cancelled(context);
}

// The first entries go out soon, so that hashing starts at once; later chunks are larger, to cost fewer calls.
#define FIRST_CHUNK_ENTRIES 256
#define LARGEST_CHUNK_ENTRIES 8192

static void post_chunk(void *context, ms_tree *tree) {
  job *j = context;
  if (j->list_options->chunk_entries < LARGEST_CHUNK_ENTRIES) j->list_options->chunk_entries *= 2;
  if (j->refused || closing(j)) return;
  list_chunk *chunk = calloc(1, sizeof *chunk);
  if (!chunk) return; /* the entries stay in the listing and go out with the next chunk */
  chunk->kind = JOB_CHUNK;
  ms_tree_take(tree, &chunk->tree);
  if (napi_call_threadsafe_function(j->done, chunk, napi_tsfn_blocking) != napi_ok) {
    j->refused = 1;
    ms_tree_free(&chunk->tree);
    free(chunk);
  }
}

static void run_list(job *j) {
  ms_tree_options options = {j->paths[0], j->ignore,   j->ignore_count,     j->sized_files,
                              list_cancelled, post_chunk, FIRST_CHUNK_ENTRIES, j};
  j->list_options = &options;
  j->error = ms_list_tree(&options, &j->tree);
  j->list_options = NULL;
}

static void *job_thread(void *data) {
  job *j = data;
  if (j->kind == JOB_BATCH) run_batch(j);
  else if (j->kind == JOB_TURNS) run_turns(j);
  else if (j->kind == JOB_LIST) run_list(j);
#ifdef MS_HAVE_BLAKE3
  else run_blake3_file(j);
#endif
  // The JavaScript thread frees the job as soon as it has it: nothing of it may be read after the call. When
  // the environment is going away the call is refused, and the job is freed here.
  napi_threadsafe_function done = j->done;
  env_state *state = j->state;
  // A refused call (napi_closing) also gives up this thread's hold on the function, which may be gone at once:
  // it must not be released then.
  if (!j->refused && napi_call_threadsafe_function(done, j, napi_tsfn_blocking) == napi_ok) {
    napi_release_threadsafe_function(done, napi_tsfn_release);
  } else {
    free_job(j);
  }
  pthread_mutex_lock(&state->lock);
  if (--state->running == 0) pthread_cond_broadcast(&state->idle);
  pthread_mutex_unlock(&state->lock);
  return NULL;
}

static void on_env_cleanup(void *data) {
  env_state *state = data;
  pthread_mutex_lock(&state->lock);
  __atomic_store_n(&state->closing, 1, __ATOMIC_RELEASE);
  while (state->running > 0) pthread_cond_wait(&state->idle, &state->lock);
  pthread_mutex_unlock(&state->lock);
  pthread_cond_destroy(&state->idle);
  pthread_mutex_destroy(&state->lock);
  free(state);
}

static const char *stage_name(ms_stage stage) {
  switch (stage) {
    case MS_AT_OPEN:
      return "open";
    case MS_AT_READ:
      return "read";
    case MS_AT_STAT:
      return "fstat";
    case MS_AT_LIST:
      return "scandir";
  }
  return "read";
}

// An Error shaped like Node's file-system errors (code, errno, syscall), plus the index of the failed path.
// NULL when the environment can no longer run JavaScript (a worker being terminated).
static napi_value errno_error(napi_env env, int error, ms_stage stage, int64_t index) {
  napi_value message = NULL, code = NULL, result = NULL, value = NULL;
  if (napi_create_string_utf8(env, strerror(error), NAPI_AUTO_LENGTH, &message) != napi_ok ||
      napi_create_string_utf8(env, uv_err_name(-error), NAPI_AUTO_LENGTH, &code) != napi_ok ||
      napi_create_error(env, code, message, &result) != napi_ok)
    return NULL;
  napi_set_named_property(env, result, "code", code);
  if (napi_create_int32(env, -error, &value) == napi_ok) napi_set_named_property(env, result, "errno", value);
  if (napi_create_string_utf8(env, stage_name(stage), NAPI_AUTO_LENGTH, &value) == napi_ok)
    napi_set_named_property(env, result, "syscall", value);
  if (napi_create_int64(env, index, &value) == napi_ok) napi_set_named_property(env, result, "index", value);
  return result;
}

// NULL when the environment can no longer run JavaScript (a worker being terminated).
static napi_value copy_to_typed_array(napi_env env, napi_typedarray_type type, const void *data, size_t bytes,
                                      size_t length) {
  napi_value buffer = NULL, array = NULL;
  void *target = NULL;
  if (napi_create_arraybuffer(env, bytes, &target, &buffer) != napi_ok || (bytes > 0 && !target)) return NULL;
  if (bytes > 0) memcpy(target, data, bytes);
  if (napi_create_typedarray(env, type, length, buffer, 0, &array) != napi_ok) return NULL;
  return array;
}

// Calls the listing's onChunk(names, kinds, sizes) with the entries of one chunk.
static void deliver_chunk(napi_env env, napi_value callback, list_chunk *chunk) {
  ms_tree *tree = &chunk->tree;
  napi_value argv[3], global;
  if (!callback || napi_get_global(env, &global) != napi_ok ||
      napi_create_string_utf8(env, tree->names ? tree->names : "", tree->names_length, &argv[0]) != napi_ok)
    return;
  argv[1] = copy_to_typed_array(env, napi_uint8_array, tree->kinds, tree->count, tree->count);
  argv[2] = copy_to_typed_array(env, napi_float64_array, tree->sizes, sizeof(double) * tree->count, tree->count);
  if (argv[1] && argv[2]) napi_call_function(env, global, callback, 3, argv, NULL);
}

// A listing resolves even when a directory could not be listed: with the entries before it and `error`.
static void settle_list(napi_env env, job *j) {
  ms_tree *tree = &j->tree;
  napi_value result = NULL, names = NULL, kinds = NULL, sizes = NULL, error = NULL;
  if (napi_create_string_utf8(env, tree->names ? tree->names : "", tree->names_length, &names) != napi_ok)
    return;
  kinds = copy_to_typed_array(env, napi_uint8_array, tree->kinds, tree->count, tree->count);
  sizes = copy_to_typed_array(env, napi_float64_array, tree->sizes, sizeof(double) * tree->count, tree->count);
  if (tree->error) {
    error = errno_error(env, tree->error, MS_AT_LIST, 0);
    napi_value path = NULL;
    if (error && napi_create_string_utf8(env, tree->error_path, NAPI_AUTO_LENGTH, &path) == napi_ok)
      napi_set_named_property(env, error, "path", path);
    else
      error = NULL;
  } else if (napi_get_null(env, &error) != napi_ok) {
    error = NULL;
  }
  if (!kinds || !sizes || !error || napi_create_object(env, &result) != napi_ok) return;
  napi_set_named_property(env, result, "names", names);
  napi_set_named_property(env, result, "kinds", kinds);
  napi_set_named_property(env, result, "sizes", sizes);
  napi_set_named_property(env, result, "error", error);
  napi_resolve_deferred(env, j->deferred, result);
}

// Back on the JavaScript thread: settle the promise and free the job.
static void job_done(napi_env env, napi_value callback, void *context, void *data) {
  (void)context;
  if (*(job_kind *)data == JOB_CHUNK) {
    list_chunk *chunk = data;
    if (env) deliver_chunk(env, callback, chunk);
    ms_tree_free(&chunk->tree);
    free(chunk);
    return;
  }
  job *j = data;
  // Every value is checked: in an environment that is shutting down (a worker being terminated) the calls
  // fail, and the promise is then simply left unsettled; nobody can await it any more.
  if (env && j->kind == JOB_LIST && !j->error) {
    settle_list(env, j);
    napi_delete_reference(env, j->control_ref);
  } else if (env) {
    if (j->error) {
      napi_value error = errno_error(env, j->error, j->stage, j->index);
      if (error) napi_reject_deferred(env, j->deferred, error);
    } else {
      size_t digest_size = ms_digest_size(j->algorithm);
      napi_value result = NULL, digests = NULL, sizes = NULL, bytes = NULL;
      digests = copy_to_typed_array(env, napi_uint8_array, j->digests, digest_size * j->count,
                                    digest_size * j->count);
      if (j->sizes) {
        sizes = copy_to_typed_array(env, napi_float64_array, j->sizes, sizeof(double) * j->count, j->count);
      } else if (napi_get_null(env, &sizes) != napi_ok) {
        sizes = NULL;
      }
      if (digests && sizes && napi_create_double(env, (double)j->bytes, &bytes) == napi_ok &&
          napi_create_object(env, &result) == napi_ok) {
        napi_set_named_property(env, result, "digests", digests);
        napi_set_named_property(env, result, "sizes", sizes);
        napi_set_named_property(env, result, "bytes", bytes);
        napi_resolve_deferred(env, j->deferred, result);
      }
    }
    napi_delete_reference(env, j->control_ref);
  }
  free_job(j);
}

static int by_string(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static napi_value throw_type_error(napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

// The first `count` arguments of a call of `name` into argv; false, with a TypeError thrown, when fewer came.
static bool get_arguments(napi_env env, napi_callback_info info, const char *name, size_t count,
                          napi_value *argv) {
  size_t argc = count;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc >= count) return true;
  char message[96];
  snprintf(message, sizeof message, "%s: %zu arguments expected", name, count);
  throw_type_error(env, message);
  return false;
}

// A JavaScript string as a fresh NUL-terminated UTF-8 path, or NULL (not a string, or it holds a NUL, which
// would silently name another file).
// A JavaScript string as a fresh NUL-terminated UTF-8 buffer (NULs inside kept) and its length, or NULL.
static char *copy_string(napi_env env, napi_value value, size_t *length) {
  if (napi_get_value_string_utf8(env, value, NULL, 0, length) != napi_ok) return NULL;
  char *text = malloc(*length + 1);
  if (!text) return NULL;
  napi_get_value_string_utf8(env, value, text, *length + 1, length);
  return text;
}

static char *copy_path(napi_env env, napi_value value) {
  size_t length = 0;
  char *path = copy_string(env, value, &length);
  if (path && strlen(path) != length) {
    free(path);
    return NULL;
  }
  return path;
}

static int get_float64_array(napi_env env, napi_value value, double **data, size_t *length) {
  bool is_typed = false;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) return 0;
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, value, &type, length, (void **)data, &buffer, &offset) != napi_ok) return 0;
  return type == napi_float64_array;
}

// The control array of a job: a Float64Array of at least 2 elements (see `job`).
static int get_control(napi_env env, napi_value value, double **control) {
  size_t length = 0;
  return get_float64_array(env, value, control, &length) && length >= 2;
}

static int is_nullish(napi_env env, napi_value value) {
  napi_valuetype type;
  napi_typeof(env, value, &type);
  return type == napi_null || type == napi_undefined;
}

// Starts `j` on a thread of its own and returns its promise; frees `j` and throws when that is impossible.
static napi_value start_job(napi_env env, job *j, napi_value control, napi_value callback) {
  napi_value promise, name;
  if (napi_create_reference(env, control, 1, &j->control_ref) != napi_ok) {
    free_job(j);
    return throw_type_error(env, "could not keep the control array");
  }
  napi_create_promise(env, &j->deferred, &promise);
  napi_create_string_utf8(env, "model-signing hashing", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, callback, NULL, name, 0, 1, NULL, NULL, NULL, job_done, &j->done) !=
      napi_ok) {
    napi_delete_reference(env, j->control_ref);
    free_job(j);
    return throw_type_error(env, "could not create the completion callback");
  }
  env_state *state = NULL;
  napi_get_instance_data(env, (void **)&state);
  j->state = state;
  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
  pthread_t thread;
  pthread_mutex_lock(&state->lock);
  state->running++;
  pthread_mutex_unlock(&state->lock);
  int error = pthread_create(&thread, &attributes, job_thread, j);
  pthread_attr_destroy(&attributes);
  if (error) {
    pthread_mutex_lock(&state->lock);
    if (--state->running == 0) pthread_cond_broadcast(&state->idle);
    pthread_mutex_unlock(&state->lock);
    // Settled through the same path as a failed job, so that the caller sees one kind of failure.
    j->error = error;
    j->stage = MS_AT_READ;
    j->index = 0;
    napi_threadsafe_function done = j->done;
    if (napi_call_threadsafe_function(done, j, napi_tsfn_nonblocking) == napi_ok) {
      napi_release_threadsafe_function(done, napi_tsfn_release);
    } else {
      free_job(j);
    }
  }
  return promise;
}

/*
 * hashBatch(algorithm, paths, ranges, probeBytes, noFollow, control)
 *   -> Promise<{ digests: Uint8Array, sizes: Float64Array | null, bytes: number }>
 * algorithm: 0 sha256, 1 blake2b, 2 blake3; ranges: Float64Array [start, end (-1: EOF)] per path, or null for
 * whole files; probeBytes > 0: whole files of unknown size, each hashed when smaller than probeBytes and
 * otherwise left (digest zeroed, sizes[i] = -size - 1); control: Float64Array(2), see `job`. Rejects with an
 * fs-style Error carrying the index of the first path that failed.
 */
// Throws a TypeError "<call>: <what>" and gives NULL, for the argument checks of new_files_job.
static job *refuse_files_job(napi_env env, const char *name, const char *what) {
  char message[160];
  snprintf(message, sizeof message, "%s: %s", name, what);
  throw_type_error(env, message);
  return NULL;
}

// The part of a hashBatch or hashInTurns call they share: a job of `algorithm` over `paths` (an array, or one
// NUL-separated string) with their `ranges` (a Float64Array of start, end per path, or null), reporting to
// `control`. NULL, with a TypeError thrown, when an argument is wrong.
static job *new_files_job(napi_env env, const char *name, napi_value algorithm_value, napi_value paths_value,
                          napi_value ranges_value, napi_value control_value) {
  double *control = NULL;
  if (!get_control(env, control_value, &control))
    return refuse_files_job(env, name, "control must be a Float64Array(2)");
  int32_t algorithm;
  if (napi_get_value_int32(env, algorithm_value, &algorithm) != napi_ok || algorithm < 0 || algorithm > 2 ||
      ms_digest_size((ms_algorithm)algorithm) == 0)
    return refuse_files_job(env, name, "unknown algorithm, or one not built in");
  bool is_array = false;
  uint32_t count = 0;
  napi_valuetype paths_type;
  napi_typeof(env, paths_value, &paths_type);
  // One string of NUL-separated paths costs one conversion instead of one per path (20,000 for some models).
  size_t block_length = 0;
  char *block = NULL;
  if (paths_type == napi_string) {
    block = copy_string(env, paths_value, &block_length);
    if (!block)
      return refuse_files_job(env, name, "out of memory");
    count = block_length > 0 ? 1 : 0;
    for (size_t i = 0; i < block_length; i++) count += block[i] == '\0';
  } else if (napi_is_array(env, paths_value, &is_array) != napi_ok || !is_array)
    return refuse_files_job(env, name, "paths must be an array or a NUL-separated string"); else {
    napi_get_array_length(env, paths_value, &count);
  }
  double *ranges = NULL;
  size_t ranges_length = 0;
  if (!is_nullish(env, ranges_value) &&
      (!get_float64_array(env, ranges_value, &ranges, &ranges_length) || ranges_length != 2 * (size_t)count)) {
    free(block);
    return refuse_files_job(env, name, "ranges must be a Float64Array of 2 numbers per path, or null");
  }
  job *j = calloc(1, sizeof(job));
  if (!j) {
    free(block);
    return refuse_files_job(env, name, "out of memory");
  }
  // Owned by the job from here on.
  j->path_block = block;
  j->control = control;
  j->algorithm = (ms_algorithm)algorithm;
  j->count = count;
  j->paths = calloc(count ? count : 1, sizeof(char *));
  j->digests = calloc(count ? count : 1, ms_digest_size(j->algorithm));
  if (ranges) {
    j->ranges = malloc(sizeof(double) * 2 * (count ? count : 1));
    if (j->ranges) memcpy(j->ranges, ranges, sizeof(double) * 2 * count);
  }
  if (!j->paths || !j->digests || (ranges && !j->ranges)) {
    free_job(j);
    return refuse_files_job(env, name, "out of memory");
  }
  if (block) {
    char *next = block;
    for (uint32_t i = 0; i < count; i++) {
      j->paths[i] = next;
      next += strlen(next) + 1;
    }
  } else {
    for (uint32_t i = 0; i < count; i++) {
      napi_value element;
      napi_get_element(env, paths_value, i, &element);
      j->paths[i] = copy_path(env, element);
      if (!j->paths[i]) {
        free_job(j);
        return refuse_files_job(env, name, "every path must be a string without NUL characters");
      }
    }
  }
  return j;
}

// The optional arguments `root` and `identities` of a files job, at `at` and `at + 1`: the model root (a
// string, or null/undefined) and dev, ino per path (a Float64Array of 2 numbers per path, or null/undefined).
// False, with a TypeError thrown, when one is wrong.
static bool take_checks(napi_env env, napi_callback_info info, const char *name, size_t at, job *j) {
  napi_value argv[9];
  size_t argc = at + 2;
  if (argc > 9 || napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return false;
  char message[160];
  if (argc > at && !is_nullish(env, argv[at]) && !(j->root = copy_path(env, argv[at]))) {
    snprintf(message, sizeof message, "%s: root must be a string without NUL characters, or null", name);
    throw_type_error(env, message);
    return false;
  }
  double *identities = NULL;
  size_t length = 0;
  if (argc > at + 1 && !is_nullish(env, argv[at + 1])) {
    if (!get_float64_array(env, argv[at + 1], &identities, &length) || length != 2 * (size_t)j->count) {
      snprintf(message, sizeof message, "%s: identities must be a Float64Array of 2 numbers per path, or null",
               name);
      throw_type_error(env, message);
      return false;
    }
    // A copy owned by the job, as the ranges.
    j->identities = malloc(sizeof(double) * (length ? length : 1));
    if (!j->identities) {
      snprintf(message, sizeof message, "%s: out of memory", name);
      throw_type_error(env, message);
      return false;
    }
    memcpy(j->identities, identities, sizeof(double) * length);
  }
  return true;
}

/*
 * hashBatch(algorithm, paths, ranges, probeBytes, noFollow, control, root?, identities?)
 *   -> Promise<{ digests: Uint8Array, sizes: Float64Array | null, bytes: number }>
 * algorithm: 0 sha256, 1 blake2b, 2 blake3; ranges: Float64Array [start, end (-1: EOF)] per path, or null for
 * whole files; probeBytes > 0: whole files of unknown size, each hashed when smaller than probeBytes and
 * otherwise left (digest zeroed, sizes[i] = -size - 1); control: Float64Array(2), see `job`; root and
 * identities: how each file is opened (file_open.h): a path with an identity (dev, ino; NaN: none) must be that
 * file, any other path below root is opened from root following no symlink; EXDEV when a file is not the one
 * expected. Rejects with an fs-style Error carrying the index of the first path that failed.
 */
static napi_value hash_batch(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!get_arguments(env, info, "hashBatch", 6, argv)) return NULL;
  job *j = new_files_job(env, "hashBatch", argv[0], argv[1], argv[2], argv[5]);
  if (!j) return NULL;
  double probe_bytes = 0;
  napi_get_value_double(env, argv[3], &probe_bytes);
  bool no_follow = false;
  napi_get_value_bool(env, argv[4], &no_follow);
  j->kind = JOB_BATCH;
  j->probe_bytes = probe_bytes > 0 ? (size_t)probe_bytes : 0;
  j->no_follow = no_follow;
  if (!take_checks(env, info, "hashBatch", 6, j)) {
    free_job(j);
    return NULL;
  }
  if (j->probe_bytes > 0 && !(j->sizes = calloc(j->count ? j->count : 1, sizeof(double)))) {
    free_job(j);
    return throw_type_error(env, "hashBatch: out of memory");
  }
  return start_job(env, j, argv[5], NULL);
}

/*
 * hashInTurns(algorithm, paths, ranges, sizes, threads, noFollow, control, root?, identities?)
 *   -> Promise<{ digests: Uint8Array, sizes: null, bytes: number }>
 * The tasks of hashBatch (SHA-256 or BLAKE2b) on `threads` threads, taking turns, the task with the most bytes
 * left first (see turns.h); sizes: Float64Array, the bytes each task is expected to read; root and identities
 * as hashBatch's. Rejects as hashBatch.
 */
static napi_value hash_in_turns(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  if (!get_arguments(env, info, "hashInTurns", 7, argv)) return NULL;
  job *j = new_files_job(env, "hashInTurns", argv[0], argv[1], argv[2], argv[6]);
  if (!j) return NULL;
  double *sizes = NULL;
  size_t sizes_length = 0;
  if (j->algorithm == MS_BLAKE3) {
    free_job(j);
    return throw_type_error(env, "hashInTurns: BLAKE3 files are split along the tree instead (blake3File)");
  }
  if (!get_float64_array(env, argv[3], &sizes, &sizes_length) || sizes_length != j->count) {
    free_job(j);
    return throw_type_error(env, "hashInTurns: sizes must be a Float64Array of one number per path");
  }
  // A copy owned by the job: the array may be gone by the time the job reads it.
  j->turn_sizes = malloc(sizeof(double) * (j->count ? j->count : 1));
  if (!j->turn_sizes) {
    free_job(j);
    return throw_type_error(env, "hashInTurns: out of memory");
  }
  memcpy(j->turn_sizes, sizes, sizeof(double) * j->count);
  napi_get_value_uint32(env, argv[4], &j->threads);
  if (j->threads < 1) j->threads = 1;
  bool no_follow = false;
  napi_get_value_bool(env, argv[5], &no_follow);
  j->kind = JOB_TURNS;
  j->no_follow = no_follow;
  if (!take_checks(env, info, "hashInTurns", 7, j)) {
    free_job(j);
    return NULL;
  }
  return start_job(env, j, argv[6], NULL);
}

/*
 * readResourceList(json: Uint8Array)
 *   -> { names: string, algorithms: string, digests: Uint8Array, ends: Uint32Array } | null
 * The resources list of a signed statement in columns (see resource_list.h): the names, and the algorithms,
 * each joined with NUL; every digest decoded, one after the other, and where each ends. Null when the list is
 * not in the plain form this reads (the caller then parses it as JSON). Synchronous: a few milliseconds for
 * tens of thousands of resources.
 */
static napi_value read_resource_list(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_arguments(env, info, "readResourceList", 1, argv)) return NULL;
  bool is_typed = false;
  napi_typedarray_type type;
  size_t length = 0, offset = 0;
  void *data = NULL;
  napi_value buffer;
  if (napi_is_typedarray(env, argv[0], &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, argv[0], &type, &length, &data, &buffer, &offset) != napi_ok ||
      type != napi_uint8_array)
    return throw_type_error(env, "readResourceList: json must be a Uint8Array");
  ms_resource_list list;
  napi_value result = NULL, value;
  if (ms_read_resource_list(length ? data : (const uint8_t *)"", length, &list) != MS_RESOURCES_READ) {
    napi_get_null(env, &result);
    return result;
  }
  // Joined, not ended: the last name's NUL is left out (the names hold none of their own).
  size_t names_length = list.count ? list.names_length - 1 : 0;
  size_t algorithms_length = list.count ? list.algorithms_length - 1 : 0;
  napi_value digests = copy_to_typed_array(env, napi_uint8_array, list.digests, list.digests_length,
                                           list.digests_length);
  napi_value ends =
      copy_to_typed_array(env, napi_uint32_array, list.ends, sizeof(uint32_t) * list.count, list.count);
  if (!digests || !ends || napi_create_object(env, &result) != napi_ok) {
    ms_resource_list_free(&list);
    return throw_type_error(env, "readResourceList: out of memory");
  }
  // Printable ASCII only (resource_list.c declines anything else): Latin-1 makes the same one-byte strings.
  napi_create_string_latin1(env, list.names ? list.names : "", names_length, &value);
  napi_set_named_property(env, result, "names", value);
  napi_create_string_latin1(env, list.algorithms ? list.algorithms : "", algorithms_length, &value);
  napi_set_named_property(env, result, "algorithms", value);
  napi_set_named_property(env, result, "digests", digests);
  napi_set_named_property(env, result, "ends", ends);
  ms_resource_list_free(&list);
  return result;
}

#ifdef MS_HAVE_BLAKE3
/*
 * blake3File(path, threads, noFollow, control, root?, identity?)
 *   -> Promise<{ digests: Uint8Array(32), sizes: null, bytes }>
 * BLAKE3 of a whole file, mapped into memory and split over `threads` threads along the BLAKE3 tree; root and
 * identity (one dev, ino pair) as hashBatch's.
 */
static napi_value blake3_file(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!get_arguments(env, info, "blake3File", 4, argv)) return NULL;
  double *control = NULL;
  if (!get_control(env, argv[3], &control))
    return throw_type_error(env, "blake3File: control must be a Float64Array(2)");
  job *j = calloc(1, sizeof(job));
  if (!j) return throw_type_error(env, "blake3File: out of memory");
  j->kind = JOB_BLAKE3_FILE;
  j->algorithm = MS_BLAKE3;
  j->count = 1;
  j->control = control;
  j->paths = calloc(1, sizeof(char *));
  j->digests = calloc(1, 32);
  if (!j->paths || !j->digests) {
    free_job(j);
    return throw_type_error(env, "blake3File: out of memory");
  }
  j->paths[0] = copy_path(env, argv[0]);
  if (!j->paths[0]) {
    free_job(j);
    return throw_type_error(env, "blake3File: path must be a string without NUL characters");
  }
  napi_get_value_uint32(env, argv[1], &j->threads);
  if (j->threads < 1) j->threads = 1;
  bool no_follow = false;
  napi_get_value_bool(env, argv[2], &no_follow);
  j->no_follow = no_follow;
  if (!take_checks(env, info, "blake3File", 4, j)) {
    free_job(j);
    return NULL;
  }
  return start_job(env, j, argv[3], NULL);
}
#endif

/*
 * listTree(root, ignore, sizedFiles, control, onChunk)
 *   -> Promise<{ names: string, kinds: Uint8Array, sizes: Float64Array, error: Error & { path } | null }>
 * Lists the directory `root` (absolute, symlink-free) in canonical order: relative paths separated (and ended)
 * by NUL, a kind per entry (0 regular file, 1 symlink, 2 anything else; directories are descended into, not
 * listed), and the size of the first `sizedFiles` regular files (-1 for the others). `ignore`: relative paths
 * to leave out, NUL-separated. A directory that cannot be listed ends the listing with `error` (its errno code
 * and relative `path`); EILSEQ there means a name that is not UTF-8, EXDEV a directory that is a symlink or is
 * reached through one (swapped in since its parent was listed). The first entries come through
 * onChunk(names, kinds, sizes) while the listing goes on, in order; the promise holds the last ones.
 */
static napi_value list_tree(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!get_arguments(env, info, "listTree", 5, argv)) return NULL;
  napi_valuetype callback_type;
  if (napi_typeof(env, argv[4], &callback_type) != napi_ok || callback_type != napi_function)
    return throw_type_error(env, "listTree: onChunk must be a function");
  double *control = NULL;
  if (!get_control(env, argv[3], &control))
    return throw_type_error(env, "listTree: control must be a Float64Array(2)");
  job *j = calloc(1, sizeof(job));
  if (!j) return throw_type_error(env, "listTree: out of memory");
  j->kind = JOB_LIST;
  j->count = 1;
  j->control = control;
  j->paths = calloc(1, sizeof(char *));
  if (!j->paths || !(j->paths[0] = copy_path(env, argv[0]))) {
    free_job(j);
    return throw_type_error(env, "listTree: root must be a string without NUL characters");
  }
  size_t length = 0;
  j->ignore_block = copy_string(env, argv[1], &length);
  if (!j->ignore_block) {
    free_job(j);
    return throw_type_error(env, "listTree: ignore must be a NUL-separated string");
  }
  for (size_t i = 0; i < length; i++) j->ignore_count += j->ignore_block[i] == '\0';
  if (length > 0 && j->ignore_block[length - 1] != '\0') j->ignore_count++;
  j->ignore = calloc(j->ignore_count ? j->ignore_count : 1, sizeof(char *));
  if (!j->ignore) {
    free_job(j);
    return throw_type_error(env, "listTree: out of memory");
  }
  const char *next = j->ignore_block;
  for (size_t i = 0; i < j->ignore_count; i++) {
    j->ignore[i] = next;
    next += strlen(next) + 1;
  }
  qsort(j->ignore, j->ignore_count, sizeof(char *), by_string);
  double sized = 0;
  napi_get_value_double(env, argv[2], &sized);
  j->sized_files = sized >= (double)SIZE_MAX ? SIZE_MAX : sized > 0 ? (size_t)sized : 0;
  return start_job(env, j, argv[3], argv[4]);
}

// Job threads are detached: one may still be returning from the addon's code when the environment that started
// it is gone, and Node unloads an addon once no environment uses it. Loading ourselves once more with
// RTLD_NODELETE keeps the code mapped for the life of the process.
static void keep_loaded(void) {
  Dl_info info;
  if (dladdr((void *)&keep_loaded, &info) && info.dli_fname) dlopen(info.dli_fname, RTLD_NOW | RTLD_NODELETE);
}

static pthread_once_t kept_loaded = PTHREAD_ONCE_INIT;

static napi_value init(napi_env env, napi_value exports) {
  pthread_once(&kept_loaded, keep_loaded);
  napi_value value;
  env_state *state = calloc(1, sizeof(env_state));
  if (!state) return throw_type_error(env, "hashing-native: out of memory");
  pthread_mutex_init(&state->lock, NULL);
  pthread_cond_init(&state->idle, NULL);
  // Instance data without a finalizer: the cleanup hook frees it once no job runs.
  napi_set_instance_data(env, state, NULL, NULL);
  napi_add_env_cleanup_hook(env, on_env_cleanup, state);
  napi_create_function(env, "hashBatch", NAPI_AUTO_LENGTH, hash_batch, NULL, &value);
  napi_set_named_property(env, exports, "hashBatch", value);
  napi_create_function(env, "hashInTurns", NAPI_AUTO_LENGTH, hash_in_turns, NULL, &value);
  napi_set_named_property(env, exports, "hashInTurns", value);
  napi_create_function(env, "readResourceList", NAPI_AUTO_LENGTH, read_resource_list, NULL, &value);
  napi_set_named_property(env, exports, "readResourceList", value);
  napi_create_function(env, "listTree", NAPI_AUTO_LENGTH, list_tree, NULL, &value);
  napi_set_named_property(env, exports, "listTree", value);
#ifdef MS_HAVE_BLAKE3
  napi_create_function(env, "blake3File", NAPI_AUTO_LENGTH, blake3_file, NULL, &value);
  napi_set_named_property(env, exports, "blake3File", value);
  napi_get_boolean(env, true, &value);
#else
  napi_get_boolean(env, false, &value);
#endif
  napi_set_named_property(env, exports, "blake3", value);
  return exports;
}

NAPI_MODULE_INIT() { return init(env, exports); }
