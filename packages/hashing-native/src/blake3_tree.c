/* Multi-threaded BLAKE3 of one buffer. The tree driver follows the BLAKE3 specification (paper, section 2):
   the input is split into 1024-byte chunks (the empty input is one empty chunk), each chunk is a chain of
   64-byte blocks compressed with the chunk counter and CHUNK_START on its first / CHUNK_END on its last block;
   chunk chaining values (CVs) are combined in a left-balanced binary tree whose left subtree always holds the
   largest power of two number of chunks strictly less than the total; parent nodes compress the 64 bytes
   "left CV || right CV" with PARENT and counter 0; the root node alone additionally carries ROOT, and its
   output's first 32 bytes are the hash.

   The compression function and its SIMD variants come from the official C implementation (blake3_impl.h):
   blake3_hash_many (many equal-length inputs at once, e.g. 16 chunks with AVX-512) and
   blake3_compress_in_place (one block). Every subtree of the left-balanced tree is itself left-balanced and
   starts at a known chunk index, so disjoint subtrees can be hashed independently, on different threads. */
#include "blake3_tree.h"

#include <errno.h>
#include <stdlib.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

#include "blake3_impl.h"
#include "mapped_window.h"
#include "read_full.h"

enum {
  // Subtrees up to this many chunks are hashed with one hash_many call over all their whole chunks, whose CVs
  // are then reduced level by level. Bounded so that the CV buffers stay small on the stack (8 KiB) and in L1/L2.
  LEAF_CHUNKS = 128,
  // Smallest piece handed to a thread: below this, starting and joining threads costs more than it saves.
  MIN_PIECE_LEN = 1 << 20,
  // A few pieces per thread, scheduled largest first, so that a thread that falls behind (another process
  // on its core, a slower page fault) does not leave the others idle at the end.
  PIECES_PER_THREAD = 4,
  // Beyond this, memory bandwidth, not cores, is the limit.
  MAX_THREADS = 64,
  MAX_PIECES = MAX_THREADS * PIECES_PER_THREAD,
  // A binary tree with P leaves (pieces) has 2P - 1 nodes.
  MAX_NODES = 2 * MAX_PIECES - 1,
  // A file is mapped in windows of this many bytes (whole subtrees), one at a time per thread: no copy from
  // the page cache (reading into a buffer was 2-5 % slower on 1 GiB; larger windows gained nothing), and a
  // resident set bounded by the threads times the window whatever the file size.
  MAP_WINDOW_LEN = 4 << 20,
  // Where a file cannot be mapped, it is read in windows of this many bytes into a per-thread buffer.
  READ_WINDOW_LEN = 1 << 20,
};

/* CV of one chunk of 0..1024 bytes, through the single-block compression: used for the input's last chunk
   when it is partial (hash_many only takes equal-length inputs) and for a one-chunk input, whose chunk is the
   root, so ROOT must go on its last block alone, which hash_many cannot express. */
static void chunk_cv(const uint8_t *chunk, size_t len, uint64_t counter, uint8_t root,
                     uint8_t out[BLAKE3_OUT_LEN]) {
  uint32_t cv[8];
  memcpy(cv, IV, sizeof cv);
  uint8_t flags = CHUNK_START;
  while (len > BLAKE3_BLOCK_LEN) {
    blake3_compress_in_place(cv, chunk, BLAKE3_BLOCK_LEN, counter, flags);
    chunk += BLAKE3_BLOCK_LEN;
    len -= BLAKE3_BLOCK_LEN;
    flags = 0;
  }
  // The last block is zero-padded; its real length goes into the compression as block_len (0 only for the
  // empty input).
  uint8_t last[BLAKE3_BLOCK_LEN] = {0};
  if (len > 0) memcpy(last, chunk, len);
  blake3_compress_in_place(cv, last, (uint8_t)len, counter, (uint8_t)(flags | CHUNK_END | root));
  store_cv_words(out, cv);  // little-endian words, as the spec says
}

