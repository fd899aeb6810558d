#include "resource_list.h"

#include <pthread.h>

#include <stdlib.h>
#include <string.h>

// A growable byte buffer; `failed` once an allocation failed (then the whole read fails).
typedef struct {
  uint8_t *data;
  size_t length;
  size_t capacity;
  int failed;
} bytes;

// Room for `length` more bytes at the end of `b` (not yet counted in its length); NULL once allocation failed.
static uint8_t *reserve(bytes *b, size_t length) {
  if (b->failed) return NULL;
  // Allocated on first use even for nothing, so that a NULL return only ever means a failed allocation.
  if (!b->data || b->length + length > b->capacity) {
    size_t capacity = b->capacity ? b->capacity : 4096;
    while (capacity < b->length + length) capacity *= 2;
    uint8_t *grown = realloc(b->data, capacity);
    if (!grown) {
      b->failed = 1;
      return NULL;
    }
    b->data = grown;
    b->capacity = capacity;
  }
  return b->data + b->length;
}

static void append(bytes *b, const uint8_t *data, size_t length) {
  uint8_t *to = reserve(b, length);
  if (!to) return;
  memcpy(to, data, length);
  b->length += length;
}

typedef struct {
  const uint8_t *at;
  const uint8_t *end;
} cursor;

static int is_space(uint8_t byte) {
  return byte == ' ' || byte == '\n' || byte == '\r' || byte == '\t';
}

static void skip_space(cursor *c) {
  while (c->at < c->end && is_space(*c->at)) c->at++;
}

// After optional space, the byte `expected`: consumed, 1; else 0.
static int take(cursor *c, uint8_t expected) {
  skip_space(c);
  if (c->at < c->end && *c->at == expected) {
    c->at++;
    return 1;
  }
  return 0;
}

// After optional space, a string of printable ASCII without escapes: [*start, *start + *length). 0 for
// anything else (an escape, a control character, a non-ASCII byte, no closing quote). The closing quote is found
// with memchr and the bytes before it checked in one branch-free pass, both of which the compiler and libc
// vectorize: a statement of many files is mostly such strings.
static int plain_string(cursor *c, const uint8_t **start, size_t *length) {
  if (!take(c, '"')) return 0;
  const uint8_t *from = c->at;
  const uint8_t *quote = memchr(from, '"', (size_t)(c->end - from));
  if (!quote) return 0;
  size_t n = (size_t)(quote - from);
  unsigned bad = 0;
  for (size_t i = 0; i < n; i++) bad |= (from[i] < 0x20) | (from[i] > 0x7e) | (from[i] == '\\');
  if (bad) return 0;
  *start = from;
  *length = n;
  c->at = quote + 1;
  return 1;
}

// The value of each hex digit, -1 for every other byte.
static int8_t hex_values[256];

static void init_hex_values(void) {
  memset(hex_values, -1, sizeof hex_values);
  for (int i = 0; i < 10; i++) hex_values['0' + i] = (int8_t)i;
  for (int i = 0; i < 6; i++) hex_values['a' + i] = hex_values['A' + i] = (int8_t)(10 + i);
}

enum { NAME = 0, ALGORITHM = 1, DIGEST = 2, MEMBERS = 3 };

static int member_key(const uint8_t *key, size_t length) {
  if (length == 4 && memcmp(key, "name", 4) == 0) return NAME;
  if (length == 9 && memcmp(key, "algorithm", 9) == 0) return ALGORITHM;
  if (length == 6 && memcmp(key, "digest", 6) == 0) return DIGEST;
  return -1;
}

// One `{"name": …, "algorithm": …, "digest": …}`, the members in any order, each once.
static int read_resource(cursor *c, bytes *names, bytes *algorithms, bytes *digests) {
  if (!take(c, '{')) return 0;
  const uint8_t *value[MEMBERS] = {NULL, NULL, NULL};
  size_t value_length[MEMBERS] = {0, 0, 0};
  for (int i = 0; i < MEMBERS; i++) {
    if (i > 0 && !take(c, ',')) return 0;
    const uint8_t *key;
    size_t key_length;
    if (!plain_string(c, &key, &key_length)) return 0;
    int member = member_key(key, key_length);
    if (member < 0 || value[member]) return 0;
    if (!take(c, ':') || !plain_string(c, &value[member], &value_length[member])) return 0;
  }
  if (!take(c, '}')) return 0;
  if (value_length[DIGEST] % 2 != 0) return 0;
  static const uint8_t nul = 0;
  append(names, value[NAME], value_length[NAME]);
  append(names, &nul, 1);
  append(algorithms, value[ALGORITHM], value_length[ALGORITHM]);
  append(algorithms, &nul, 1);
  uint8_t *to = reserve(digests, value_length[DIGEST] / 2);
  if (!to) return 1; /* `digests` records the failure; the caller gives up */
  const uint8_t *hex = value[DIGEST];
  int bad = 0;
  for (size_t i = 0; i < value_length[DIGEST]; i += 2) {
    int high = hex_values[hex[i]], low = hex_values[hex[i + 1]];
    bad |= high | low;
    to[i / 2] = (uint8_t)((unsigned)high << 4 | (unsigned)low);
  }
  // Negative only when some digit was not hex.
  if (bad < 0) return 0;
  digests->length += value_length[DIGEST] / 2;
  return 1;
}

void ms_resource_list_free(ms_resource_list *list) {
  free(list->names);
  free(list->algorithms);
  free(list->digests);
  free(list->ends);
  memset(list, 0, sizeof *list);
}

ms_resources_outcome ms_read_resource_list(const uint8_t *json, size_t length, ms_resource_list *out) {
  static pthread_once_t hex_ready = PTHREAD_ONCE_INIT;
  pthread_once(&hex_ready, init_hex_values);
  cursor c = {json, json + length};
  bytes names = {0}, algorithms = {0}, digests = {0}, ends = {0};
  int read = take(&c, '[');
  if (read && !take(&c, ']')) {
    do {
      read = read_resource(&c, &names, &algorithms, &digests);
      // Ends are 32-bit, as the caller's Uint32Array.
      read = read && !digests.failed && digests.length <= UINT32_MAX;
      uint32_t end = (uint32_t)digests.length;
      if (read) append(&ends, (const uint8_t *)&end, sizeof end);
    } while (read && take(&c, ','));
    read = read && take(&c, ']');
  }
  skip_space(&c);
  read = read && c.at == c.end;
  int failed = names.failed || algorithms.failed || digests.failed || ends.failed;
  if (!read || failed) {
    free(names.data);
    free(algorithms.data);
    free(digests.data);
    free(ends.data);
    return failed ? MS_RESOURCES_NO_MEMORY : MS_RESOURCES_DECLINED;
  }
  *out = (ms_resource_list){.count = ends.length / sizeof(uint32_t),
                            .names = (char *)names.data,
                            .names_length = names.length,
                            .algorithms = (char *)algorithms.data,
                            .algorithms_length = algorithms.length,
                            .digests = digests.data,
                            .digests_length = digests.length,
                            .ends = (uint32_t *)ends.data};
  return MS_RESOURCES_READ;
}
