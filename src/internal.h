/* SPDX-License-Identifier: MIT */
/* Shared internals of libpagewatch.  Nothing here is exported. */
#ifndef PW_INTERNAL_H
#define PW_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <pthread.h>
#include <signal.h>
#include <sys/types.h>

#include "pagewatch.h"
#include "kabi.h"

#define PW_PAGE_SIZE	4096ULL
#define PW_PAGE_SHIFT	12
#define PW_PMD_PAGES	512ULL
#define PW_PMD_SIZE	(PW_PMD_PAGES * PW_PAGE_SIZE)

#define PW_HIDDEN __attribute__((visibility("hidden")))

static inline uint64_t pw_align_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

static inline uint64_t pw_align_down(uint64_t x, uint64_t a)
{
	return x & ~(a - 1);
}

/* One scan backend: the kernel's ioctl or the pagemap emulation. */
struct pw_scan_ops {
	const char *name;
	int (*open)(struct pw_space *sp);
	long (*scan)(struct pw_space *sp, struct pw_scan_arg *arg);
	/* Optional: the whole walk streamed to fn (see pw_scan_all);
	 * *walk_end is set unless the argument was refused. */
	long (*walk)(struct pw_space *sp, struct pw_scan_arg *arg, pw_region_fn fn, void *ctx,
		     uint64_t *walk_end);
	void (*close)(struct pw_space *sp);
};

PW_HIDDEN extern const struct pw_scan_ops pw_scan_native_ops;
PW_HIDDEN extern const struct pw_scan_ops pw_scan_emulated_ops;

struct pw_emu;	/* emulation state, scan_emulated.c */

struct pw_space {
	const struct pw_scan_ops *ops;
	pid_t pid;		/* 0: this process */
	int proc_fd;		/* /proc/PID, pins the process we meant */
	int pagemap_fd;
	int maps_fd;		/* opened with pagemap: the same permission */
	pthread_mutex_t maps_lock;	/* one walk of maps_fd at a time */
	uint64_t categories;	/* what this backend reports exactly */
	struct pw_emu *emu;
};

/* One line of /proc/PID/maps. */
struct pw_vma {
	uint64_t start, end;
	uint64_t offset;
	uint64_t inode;
	unsigned int dev_major, dev_minor;
	char perms[5];
	char *path;		/* into the reader's buffer, NUL-terminated */
	size_t path_len;
};

/* maps.c: parse one line (without its newline); -EINVAL when malformed. */
PW_HIDDEN int pw_maps_parse_line(char *line, size_t len, struct pw_vma *vma);

/* maps.c: /proc/PID/maps read in order, a line at a time, from the start. */
struct pw_maps_reader {
	int fd;
	char *buf;
	size_t cap, len, pos;
	bool eof;
	uint64_t last_end;	/* mappings come strictly ascending */
};
/* Read a maps file fd the caller opened for this walk alone. */
PW_HIDDEN int pw_maps_begin(struct pw_maps_reader *mr, int fd);
/* Read all of a shared maps file at once (the caller holds the lock that
 * serializes its users), up to the first mapping at or above stop (0: all).
 * Parsing then needs no lock: pw_maps_next as usual. */
PW_HIDDEN int pw_maps_slurp(struct pw_maps_reader *mr, int fd, uint64_t stop);
/* 1 with *vma filled, 0 at the end, -errno. */
PW_HIDDEN int pw_maps_next(struct pw_maps_reader *mr, struct pw_vma *vma);
PW_HIDDEN void pw_maps_end(struct pw_maps_reader *mr);

/* space.c: S6-S8 of the kernel's validation (start, range, vec), which
 * come after size, flags and category bits: -EINVAL, -EFAULT or 0.
 * -EOPNOTSUPP ("the kernel would take it, this backend cannot") is only
 * ever answered once all of the kernel's own checks have passed. */
PW_HIDDEN int pw_scan_check_range(const struct pw_scan_arg *arg);

/* scan_native.c: the category bits the kernel's ioctl accepts on fd,
 * probed with zero-length scans; -errno when PAGEMAP_SCAN is missing. */
PW_HIDDEN int pw_native_categories(int pagemap_fd, uint64_t *out);