// Parent node over `pair` = left CV || right CV; `root` is ROOT for the tree's top node, else 0.
static void parent_cv(const uint8_t pair[2 * BLAKE3_OUT_LEN], uint8_t root, uint8_t out[BLAKE3_OUT_LEN]) {
  uint32_t cv[8];
  memcpy(cv, IV, sizeof cv);
  blake3_compress_in_place(cv, pair, BLAKE3_BLOCK_LEN, 0, (uint8_t)(PARENT | root));
  store_cv_words(out, cv);  // little-endian words, as the spec says
}

// Bytes in the left subtree of a node covering `len` > 1024 bytes: the largest power of two number of chunks
// strictly less than the node's chunk count (a partial last chunk counts as one).
static size_t left_subtree_len(size_t len) {
  uint64_t chunks = ((uint64_t)len + BLAKE3_CHUNK_LEN - 1) / BLAKE3_CHUNK_LEN;
  return (size_t)(round_down_to_power_of_2(chunks - 1) * BLAKE3_CHUNK_LEN);
}

/* Non-root CV of a subtree of 2..LEAF_CHUNKS chunks. All whole chunks go to hash_many in one call: the library
   walks them in groups of its own SIMD degree (16, 8, 4 lanes, then one at a time), so grouping by
   blake3_simd_degree() here would only repeat that. Then the CVs are paired left to right level by level, an
   odd last CV moving up unchanged: that pairing builds exactly the left-balanced tree, because its left
   subtree is a power of two number of chunks, i.e. an even count that pairs up within itself at every level
   until it is a single node. */
static void leaf_cv(const uint8_t *input, size_t len, uint64_t chunk_start, uint8_t out[BLAKE3_OUT_LEN]) {
  const uint8_t *inputs[LEAF_CHUNKS];
  // Two buffers, because hash_many's outputs must not overwrite inputs of the same call.
  uint8_t level[LEAF_CHUNKS * BLAKE3_OUT_LEN];
  uint8_t next[LEAF_CHUNKS / 2 * BLAKE3_OUT_LEN];

  size_t whole = len / BLAKE3_CHUNK_LEN;
  size_t tail = len % BLAKE3_CHUNK_LEN;
  // len > 1024, so there is at least one whole chunk (stated outside the loop for the compiler's flow analysis).
  inputs[0] = input;
  for (size_t i = 1; i < whole; i++) inputs[i] = input + i * BLAKE3_CHUNK_LEN;
  blake3_hash_many(inputs, whole, BLAKE3_CHUNK_LEN / BLAKE3_BLOCK_LEN, IV, chunk_start, true, 0, CHUNK_START,
                   CHUNK_END, level);
  size_t count = whole;
  if (tail > 0) {
    chunk_cv(input + whole * BLAKE3_CHUNK_LEN, tail, chunk_start + whole, 0, level + whole * BLAKE3_OUT_LEN);
    count++;
  }

  while (count > 1) {
    size_t pairs = count / 2;
    for (size_t i = 0; i < pairs; i++) inputs[i] = level + i * 2 * BLAKE3_OUT_LEN;
    blake3_hash_many(inputs, pairs, 1, IV, 0, false, PARENT, 0, 0, next);
    // Copy back rather than swap pointers: the level below is at most half as large, so this is cheap and
    // keeps one buffer half-sized.
    memcpy(level, next, pairs * BLAKE3_OUT_LEN);
    if (count % 2) memmove(level + pairs * BLAKE3_OUT_LEN, level + (count - 1) * BLAKE3_OUT_LEN, BLAKE3_OUT_LEN);
    count = pairs + count % 2;
  }
  memcpy(out, level, BLAKE3_OUT_LEN);
}

