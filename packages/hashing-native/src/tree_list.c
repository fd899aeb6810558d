#define _GNU_SOURCE
#include "tree_list.h"
#include "file_open.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

// One directory's entries, read in full before any is visited, so that no directory stays open while its
// subdirectories are listed (a deep tree must not run out of file descriptors).
typedef struct {
  size_t offset; /* of the name in dir_entries.names */
  unsigned char type; /* d_type */
} dir_entry;

typedef struct {
  char *names;
  size_t length;
  size_t capacity;
  dir_entry *entries;
  size_t count;
  size_t slots;
} dir_entries;

// Makes room for `need` elements of `size` bytes in *items (capacity in elements, doubled from `first`).
static int reserve(void **items, size_t *capacity, size_t need, size_t size, size_t first) {
  if (need <= *capacity) return 0;
  size_t grown = *capacity ? *capacity * 2 : first;
  while (grown < need) grown *= 2;
  void *moved = realloc(*items, grown * size);
  if (!moved) return ENOMEM;
  *items = moved;
  *capacity = grown;
  return 0;
}

static void entries_free(dir_entries *e) {
  free(e->names);
  free(e->entries);
}

static int entries_add(dir_entries *e, const char *name, unsigned char type) {
  size_t size = strlen(name) + 1;
  if (reserve((void **)&e->names, &e->capacity, e->length + size, 1, 4096) ||
      reserve((void **)&e->entries, &e->slots, e->count + 1, sizeof *e->entries, 64))
    return ENOMEM;
  memcpy(e->names + e->length, name, size);
  e->entries[e->count].offset = e->length;
  e->entries[e->count].type = type;
  e->length += size;
  e->count++;
  return 0;
}

// Strict UTF-8 (no overlong forms, surrogates or values above U+10FFFF). Node.js decodes other names with
// replacement characters, which then name no file; such a model is left to the JavaScript walk.
static int valid_utf8(const unsigned char *s) {
  while (*s) {
    unsigned char c = *s;
    size_t extra;
    uint32_t value;
    if (c < 0x80) {
      s++;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      extra = 1;
      value = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      extra = 2;
      value = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      extra = 3;
      value = c & 0x07;
    } else {
      return 0;
    }
    for (size_t i = 1; i <= extra; i++) {
      if ((s[i] & 0xc0) != 0x80) return 0;
      value = (value << 6) | (s[i] & 0x3f);
    }
    static const uint32_t smallest[] = {0, 0x80, 0x800, 0x10000};
    if (value < smallest[extra] || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff)) return 0;
    s += extra + 1;
  }
  return 1;
}

// Whether the directory open as `fd` is `absolute` itself, not one reached through a directory on the way that
// was swapped for a symlink since the walk looked at it (its names would be another directory's). Linux names
// the file behind a descriptor; where it cannot (no /proc), the files listed are still opened from the root
// without following any link (file_open.c), so nothing outside the model is read.
static int is_where_listed(int fd, const char *absolute) {
#ifdef __linux__
  char link[64], target[PATH_MAX];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t length = readlink(link, target, sizeof target);
  if (length < 0) return errno == ENOENT;
  return (size_t)length == strlen(absolute) && memcmp(target, absolute, (size_t)length) == 0;
#else
  (void)fd;
  (void)absolute;
  return 1;
#endif
}

static int read_entries(const char *absolute, dir_entries *e) {
  int fd = open(absolute, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    // A symlink where a directory was listed (ELOOP, or ENOTDIR with O_DIRECTORY): swapped in since.
    int error = errno;
    struct stat info;
    if (error == ENOTDIR && lstat(absolute, &info) == 0 && S_ISLNK(info.st_mode)) error = MS_CHANGED;
    return error == ELOOP ? MS_CHANGED : error;
  }
  if (!is_where_listed(fd, absolute)) {
    close(fd);
    return MS_CHANGED;
  }
  DIR *dir = fdopendir(fd);
  if (!dir) {
    int error = errno;
    close(fd);
    return error;
  }
  int error = 0;
  for (;;) {
    errno = 0;
    struct dirent *entry = readdir(dir);
    if (!entry) {
      error = errno;
      break;
    }
    const char *name = entry->d_name;
    if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
    if (!valid_utf8((const unsigned char *)name)) {
      error = EILSEQ;
      break;
    }
    error = entries_add(e, name, entry->d_type);
    if (error) break;
  }
  closedir(dir);
  return error;
}

// UTF-8 byte order is code-point order, the order of path components in a manifest. qsort has no context
// argument: the names being sorted are this thread's.
static __thread const char *thread_sort_base;
static int by_name_threaded(const void *a, const void *b) {
  return strcmp(thread_sort_base + ((const dir_entry *)a)->offset, thread_sort_base + ((const dir_entry *)b)->offset);
}

static int tree_add(ms_tree *tree, const char *relative, size_t relative_length, ms_entry_kind kind, double size) {
  // kinds and sizes share one capacity: sizes grows first, then kinds to the same count.
  size_t capacity = tree->capacity;
  if (reserve((void **)&tree->names, &tree->names_capacity, tree->names_length + relative_length + 1, 1,
              1 << 16) ||
      reserve((void **)&tree->sizes, &capacity, tree->count + 1, sizeof *tree->sizes, 1024) ||
      reserve((void **)&tree->kinds, &tree->capacity, capacity, 1, capacity))
    return ENOMEM;
  memcpy(tree->names + tree->names_length, relative, relative_length + 1);
  tree->names_length += relative_length + 1;
  tree->kinds[tree->count] = (uint8_t)kind;
  tree->sizes[tree->count] = size;
  tree->count++;
  if (kind == MS_ENTRY_FILE) tree->files++;
  return 0;
}