/* Facts about this kernel, probed once (privileges are asked per use). */
struct pw_sysinfo {
	bool pagemap_scan;	/* the ioctl exists */
	uint64_t scan_categories;
	bool guard_regions;	/* MADV_GUARD_INSTALL works */
	bool guard_bit;		/* pagemap bit 58 reports guard pages */
	uint64_t user_top;	/* the kernel's TASK_SIZE_MAX */
};
PW_HIDDEN const struct pw_sysinfo *pw_sysinfo(void);
/* Whether pagemap shows PFNs to this process right now; the zero page's. */
PW_HIDDEN bool pw_pfns_visible(uint64_t *zero_pfn);

/* Copy between this process's memory and a caller-supplied address the way
 * the kernel's copy_{from,to}_user would: a bad address is -EFAULT, never a
 * crash. */
PW_HIDDEN int pw_user_read(void *dst, uint64_t src, size_t len);
PW_HIDDEN int pw_user_write(uint64_t dst, const void *src, size_t len);

PW_HIDDEN int pw_env_choice(const char *var, const char *const *names, int n);

/* ---- write watches ---- */

/* One write-tracking mechanism.  Ranges given to it are page-aligned and
 * inside the watch; the generic checks are done once, in watch.c. */
struct pw_watch_ops {
	enum pw_backend id;
	/* Begin tracking [w->start, w->end): every page clean.  Sets w->priv. */
	int (*start)(struct pw_watch *w);
	/* Up to *count written pages of [start, end), ascending, into pages;
	 * *count set to the number stored.  With reset, exactly the pages
	 * stored become clean, atomically with the report. */
	int (*get)(struct pw_watch *w, uint64_t start, uint64_t end, bool reset,
		   void **pages, size_t *count);
	/* Every page of [start, end) becomes clean. */
	int (*reset)(struct pw_watch *w, uint64_t start, uint64_t end);
	/* Stop tracking; leave the range readable and writable. */
	void (*stop)(struct pw_watch *w);
};

PW_HIDDEN extern const struct pw_watch_ops pw_watch_uffd_async_ops;
PW_HIDDEN extern const struct pw_watch_ops pw_watch_uffd_sync_ops;
PW_HIDDEN extern const struct pw_watch_ops pw_watch_soft_dirty_ops;
PW_HIDDEN extern const struct pw_watch_ops pw_watch_mprotect_ops;

struct pw_watch {
	const struct pw_watch_ops *ops;
	uint64_t start, end;		/* page-aligned */
	void *priv;			/* the backend's state */
	struct pw_watch *next;		/* all watches of the process */
};

/* probe.c */
PW_HIDDEN bool pw_soft_dirty_works(void);
/* watch.c: whether the probe found what backend b needs. */
PW_HIDDEN bool pw_backend_available(enum pw_backend b, const struct pw_probe *p);
/* The probe of this process, done once. */
PW_HIDDEN const struct pw_probe *pw_probe_cached(void);

/* maps.c: the mappings of the process whose /proc directory is proc_fd
 * (-1: this one) that smaps says hold PMD-mapped huge pages, as ranges. */
PW_HIDDEN int pw_pmd_mapped_maps(int proc_fd, struct pw_region **out, size_t *n);

/* thp.c: split every PMD-mapped THP of [start, end) into 4 KiB entries,
 * keeping the data, and keep new ones from forming (MADV_NOHUGEPAGE). */
PW_HIDDEN int pw_thp_split(uint64_t start, uint64_t end);

/* stop_world.c: park every other thread of the process in a handler of
 * PW_STOP_SIGNAL, and let them go.  Between the two the caller must not
 * allocate or take locks.  -EAGAIN when some thread cannot be stopped. */
#define PW_STOP_SIGNAL (SIGRTMAX - 3)
PW_HIDDEN int pw_world_stop(void);
PW_HIDDEN void pw_world_resume(void);
/* Called by a thread of pagewatch's own (it must block PW_STOP_SIGNAL):
 * never park it.  -ENOSPC when too many are registered. */
PW_HIDDEN int pw_world_exempt_self(void);
PW_HIDDEN void pw_world_unexempt_self(void);
/* How many of those are threads of this process now. */
PW_HIDDEN int pw_world_own_threads(void);

/* watch.c: every page of [start, end) lies in mappings a watch may cover
 * (readable, writable, anonymous or shmem); -EINVAL otherwise. */
PW_HIDDEN int pw_watch_range_ok(uint64_t start, uint64_t end);