/* CV of the subtree covering input[0, len), whose first chunk has index `chunk_start` (len > 0, except for the
   empty input's single chunk). `root` (ROOT or 0) says whether this subtree is the whole tree. Recursion
   follows the tree's own left/right split, so its depth is at most log2(len / LEAF_CHUNKS KiB) frames. */
static void subtree_cv(const uint8_t *input, size_t len, uint64_t chunk_start, uint8_t root,
                       uint8_t out[BLAKE3_OUT_LEN]) {
  if (len <= BLAKE3_CHUNK_LEN) {
    chunk_cv(input, len, chunk_start, root, out);
    return;
  }
  // The root can never be a leaf: ROOT belongs on its last compression, which the level-by-level reduction
  // does as an ordinary parent.
  if (!root && len <= (size_t)LEAF_CHUNKS * BLAKE3_CHUNK_LEN) {
    leaf_cv(input, len, chunk_start, out);
    return;
  }
  size_t left = left_subtree_len(len);
  uint8_t pair[2 * BLAKE3_OUT_LEN];
  subtree_cv(input, left, chunk_start, 0, pair);
  subtree_cv(input + left, len - left, chunk_start + left / BLAKE3_CHUNK_LEN, 0, pair + BLAKE3_OUT_LEN);
  parent_cv(pair, root, out);
}

/* Where the input is: in memory, or in a file read window by window. */
typedef struct {
  const uint8_t *memory;
  int fd;
  const ms_blake3_hooks *hooks;
} source;

// Reads exactly `len` bytes at `offset`; ENODATA when the file ends first (it shrank since its size was taken).
static int read_window(int fd, uint8_t *buffer, size_t len, uint64_t offset) {
  ssize_t got = ms_read_full(fd, buffer, len, offset);
  if (got < 0) return errno;
  return (size_t)got < len ? ENODATA : 0;
}

static int report_bytes(const source *src, size_t len) {
  return src->hooks && src->hooks->on_bytes && src->hooks->on_bytes(src->hooks->context, len) ? ECANCELED : 0;
}

// Splits the subtree at `offset` along the tree until its parts have at most `window` bytes, and gets each
// part's CV from `leaf`. A part's halves are themselves subtrees, so every window is a whole subtree.
typedef int (*window_cv)(const source *src, uint8_t *buffer, uint64_t offset, size_t len, uint64_t chunk_start,
                         uint8_t root, uint8_t out[BLAKE3_OUT_LEN]);

static int split_cv(const source *src, uint8_t *buffer, uint64_t offset, size_t len, uint64_t chunk_start,
                    uint8_t root, uint8_t out[BLAKE3_OUT_LEN], size_t window, window_cv leaf) {
  if (len <= window) return leaf(src, buffer, offset, len, chunk_start, root, out);
  size_t left = left_subtree_len(len);
  uint8_t pair[2 * BLAKE3_OUT_LEN];
  int error = split_cv(src, buffer, offset, left, chunk_start, 0, pair, window, leaf);
  if (!error)
    error = split_cv(src, buffer, offset + left, len - left, chunk_start + left / BLAKE3_CHUNK_LEN, 0,
                     pair + BLAKE3_OUT_LEN, window, leaf);
  if (!error) parent_cv(pair, root, out);
  return error;
}

static int read_leaf(const source *src, uint8_t *buffer, uint64_t offset, size_t len, uint64_t chunk_start,
                     uint8_t root, uint8_t out[BLAKE3_OUT_LEN]) {
  int error = read_window(src->fd, buffer, len, offset);
  if (error) return error;
  subtree_cv(buffer, len, chunk_start, root, out);
  return report_bytes(src, len);
}

typedef struct {
  uint64_t chunk_start;
  uint8_t root;
  uint8_t *out;
} mapped_subtree;

static void hash_mapped(void *context, const uint8_t *data, size_t len) {
  mapped_subtree *subtree = context;
  subtree_cv(data, len, subtree->chunk_start, subtree->root, subtree->out);
}

