/* Opening the files of a model so that nothing outside it is read when the model changes while it is hashed:
   a file the walk found below the model root is opened from the root one component at a time, following no
   symlink (a directory swapped for a link to another place fails), and a file reached through an allowed
   symlink must still be the file the walk saw there (same device and inode). */
#ifndef MS_FILE_OPEN_H
#define MS_FILE_OPEN_H

#include <errno.h>
#include <stddef.h>

/**
 * The errno value of a file that is not the one expected. EXDEV: opening a file never fails with it otherwise,
 * and libuv names it (it has no name for ESTALE), so that JavaScript sees the code `EXDEV`.
 */
#define MS_CHANGED EXDEV

/** How one thread opens the files of one job, with the directory of the last file kept open. */
typedef struct {
  /** The model root (absolute, symlinks resolved), or NULL: paths are opened as given. */
  const char *root;
  size_t root_length;
  /** Paths opened as given (outside the root, or without one) do not follow a final symlink. */
  int no_follow;
  /** The directory (relative to the root) of the last file opened below it, and its descriptor (-1: none). */
  char *directory;
  size_t directory_length;
  size_t directory_capacity;
  int directory_fd;
} ms_opener;

/** Sets up `opener` (root may be NULL); nothing to free until a file is opened. */
void ms_opener_init(ms_opener *opener, const char *root, int no_follow);

/**
 * Opens `path` read-only. With an `identity` (st_dev, st_ino as doubles, as Node.js has them; NULL or NaN for
 * none) the file opened must be that file, and a final symlink is not followed; otherwise a path below the
 * root is opened from it without following any symlink. Returns the descriptor, or -1 with errno set: MS_CHANGED
 * when the file is not the one expected (a symlink or another file in its place or on its way).
 */
int ms_opener_open(ms_opener *opener, const char *path, const double *identity);

/** Closes what the opener keeps open. */
void ms_opener_free(ms_opener *opener);

#endif