/* ---- uffd.c: userfaultfd mechanics shared by the two uffd backends ---- */

/* The part of a watched range that lies in one mapping. */
struct pw_useg {
	uint64_t start, end;
	bool anon;		/* private anonymous; else shmem-backed */
	bool readable;
};

/* [start, end) cut at the mapping boundaries /proc/self/maps shows now,
 * into a malloc'ed array; -EINVAL when part of it is not mapped. */
PW_HIDDEN int pw_useg_collect(uint64_t start, uint64_t end,
			      struct pw_useg **segs, size_t *n);
/* Some piece is shmem-backed (shared anonymous, memfd, SysV ...). */
PW_HIDDEN bool pw_useg_shmem(const struct pw_useg *segs, size_t n);

/* A list of pieces in a mapping of its own, never in malloc's heap: it is
 * read under uffd-sync's lock, where nothing may allocate or read
 * /proc/self/maps (the heap may be watched, and a write fault there waits
 * for the handler, which waits for the lock). */
struct pw_usegs {
	struct pw_useg *v;
	size_t n;
	size_t bytes;		/* of the mapping; 0 for none */
};
/* A copy of segs[0..n) into *out. */
PW_HIDDEN int pw_usegs_set(struct pw_usegs *out, const struct pw_useg *segs, size_t n);
/* The pieces of [start, end) as /proc/self/maps shows them now, parts not
 * mapped left out.  Allocates and reads: never under such a lock. */
PW_HIDDEN int pw_usegs_read(struct pw_usegs *out, uint64_t start, uint64_t end);
PW_HIDDEN void pw_usegs_free(struct pw_usegs *s);

/* uffd.c: a userfaultfd for faults in user mode only where the kernel
 * knows that flag (5.11+); /dev/userfaultfd where the syscall is refused. */
PW_HIDDEN int pw_uffd_open(void);
/* A userfaultfd that also takes faults raised inside system calls (no
 * UFFD_USER_MODE_ONLY), so that a read() into watched memory waits for
 * the handler instead of failing with EFAULT; -errno when this process
 * may not have one. */
PW_HIDDEN int pw_uffd_open_kernel(void);
/* UFFDIO_API asking for exactly these features: -errno when refused. */
PW_HIDDEN int pw_uffd_handshake(int fd, uint64_t features);
/* UFFDIO_REGISTER_MODE_WP, one mapping piece at a time (some kernels
 * refuse a range across mappings); undone on failure. */
PW_HIDDEN int pw_uffd_register(int fd, const struct pw_useg *segs, size_t n);
/* UFFDIO_UNREGISTER of [start, end), cut at mappings when refused whole. */
PW_HIDDEN int pw_uffd_unregister(int fd, uint64_t start, uint64_t end);
/* UFFDIO_WRITEPROTECT of [start, end): protect, or resolve (which wakes
 * the threads waiting on it); cut at the pieces of segs when refused whole
 * (without segs, or for one page, that ENOENT is returned).  Allocates
 * nothing and writes no memory but the stack: safe under uffd-sync's lock
 * (the pieces may be out of date; an error may then be cured by reading
 * them again). */
PW_HIDDEN int pw_uffd_wp(int fd, uint64_t start, uint64_t end, bool protect,
			 const struct pw_usegs *segs);
/* UFFDIO_WAKE: every thread waiting on a fault in [start, end) retries. */
PW_HIDDEN int pw_uffd_wake(int fd, uint64_t start, uint64_t end);
/* THP off for the range, and every PMD-mapped THP in it split to 4 KiB
 * entries without touching its data.  fd must have the range registered
 * for write-protect (the split is a write-protect of one of its pages). */
PW_HIDDEN int pw_uffd_split_thp(int fd, uint64_t start, uint64_t end);
/* Give every never-touched page of [start, end) an entry by reading it
 * (anonymous memory maps the zero page), so that write-protect has an
 * entry to mark: only the private anonymous pieces of segs when anon_only.
 * Parts in no piece are skipped; -ENOMEM when a piece is not (wholly)
 * mapped any more.  Safe under uffd-sync's lock, like pw_uffd_wp. */
PW_HIDDEN int pw_uffd_populate(uint64_t start, uint64_t end, bool anon_only,
			       const struct pw_usegs *segs);

#endif /* PW_INTERNAL_H */