static int mapped_leaf(const source *src, uint8_t *buffer, uint64_t offset, size_t len, uint64_t chunk_start,
                       uint8_t root, uint8_t out[BLAKE3_OUT_LEN]) {
  mapped_subtree subtree = {chunk_start, root, out};
  int error = ms_with_mapped_window(src->fd, offset, len, hash_mapped, &subtree);
  if (!error) return report_bytes(src, len);
  if (error == ENODATA) return error;
  // Not mappable here (a file system without mmap): the same window, read.
  return split_cv(src, buffer, offset, len, chunk_start, root, out, READ_WINDOW_LEN, read_leaf);
}

/* CV of the subtree at byte `offset` of the input, of `len` bytes: from memory, subtree_cv; from a file, window
   by window, mapped (or read where mapping fails). */
static int piece_cv(const source *src, uint8_t *buffer, uint64_t offset, size_t len, uint64_t chunk_start,
                    uint8_t root, uint8_t out[BLAKE3_OUT_LEN]) {
  if (src->memory) {
    subtree_cv(src->memory + offset, len, chunk_start, root, out);
    return 0;
  }
  return split_cv(src, buffer, offset, len, chunk_start, root, out, MAP_WINDOW_LEN, mapped_leaf);
}

/* One node of the top of the tree, as split for the threads: either a piece (left < 0), hashed whole by one
   thread, or an inner node, whose CV is computed from its children's after all pieces are done. */
typedef struct {
  uint64_t offset;
  size_t len;
  uint64_t chunk_start;
  int left, right;
  uint8_t cv[BLAKE3_OUT_LEN];
} split_node;

// Shared by the threads of one call (on the caller's stack, so concurrent calls share nothing).
typedef struct {
  const source *src;
  split_node *nodes;
  const int *pieces;  // node indices, largest piece first
  size_t count;
  atomic_size_t next;
  atomic_bool stop;  // set at the first failure: the call fails, so leave the rest undone
  atomic_int error;  // that failure's errno value
} work_queue;

static void fail(work_queue *queue, int error) {
  int none = 0;
  atomic_compare_exchange_strong(&queue->error, &none, error);
  atomic_store_explicit(&queue->stop, true, memory_order_relaxed);
}

static void run_pieces(work_queue *queue) {
  uint8_t *buffer = NULL;
  if (!queue->src->memory && !(buffer = malloc(READ_WINDOW_LEN))) {
    fail(queue, ENOMEM);
    return;
  }
  while (!atomic_load_explicit(&queue->stop, memory_order_relaxed)) {
    // Each index is taken by exactly one thread; the pieces' CVs are published to the caller by pthread_join.
    size_t i = atomic_fetch_add_explicit(&queue->next, 1, memory_order_relaxed);
    if (i >= queue->count) break;
    split_node *piece = &queue->nodes[queue->pieces[i]];
    int error = piece_cv(queue->src, buffer, piece->offset, piece->len, piece->chunk_start, 0, piece->cv);
    if (error) fail(queue, error);
  }
  free(buffer);
}

static void *worker(void *queue) {
  run_pieces(queue);
  return NULL;
}

