#define _GNU_SOURCE
#include "mapped_window.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

// Set while this thread reads a window: where a SIGBUS of that read resumes.
static _Thread_local sigjmp_buf *recovery;
static struct sigaction previous;
static pthread_once_t installed = PTHREAD_ONCE_INIT;
static int install_error;

static void on_bus_error(int signal, siginfo_t *info, void *context) {
  if (recovery) siglongjmp(*recovery, 1);
  // Not one of our reads: do what would have happened without this handler.
  if ((previous.sa_flags & SA_SIGINFO) && previous.sa_sigaction) {
    previous.sa_sigaction(signal, info, context);
  } else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
    previous.sa_handler(signal);
  } else {
    // Put the default back and return: the faulting access runs again and takes the default action.
    sigaction(SIGBUS, &previous, NULL);
  }
}

static void install(void) {
  struct sigaction action = {0};
  action.sa_sigaction = on_bus_error;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&action.sa_mask);
  if (sigaction(SIGBUS, &action, &previous) != 0) install_error = errno;
}

static int covers(int fd, uint64_t end) {
  struct stat info;
  if (fstat(fd, &info) != 0) return errno;
  return (uint64_t)info.st_size >= end ? 0 : ENODATA;
}

int ms_with_mapped_window(int fd, uint64_t offset, size_t len,
                          void (*use)(void *context, const uint8_t *data, size_t len), void *context) {
  pthread_once(&installed, install);
  if (install_error) return install_error;
  int error = covers(fd, offset + len);
  if (error) return error;
  if (len == 0) {
    use(context, (const uint8_t *)"", 0);
    return 0;
  }
  uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
  uint64_t start = offset - offset % page;
  size_t lead = (size_t)(offset - start);
  void *map = mmap(NULL, len + lead, PROT_READ, MAP_PRIVATE, fd, (off_t)start);
  if (map == MAP_FAILED) return errno;
  sigjmp_buf here;
  if (sigsetjmp(here, 1) == 0) {
    recovery = &here;
    use(context, (const uint8_t *)map + lead, len);
    recovery = NULL;
    // A file that shrank within the last page reads as zeros there rather than faulting.
    error = covers(fd, offset + len);
  } else {
    recovery = NULL;
    error = ENODATA;
  }
  munmap(map, len + lead);
  return error;
}
