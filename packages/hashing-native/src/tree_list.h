/* Lists a model directory the way @model-signing/hashing walks it, without any Node.js API: every entry below
   the root in the manifest's canonical order (format spec §3.5), as one block of NUL-separated relative paths
   with a kind and (when asked) a size per entry. Only the listing is done here; what an entry means (a symlink
   to follow or refuse, a special file to report) is decided by the caller, which sees every entry in order. */
#ifndef MS_TREE_LIST_H
#define MS_TREE_LIST_H

#include <stddef.h>
#include <stdint.h>

/** What a listed entry is, by its directory entry (an lstat where the file system does not say). */
typedef enum { MS_ENTRY_FILE = 0, MS_ENTRY_LINK = 1, MS_ENTRY_OTHER = 2 } ms_entry_kind;

/** The listing: entries up to the end, or up to the directory that could not be listed. */
typedef struct {
  /** Relative paths (POSIX, no leading `./`), each followed by a NUL. */
  char *names;
  size_t names_length;
  size_t names_capacity;
  uint8_t *kinds;
  /** Size of each regular file whose size was taken; -1 otherwise. */
  double *sizes;
  size_t count;
  size_t capacity;
  /** Regular files listed so far. */
  size_t files;
  /** 0, or the errno of the directory that could not be listed (EILSEQ: a name that is not UTF-8). */
  int error;
  /** The relative path of that directory (`.` for the root), or NULL. */
  char *error_path;
} ms_tree;

/** What to list. */
typedef struct {
  /** The model directory, absolute and symlink-free. */
  const char *root;
  /** Relative paths to leave out, with what lies beneath them: sorted by strcmp. */
  const char *const *ignore;
  size_t ignore_count;
  /** The size is taken for this many regular files, the first ones listed (SIZE_MAX: all). */
  size_t sized_files;
  /** Asked between directories; non-zero stops the listing with ECANCELED. */
  int (*cancelled)(void *context);
  /**
   * When set, given the listing so far whenever it holds `chunk_entries` entries, so that the caller can use
   * the first entries while the rest is listed: it takes them with ms_tree_take. May set `chunk_entries` anew.
   */
  void (*on_chunk)(void *context, ms_tree *tree);
  size_t chunk_entries;
  void *context;
} ms_tree_options;

/**
 * Lists `options->root` into `tree` (which starts zeroed). Returns 0, or ENOMEM; a directory that cannot be
 * listed is not a failure of the call but ends the listing with tree->error and tree->error_path set.
 */
int ms_list_tree(ms_tree_options *options, ms_tree *tree);

/** Moves the entries listed so far from `tree` into `chunk` (zeroed before), leaving `tree` empty of them. */
void ms_tree_take(ms_tree *tree, ms_tree *chunk);

/** Frees what ms_list_tree allocated. */
void ms_tree_free(ms_tree *tree);

#endif
