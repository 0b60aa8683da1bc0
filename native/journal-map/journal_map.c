/*
 * The journal's memory map of a segment file (src/journal/journal-map.ts loads it): a
 * MAP_SHARED mapping of a preallocated file, so a turn's journal bytes reach the page cache by
 * a memcpy, with no system call on the caller's path (docs/architecture.md, "The mapped
 * journal"). The mapping is never handed to JavaScript as a Buffer: bytes are copied in
 * through copy(), so unmap() is explicit and safe — no view can outlive the mapping.
 *
 *   allocate(fd, bytes)        posix_fallocate: every block of the segment exists before it is
 *                              mapped (a write to a page the filesystem cannot back is a
 *                              SIGBUS; preallocated, ENOSPC is an ordinary error here instead)
 *   map(fd, bytes) -> handle   mmap(PROT_READ|PROT_WRITE, MAP_SHARED)
 *   populate(handle, from, to) the pages of [from, to) made present and writable now, so
 *                              the copies into them take no page fault: MADV_POPULATE_WRITE
 *                              (the kernel's part, in one call; a page that cannot be backed
 *                              is an EFAULT here), then each page touched from here (its
 *                              byte written back unchanged): a hypervisor that shadows the
 *                              guest's page tables maps a page on its first touch from user
 *                              space, 15-40 us a page on this project's VM — paid here, off
 *                              the caller's turn, not by the copy
 *   copy(handle, at, bytes)    bytes stored into the mapping at `at`, forward (a RangeError
 *                              past its end): a copy cut short by a kill is a prefix
 *   unmap(handle)              munmap, once; copy() after it throws
 *
 * Errors from the system are Errors with `code` (ENOSPC, ...), `errno` and `syscall`, like
 * Node's own.
 *
 * A page that cannot be backed after all (the filesystem turned read-only after an error, an
 * I/O error reading the page in) makes a copy fault with SIGBUS, which would end the process.
 * While copy() or populate()'s fallback touches the mapping, a SIGBUS at an address inside
 * it is caught and becomes an EIO error ("syscall": "copy"); any other SIGBUS (a fault
 * elsewhere, or one sent by kill) goes where it would have gone (see on_sigbus).
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <node_api.h>
#include <uv.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

typedef struct {
  uint8_t *addr;
  size_t len;
} Mapping;

#define CHECK(call)                                                                                  \
  do {                                                                                               \
    if ((call) != napi_ok) {                                                                         \
      napi_throw_error(env, "PROVQ_JOURNAL_MAP", "journal map: a Node-API call failed: " #call);    \
      return NULL;                                                                                   \
    }                                                                                                \
  } while (0)

static napi_value throw_errno(napi_env env, int err, const char *syscall) {
  const char *name = uv_err_name(-err);
  char message[256];
  napi_value msg, code, error, num, sys;
  snprintf(message, sizeof message, "%s: %s, %s", name, strerror(err), syscall);
  if (napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg) != napi_ok) return NULL;
  if (napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code) != napi_ok) return NULL;
  if (napi_create_error(env, code, msg, &error) != napi_ok) return NULL;
  if (napi_create_int32(env, -err, &num) == napi_ok) napi_set_named_property(env, error, "errno", num);
  if (napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sys) == napi_ok) napi_set_named_property(env, error, "syscall", sys);
  napi_set_named_property(env, error, "code", code);
  napi_throw(env, error);
  return NULL;
}

/*
 * The mapping range a copy is touching now (this thread only: the event loop's). Volatile,
 * with signal fences around the copy: the compiler must not drop the stores as dead (memcpy
 * does not read them; the signal handler does).
 */
/*
 * initial-exec: the handler may run on any thread (a SIGBUS in lmdb's or libuv's threads, or
 * sent by kill), and reading a general-dynamic thread-local there may call malloc through
 * __tls_get_addr, which a signal handler must not.
 */
#define GUARD_TLS __thread __attribute__((tls_model("initial-exec")))
static GUARD_TLS sigjmp_buf *volatile guard_jump;
static GUARD_TLS uint8_t *volatile guard_lo;
static GUARD_TLS uint8_t *volatile guard_hi;
static struct sigaction previous_sigbus;

/*
 * A SIGBUS not of ours goes where it would have gone without this handler, which stays
 * installed (so a later fault in a copy is still caught): to the handler there before, or,
 * if that was the default, the default's end of the process — for a fault by restoring it
 * and letting the instruction fault again, for a signal sent by kill() (si_code <= 0: it
 * would not come again) by raising it once more. Ignored before: a sent one stays ignored.
 */
