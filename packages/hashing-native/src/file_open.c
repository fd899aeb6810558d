#define _GNU_SOURCE
#include "file_open.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

// Directories on the way are only looked through: O_PATH where there is one (no read permission needed).
#ifdef O_PATH
#define DIRECTORY_FLAGS (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
#else
#define DIRECTORY_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
#endif

void ms_opener_init(ms_opener *opener, const char *root, int no_follow) {
  memset(opener, 0, sizeof *opener);
  opener->root = root;
  opener->root_length = root ? strlen(root) : 0;
  // "/" as the root: its files are "/name".
  if (opener->root_length == 1 && root[0] == '/') opener->root_length = 0;
  opener->no_follow = no_follow;
  opener->directory_fd = -1;
}

void ms_opener_free(ms_opener *opener) {
  if (opener->directory_fd >= 0) close(opener->directory_fd);
  free(opener->directory);
  opener->directory = NULL;
  opener->directory_fd = -1;
}

static int open_retrying(int at, const char *name, int flags) {
  int fd;
  do {
    fd = openat(at, name, flags);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

// A symlink where the walk saw a directory or a file (ELOOP from O_NOFOLLOW; ENOTDIR from O_DIRECTORY on a
// link or a file): the model changed under the walk.
static int changed_errno(int error) {
  return error == ELOOP || error == ENOTDIR ? MS_CHANGED : error;
}

// The directory `relative` (`length` bytes, no trailing slash; 0: the root itself), opened from the root.
static int open_directory(const ms_opener *opener, const char *relative, size_t length) {
  char root[PATH_MAX];
  if (opener->root_length >= sizeof root) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(root, opener->root, opener->root_length);
  root[opener->root_length] = '\0';
  // The root itself was resolved by the walk; below it nothing is followed.
  int fd = open_retrying(AT_FDCWD, opener->root_length ? root : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -1;
  char name[NAME_MAX + 1];
  size_t at = 0;
  while (at < length) {
    const char *slash = memchr(relative + at, '/', length - at);
    size_t end = slash ? (size_t)(slash - relative) : length;
    size_t name_length = end - at;
    if (name_length == 0 || name_length > NAME_MAX) {
      close(fd);
      errno = name_length ? ENAMETOOLONG : ENOENT;
      return -1;
    }
    memcpy(name, relative + at, name_length);
    name[name_length] = '\0';
    int next = open_retrying(fd, name, DIRECTORY_FLAGS);
    int error = errno;
    close(fd);
    if (next < 0) {
      errno = changed_errno(error);
      return -1;
    }
    fd = next;
    at = end + 1;
  }
  return fd;
}

static int open_below_root(ms_opener *opener, const char *relative) {
  const char *slash = strrchr(relative, '/');
  size_t length = slash ? (size_t)(slash - relative) : 0;
  const char *name = slash ? slash + 1 : relative;
  // Files come in the walk's order, so the next one is most often in the same directory as the last.
  if (opener->directory_fd < 0 || opener->directory_length != length ||
      memcmp(opener->directory, relative, length) != 0) {
    if (opener->directory_fd >= 0) close(opener->directory_fd);
    opener->directory_fd = -1;
    if (length + 1 > opener->directory_capacity) {
      char *grown = realloc(opener->directory, length + 1);
      if (!grown) {
        errno = ENOMEM;
        return -1;
      }
      opener->directory = grown;
      opener->directory_capacity = length + 1;
    }
    int fd = open_directory(opener, relative, length);
    if (fd < 0) return -1;
    memcpy(opener->directory, relative, length);
    opener->directory_length = length;
    opener->directory_fd = fd;
  }
  int fd = open_retrying(opener->directory_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) errno = changed_errno(errno);
  return fd;
}

static const char *below_root(const ms_opener *opener, const char *path) {
  if (!opener->root || strncmp(path, opener->root, opener->root_length) != 0 || path[opener->root_length] != '/')
    return NULL;
  return path[opener->root_length + 1] ? path + opener->root_length + 1 : NULL;
}

int ms_opener_open(ms_opener *opener, const char *path, const double *identity) {
  int checked = identity && !isnan(identity[0]);
  const char *relative = checked ? NULL : below_root(opener, path);
  if (relative) return open_below_root(opener, relative);
  int flags = O_RDONLY | O_CLOEXEC;
  if (opener->no_follow || checked) flags |= O_NOFOLLOW;
  int fd = open_retrying(AT_FDCWD, path, flags);
  if (fd < 0) {
    if (checked) errno = changed_errno(errno);
    return -1;
  }
  if (!checked) return fd;
  struct stat info;
  if (fstat(fd, &info) != 0) {
    int error = errno;
    close(fd);
    errno = error;
    return -1;
  }
  if ((double)info.st_dev != identity[0] || (double)info.st_ino != identity[1]) {
    close(fd);
    errno = MS_CHANGED;
    return -1;
  }
  return fd;
}