static int ignored(ms_tree_options *options, const char *relative) {
  size_t low = 0, high = options->ignore_count;
  while (low < high) {
    size_t middle = low + (high - low) / 2;
    int order = strcmp(options->ignore[middle], relative);
    if (order == 0) return 1;
    if (order < 0) low = middle + 1;
    else high = middle;
  }
  return 0;
}

static int stop(ms_tree *tree, int error, const char *relative) {
  tree->error = error;
  tree->error_path = strdup(relative);
  return tree->error_path ? 0 : ENOMEM;
}

// `absolute` and `relative` are buffers of PATH_MAX bytes holding this directory's paths; children are
// appended in place and cut off again. Returns ENOMEM only; other failures end the listing through stop().
static int list_directory(ms_tree_options *options, ms_tree *tree, char *absolute, size_t absolute_length,
                          char *relative, size_t relative_length) {
  if (options->cancelled && options->cancelled(options->context)) return stop(tree, ECANCELED, relative);
  dir_entries e = {0};
  int error = read_entries(absolute, &e);
  if (error) {
    entries_free(&e);
    return error == ENOMEM ? ENOMEM : stop(tree, error, relative);
  }
  thread_sort_base = e.names;
  qsort(e.entries, e.count, sizeof *e.entries, by_name_threaded);
  int top = relative_length == 1 && relative[0] == '.';
  for (size_t i = 0; i < e.count && !error && !tree->error; i++) {
    const char *name = e.names + e.entries[i].offset;
    size_t name_length = strlen(name);
    size_t child_relative_length = top ? name_length : relative_length + 1 + name_length;
    if (absolute_length + 1 + name_length >= PATH_MAX || child_relative_length >= PATH_MAX) {
      error = stop(tree, ENAMETOOLONG, relative);
      break;
    }
    // The child's paths, written after this directory's own.
    absolute[absolute_length] = '/';
    memcpy(absolute + absolute_length + 1, name, name_length + 1);
    if (top) {
      memcpy(relative, name, name_length + 1);
    } else {
      relative[relative_length] = '/';
      memcpy(relative + relative_length + 1, name, name_length + 1);
    }
    if (!ignored(options, relative)) {
      unsigned char type = e.entries[i].type;
      struct stat info;
      int stated = 0;
      int want_size = type == DT_REG && tree->files < options->sized_files;
      if (type == DT_UNKNOWN || want_size) {
        // A file gone or changed since it was listed is left to the caller, which reports it as the walk does.
        if (fstatat(AT_FDCWD, absolute, &info, AT_SYMLINK_NOFOLLOW) == 0) {
          stated = 1;
          type = S_ISREG(info.st_mode) ? DT_REG : S_ISDIR(info.st_mode) ? DT_DIR : S_ISLNK(info.st_mode) ? DT_LNK : DT_UNKNOWN;
        } else {
          type = DT_UNKNOWN;
        }
      }
      if (type == DT_DIR) {
        error = list_directory(options, tree, absolute, absolute_length + 1 + name_length, relative,
                               child_relative_length);
      } else if (type == DT_REG) {
        double size = stated && tree->files < options->sized_files ? (double)info.st_size : -1;
        error = tree_add(tree, relative, child_relative_length, MS_ENTRY_FILE, size);
      } else {
        error = tree_add(tree, relative, child_relative_length, type == DT_LNK ? MS_ENTRY_LINK : MS_ENTRY_OTHER, -1);
      }
      if (!error && options->on_chunk && tree->count >= options->chunk_entries) options->on_chunk(options->context, tree);
    }
    absolute[absolute_length] = '\0';
    relative[relative_length] = '\0';
    if (top) memcpy(relative, ".", 2);
  }
  entries_free(&e);
  return error;
}

int ms_list_tree(ms_tree_options *options, ms_tree *tree) {
  size_t root_length = strlen(options->root);
  if (root_length >= PATH_MAX) return stop(tree, ENAMETOOLONG, ".");
  char *absolute = malloc(PATH_MAX);
  char *relative = malloc(PATH_MAX);
  if (!absolute || !relative) {
    free(absolute);
    free(relative);
    return ENOMEM;
  }
  memcpy(absolute, options->root, root_length + 1);
  // "/" as the root: children are "/name", not "//name".
  if (root_length == 1 && absolute[0] == '/') root_length = 0;
  memcpy(relative, ".", 2);
  int error = list_directory(options, tree, absolute, root_length, relative, 1);
  free(absolute);
  free(relative);
  return error;
}

void ms_tree_take(ms_tree *tree, ms_tree *chunk) {
  chunk->names = tree->names;
  chunk->names_length = tree->names_length;
  chunk->names_capacity = tree->names_capacity;
  chunk->kinds = tree->kinds;
  chunk->sizes = tree->sizes;
  chunk->count = tree->count;
  chunk->capacity = tree->capacity;
  tree->names = NULL;
  tree->names_length = tree->names_capacity = 0;
  tree->kinds = NULL;
  tree->sizes = NULL;
  tree->count = tree->capacity = 0;
}

void ms_tree_free(ms_tree *tree) {
  free(tree->names);
  free(tree->kinds);
  free(tree->sizes);
  free(tree->error_path);
}