static void on_sigbus(int sig, siginfo_t *info, void *context) {
  uint8_t *at = (uint8_t *)info->si_addr;
  if (info->si_code > 0 && guard_jump && at >= guard_lo && at < guard_hi) siglongjmp(*guard_jump, 1);
  if (previous_sigbus.sa_flags & SA_SIGINFO) {
    if (previous_sigbus.sa_sigaction) previous_sigbus.sa_sigaction(sig, info, context);
    return;
  }
  if (previous_sigbus.sa_handler == SIG_IGN && info->si_code <= 0) return;
  if (previous_sigbus.sa_handler != SIG_DFL && previous_sigbus.sa_handler != SIG_IGN) {
    previous_sigbus.sa_handler(sig);
    return;
  }
  signal(SIGBUS, SIG_DFL);
  if (info->si_code <= 0) raise(SIGBUS);
}

static void guard_install(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_sigbus;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER; /* NODEFER: a jump out leaves the signal mask as it was */
  sigemptyset(&sa.sa_mask);
  sigaction(SIGBUS, &sa, &previous_sigbus);
}

/*
 * Copies forward, one store after another in address order, so whenever the process dies
 * what is in the mapping is a prefix of the bytes: a torn copy is a line cut short, then
 * zeros, which readers drop as the torn last line. memcpy is not: for a kilobyte glibc
 * stores the unaligned head last, and a kill -9 between its stores left a turn's first 28
 * bytes zero with the rest written — a NUL with data after it, which readers quarantine
 * (with the acknowledged lines before it). Volatile stores: the compiler must not turn this
 * back into a memcpy call or reorder it. (Stores retire in program order; a killed process
 * loses only the ones not retired.)
 */
static void forward_copy(uint8_t *dst, const uint8_t *src, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t v;
    memcpy(&v, src + i, 8);
    *(volatile uint64_t *)(dst + i) = v;
  }
  for (; i < n; i++) *(volatile uint8_t *)(dst + i) = src[i];
}

/* The copy into the mapping; 0, or -1 when a page could not be backed (SIGBUS). */
static int guarded_copy(uint8_t *dst, const void *src, size_t n) {
  sigjmp_buf jump;
  if (sigsetjmp(jump, 0) != 0) {
    guard_jump = NULL;
    return -1;
  }
  guard_lo = dst;
  guard_hi = dst + n;
  guard_jump = &jump;
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
  forward_copy(dst, (const uint8_t *)src, n);
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
  guard_jump = NULL;
  return 0;
}

/* Each page of [lo, hi) written with its own byte (made present and dirty); -1 on SIGBUS. */
static int guarded_touch(uint8_t *lo, uint8_t *hi, size_t page) {
  sigjmp_buf jump;
  if (sigsetjmp(jump, 0) != 0) {
    guard_jump = NULL;
    return -1;
  }
  guard_lo = lo;
  guard_hi = hi;
  guard_jump = &jump;
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
  for (volatile uint8_t *p = lo; p < hi; p += page) *p = *p;
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
  guard_jump = NULL;
  return 0;
}

static int64_t int_arg(napi_env env, napi_value v, int *ok) {
  int64_t n = 0;
  if (napi_get_value_int64(env, v, &n) != napi_ok || n < 0) *ok = 0;
  return n;
}

/* Marks this module's handles: another addon's external is never taken for a mapping. */
static const napi_type_tag MAPPING_TAG = {0x7072766a6d617031ULL, 0x9c1e5b2f4d3a8e17ULL};

static Mapping *mapping_arg(napi_env env, napi_value v) {
  void *data = NULL;
  bool tagged = false;
  if (napi_check_object_type_tag(env, v, &MAPPING_TAG, &tagged) != napi_ok || !tagged) return NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok) return NULL;
  return (Mapping *)data;
}

static void finalize_mapping(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  Mapping *m = (Mapping *)data;
  if (m->addr) munmap(m->addr, m->len); /* a handle dropped without unmap(): not leaked */
  free(m);
}

static napi_value allocate(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int ok = 1;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int64_t fd = int_arg(env, argv[0], &ok), bytes = int_arg(env, argv[1], &ok);
  if (!ok || argc < 2) return napi_throw_type_error(env, NULL, "allocate(fd, bytes): two non-negative integers"), NULL;
  int err;
  do err = posix_fallocate((int)fd, 0, (off_t)bytes);
  while (err == EINTR);
  if (err != 0) return throw_errno(env, err, "posix_fallocate");
  return NULL;
}