static int blake3_tree(const source *src, size_t len, unsigned threads, uint8_t out[32]) {
  if (threads > MAX_THREADS) threads = MAX_THREADS;
  if (threads <= 1 || len < 2 * (size_t)MIN_PIECE_LEN) {
    uint8_t *buffer = NULL;
    if (!src->memory && !(buffer = malloc(READ_WINDOW_LEN))) return ENOMEM;
    int error = piece_cv(src, buffer, 0, len, 0, ROOT, out);
    free(buffer);
    return error;
  }

  /* Split the top of the tree along its own left/right boundaries, always splitting the largest piece that
     still yields a left half of at least MIN_PIECE_LEN (the left half is at least half of the node), until
     there are PIECES_PER_THREAD pieces per thread. The right half may be small (e.g. one chunk past a power of
     two); it is then simply a cheap piece, never split further. */
  split_node nodes[MAX_NODES];
  nodes[0] = (split_node){.offset = 0, .len = len, .chunk_start = 0, .left = -1, .right = -1};
  size_t node_count = 1, piece_count = 1;
  size_t target = (size_t)threads * PIECES_PER_THREAD;
  while (piece_count < target) {
    int largest = -1;
    for (size_t i = 0; i < node_count; i++) {
      if (nodes[i].left < 0 && nodes[i].len >= 2 * (size_t)MIN_PIECE_LEN &&
          (largest < 0 || nodes[i].len > nodes[largest].len))
        largest = (int)i;
    }
    if (largest < 0) break;
    split_node *parent = &nodes[largest];
    size_t left = left_subtree_len(parent->len);
    nodes[node_count] = (split_node){.offset = parent->offset, .len = left, .chunk_start = parent->chunk_start,
                                     .left = -1, .right = -1};
    nodes[node_count + 1] = (split_node){.offset = parent->offset + left, .len = parent->len - left,
                                         .chunk_start = parent->chunk_start + left / BLAKE3_CHUNK_LEN,
                                         .left = -1, .right = -1};
    parent->left = (int)node_count;
    parent->right = (int)node_count + 1;
    node_count += 2;
    piece_count++;
  }

  // Largest first (longest-processing-time scheduling): the small pieces fill the gaps at the end.
  int pieces[MAX_PIECES];
  size_t n = 0;
  for (size_t i = 0; i < node_count; i++) {
    if (nodes[i].left >= 0) continue;
    size_t j = n++;
    for (; j > 0 && nodes[pieces[j - 1]].len < nodes[i].len; j--) pieces[j] = pieces[j - 1];
    pieces[j] = (int)i;
  }

  work_queue queue = {.src = src, .nodes = nodes, .pieces = pieces, .count = piece_count};
  atomic_init(&queue.next, 0);
  atomic_init(&queue.stop, false);
  atomic_init(&queue.error, 0);
  size_t workers = threads < piece_count ? threads : piece_count;
  pthread_t ids[MAX_THREADS];
  size_t started = 0;
  // The calling thread is one of the workers, so only workers - 1 threads are started.
  while (started + 1 < workers) {
    int error = pthread_create(&ids[started], NULL, worker, &queue);
    if (error) {
      fail(&queue, error);
      break;
    }
    started++;
  }
  if (!atomic_load(&queue.stop)) run_pieces(&queue);
  for (size_t i = 0; i < started; i++) pthread_join(ids[i], NULL);
  int error = atomic_load(&queue.error);
  if (error) return error;

  // Children always come after their parent in `nodes`, so a backward pass sees both children's CVs first.
  for (size_t i = node_count; i-- > 0;) {
    if (nodes[i].left < 0) continue;
    uint8_t pair[2 * BLAKE3_OUT_LEN];
    memcpy(pair, nodes[nodes[i].left].cv, BLAKE3_OUT_LEN);
    memcpy(pair + BLAKE3_OUT_LEN, nodes[nodes[i].right].cv, BLAKE3_OUT_LEN);
    parent_cv(pair, i == 0 ? ROOT : 0, nodes[i].cv);
  }
  memcpy(out, nodes[0].cv, BLAKE3_OUT_LEN);
  return 0;
}

int ms_blake3_parallel(const uint8_t *input, size_t len, unsigned threads, uint8_t out[32]) {
  source src = {.memory = input, .fd = -1, .hooks = NULL};
  return blake3_tree(&src, len, threads, out);
}

int ms_blake3_file(int fd, uint64_t len, unsigned threads, const ms_blake3_hooks *hooks, uint8_t out[32]) {
  source src = {.memory = NULL, .fd = fd, .hooks = hooks};
  return blake3_tree(&src, (size_t)len, threads, out);
}