static napi_value map(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], handle;
  int ok = 1;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int64_t fd = int_arg(env, argv[0], &ok), bytes = int_arg(env, argv[1], &ok);
  if (!ok || argc < 2 || bytes == 0) return napi_throw_type_error(env, NULL, "map(fd, bytes): an fd and a positive length"), NULL;
  void *addr = mmap(NULL, (size_t)bytes, PROT_READ | PROT_WRITE, MAP_SHARED, (int)fd, 0);
  if (addr == MAP_FAILED) return throw_errno(env, errno, "mmap");
  Mapping *m = malloc(sizeof *m);
  if (!m) {
    munmap(addr, (size_t)bytes);
    return throw_errno(env, ENOMEM, "malloc");
  }
  m->addr = addr;
  m->len = (size_t)bytes;
  if (napi_create_external(env, m, finalize_mapping, NULL, &handle) != napi_ok || napi_type_tag_object(env, handle, &MAPPING_TAG) != napi_ok) {
    munmap(addr, (size_t)bytes);
    free(m);
    napi_throw_error(env, "PROVQ_JOURNAL_MAP", "journal map: napi_create_external failed");
    return NULL;
  }
  return handle;
}

static napi_value populate(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int ok = 1;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Mapping *m = argc >= 3 ? mapping_arg(env, argv[0]) : NULL;
  int64_t from = int_arg(env, argv[1], &ok), to = int_arg(env, argv[2], &ok);
  if (!m || !ok || from > to) return napi_throw_type_error(env, NULL, "populate(handle, from, to)"), NULL;
  if (!m->addr) return napi_throw_error(env, "PROVQ_JOURNAL_MAP", "journal map: populate() after unmap()"), NULL;
  if ((size_t)to > m->len) return napi_throw_range_error(env, NULL, "populate(): past the end of the mapping"), NULL;
  long page = sysconf(_SC_PAGESIZE);
  size_t start = (size_t)from - (size_t)from % (size_t)page;
  if ((size_t)to <= start) return NULL;
  /* EINVAL: a kernel before 5.14; the touch below does the kernel's part too, a fault a page. */
  if (madvise(m->addr + start, (size_t)to - start, MADV_POPULATE_WRITE) != 0 && errno != EINVAL) {
    return throw_errno(env, errno, "madvise(MADV_POPULATE_WRITE)");
  }
  if (guarded_touch(m->addr + start, m->addr + to, (size_t)page) != 0) return throw_errno(env, EIO, "populate");
  return NULL;
}

static napi_value copy(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int ok = 1;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Mapping *m = argc >= 3 ? mapping_arg(env, argv[0]) : NULL;
  int64_t at = int_arg(env, argv[1], &ok);
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  if (!m || !ok || napi_get_typedarray_info(env, argv[2], &type, &length, &data, NULL, NULL) != napi_ok || type != napi_uint8_array) {
    return napi_throw_type_error(env, NULL, "copy(handle, at, bytes: Uint8Array)"), NULL;
  }
  if (!m->addr) return napi_throw_error(env, "PROVQ_JOURNAL_MAP", "journal map: copy() after unmap()"), NULL;
  if ((size_t)at > m->len || length > m->len - (size_t)at) return napi_throw_range_error(env, NULL, "copy(): past the end of the mapping"), NULL;
  if (length > 0 && guarded_copy(m->addr + at, data, length) != 0) return throw_errno(env, EIO, "copy");
  return NULL;
}

static napi_value unmap(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Mapping *m = argc >= 1 ? mapping_arg(env, argv[0]) : NULL;
  if (!m) return napi_throw_type_error(env, NULL, "unmap(handle)"), NULL;
  if (!m->addr) return NULL;
  if (munmap(m->addr, m->len) != 0) return throw_errno(env, errno, "munmap");
  m->addr = NULL;
  m->len = 0;
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  static pthread_once_t guarded = PTHREAD_ONCE_INIT; /* once per process, also with worker threads */
  pthread_once(&guarded, guard_install);
  napi_property_descriptor props[] = {
      {"allocate", NULL, allocate, NULL, NULL, NULL, napi_enumerable, NULL},
      {"map", NULL, map, NULL, NULL, NULL, napi_enumerable, NULL},
      {"populate", NULL, populate, NULL, NULL, NULL, napi_enumerable, NULL},
      {"copy", NULL, copy, NULL, NULL, NULL, napi_enumerable, NULL},
      {"unmap", NULL, unmap, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE_INIT() { return init(env, exports); }
