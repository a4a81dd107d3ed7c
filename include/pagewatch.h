/* SPDX-License-Identifier: MIT */
/*
 * pagewatch: which pages of a range are present, swapped, file-backed, the
 * zero page, huge, and written since you last looked -- on every kernel.
 *
 * Every function returns 0 (or a count) on success and a negative errno on
 * failure; none sets errno as its way of reporting.  See pw_scan(3),
 * pw_space_open(3) and pagewatch(1).
 */
#ifndef PAGEWATCH_H
#define PAGEWATCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PAGEWATCH_VERSION_MAJOR 0
#define PAGEWATCH_VERSION_MINOR 1

/* ---- Page categories: the same bits as the kernel's PAGE_IS_* ---- */
#define PW_PAGE_WPALLOWED  (1ULL << 0)
#define PW_PAGE_WRITTEN    (1ULL << 1)
#define PW_PAGE_FILE       (1ULL << 2)
#define PW_PAGE_PRESENT    (1ULL << 3)
#define PW_PAGE_SWAPPED    (1ULL << 4)
#define PW_PAGE_PFNZERO    (1ULL << 5)
#define PW_PAGE_HUGE       (1ULL << 6)
#define PW_PAGE_SOFT_DIRTY (1ULL << 7)
#define PW_PAGE_GUARD      (1ULL << 8)
/* Every category bit pagewatch knows (the kernel's set from 6.16). */
#define PW_PAGE_ALL        ((1ULL << 9) - 1)

/* ---- Scan flags: the same bits as the kernel's PM_SCAN_* ---- */
#define PW_SCAN_WP_MATCHING   (1ULL << 0)
#define PW_SCAN_CHECK_WPASYNC (1ULL << 1)

/* Same layout as the kernel's struct page_region. */
struct pw_region {
	uint64_t start;       /* first byte */
	uint64_t end;         /* one past the last byte */
	uint64_t categories;  /* PW_PAGE_* bits, filtered by return_mask */
};

/* Same layout as the kernel's struct pm_scan_arg, field for field. */
struct pw_scan_arg {
	uint64_t size;        /* sizeof(struct pw_scan_arg) */
	uint64_t flags;       /* PW_SCAN_* */
	uint64_t start, end;  /* start page-aligned; end rounded up */
	uint64_t walk_end;    /* out: where the walk stopped */
	uint64_t vec;         /* (uintptr_t) array of struct pw_region, or 0 */
	uint64_t vec_len;
	uint64_t max_pages;   /* 0: no limit */
	uint64_t category_inverted;
	uint64_t category_mask;
	uint64_t category_anyof_mask;
	uint64_t return_mask;
};

/* ---- Address spaces and scanning ---- */
struct pw_space;                      /* one process's address space */
#define PW_SPACE_NATIVE   (1u << 0)   /* the kernel's PAGEMAP_SCAN only: -EOPNOTSUPP without it */
#define PW_SPACE_EMULATED (1u << 1)   /* the /proc/PID/pagemap emulation only */
/* flags 0: native where the kernel has it, else emulated.
 * The environment variable PAGEWATCH_SCAN=native|emulated overrides 0. */

int  pw_space_open(struct pw_space **out, pid_t pid, unsigned flags); /* pid 0: this process */
void pw_space_close(struct pw_space *space);
const char *pw_space_backend(const struct pw_space *space);  /* "native" or "emulated" */
uint64_t pw_space_categories(const struct pw_space *space);  /* categories it reports exactly */

/* The contract of ioctl(PAGEMAP_SCAN) (shared/docs/pagemap-scan-semantics.md,
 * S1-S36): same validation, matching, output, stopping and walk_end, on
 * either backend. Returns the number of regions written, or -errno.
 * The emulated backend returns -EOPNOTSUPP for PW_SCAN_WP_MATCHING and for
 * category bits it cannot report, and -EINVAL for bits the kernel defines
 * for no category.
 * In detail, on both backends: -EOPNOTSUPP means the kernel's own checks
 * (S2-S8) all pass but this backend cannot honour the argument
 * (PW_SCAN_WP_MATCHING on the emulated backend; PW_SCAN_CHECK_WPASYNC there
 * on a kernel that has WP_ASYNC; a category missing from
 * pw_space_categories(), such as GUARD on a 6.15 kernel's native backend);
 * any EINVAL or EFAULT the kernel would give comes first.
 * -ESRCH once the process's memory is gone (exited), as the kernel says. */
long pw_scan(struct pw_space *space, struct pw_scan_arg *arg);

/*
 * The whole walk in one call: scans [arg->start, arg->end) with arg's masks,
 * resuming at walk_end whenever the output fills (lesson 1 of the peers: a
 * full vec is not the end of the walk), and calls fn once per region in
 * ascending order.  arg->vec/vec_len, when set, are used as the buffer;
 * otherwise an internal one is.  arg->max_pages limits the whole walk.
 * A non-zero return from fn stops the walk and is returned (so return a
 * value that cannot be mistaken for a count or -errno, or keep your own
 * flag), and arg->walk_end is set to the end of that region.  Otherwise the
 * number of regions is returned, and arg->walk_end is set as by pw_scan.
 * With PW_SCAN_WP_MATCHING every region of a batch is re-protected before
 * fn sees it: stopping early drops the rest of that batch's report.
 */
typedef int (*pw_region_fn)(const struct pw_region *region, void *ctx);
long pw_scan_all(struct pw_space *space, struct pw_scan_arg *arg,
		 pw_region_fn fn, void *ctx);

/* One mapping of the space, as /proc/PID/maps shows it. */
struct pw_mapping {
	uint64_t start, end;  /* [start, end) */
	uint64_t offset;      /* file offset */
	uint64_t inode;
	unsigned int dev_major, dev_minor;
	char perms[5];        /* "rw-p" ... */
	const char *path;     /* "" for none; valid during the callback only */
};
typedef int (*pw_mapping_fn)(const struct pw_mapping *mapping, void *ctx);
/* Call fn for each mapping that intersects [start, end) (end 0: to the top),
 * in address order.  A non-zero return from fn stops and is returned. */
int pw_space_mappings(struct pw_space *space, uint64_t start, uint64_t end,
		      pw_mapping_fn fn, void *ctx);

/* The short lower-case name of one category bit ("written", "pfnzero" ...),
 * or NULL for anything that is not exactly one known bit. */
const char *pw_category_name(uint64_t category);
/* Parse a comma-separated list of category names into bits; -EINVAL names
 * the first unknown word by leaving *bad pointing at it (when bad is set). */
int pw_category_parse(const char *list, uint64_t *out, const char **bad);

/* ---- What this kernel offers ---- */
struct pw_probe {
	int pagemap_scan;          /* PAGEMAP_SCAN works on this kernel */
	uint64_t scan_categories;  /* the category bits the kernel's ioctl accepts */
	int uffd;                  /* a userfaultfd could be opened by this process */
	uint64_t uffd_features;    /* UFFD_FEATURE_* bits the kernel offers */
	int uffd_wp;               /* write-protect mode on private anonymous memory */
	int uffd_wp_unpopulated;   /* UFFD_FEATURE_WP_UNPOPULATED */
	int uffd_wp_async;         /* UFFD_FEATURE_WP_ASYNC */
	int uffd_sigbus;           /* UFFD_FEATURE_SIGBUS */
	int uffd_wp_hugetlbfs_shmem; /* UFFD_FEATURE_WP_HUGETLBFS_SHMEM */
	int soft_dirty;            /* verified: clear_refs 4 cleans, a write dirties */
	int pfn_visible;           /* pagemap shows PFNs to this process */
	int kpageflags;            /* /proc/kpageflags is readable */
	int guard_regions;         /* MADV_GUARD_INSTALL works */
	int guard_bit;             /* pagemap bit 58 shows guard pages */
	char thp_mode[16];         /* "always", "madvise", "never" or "" */
	long hugetlb_pages;        /* free default-size hugetlb pages, -1 unknown */
	long hugetlb_page_kb;      /* default hugetlb page size in KiB, 0 unknown */
	int auto_backend;          /* enum pw_backend that PW_BACKEND_AUTO picks */
	char kernel[65];           /* uname release */
};
/* Fill *out by probing each feature on its own, on throwaway objects; never
 * disturbs this process's own state.  size is sizeof(struct pw_probe). */
int pw_probe(struct pw_probe *out, size_t size);

/* ---- Write watches: which pages of a range were written ---- */
enum pw_backend {
	PW_BACKEND_AUTO = 0,    /* the best this kernel offers; env PAGEWATCH_BACKEND=<name> overrides */
	PW_BACKEND_UFFD_ASYNC,  /* "uffd-async": userfaultfd WP_ASYNC + PAGEMAP_SCAN, 6.7+ */
	PW_BACKEND_UFFD_SYNC,   /* "uffd-sync":  userfaultfd write-protect resolved by pagewatch, 5.7+ */
	PW_BACKEND_SOFT_DIRTY,  /* "soft-dirty": clear_refs + pagemap bit 55 */
	PW_BACKEND_MPROTECT,    /* "mprotect":   mprotect + SIGSEGV, any kernel */
};
struct pw_watch;
#define PW_WATCH_RESET 1u

/* Start tracking writes to [addr, addr + len): page-aligned, inside
 * readable and writable private anonymous, shared anonymous or memfd/shmem
 * mappings of this process. Every page starts clean. -EOPNOTSUPP when the
 * requested backend is not available here; -EINVAL for a bad range;
 * -EBUSY when the range overlaps another watch. */
int pw_watch_start(struct pw_watch **out, void *addr, size_t len, enum pw_backend backend);

/* GetWriteWatch: the pages written in [addr, addr + len) since the start or
 * the last reset covering them, ascending, at most *count of them, stored in
 * pages[]; *count is set to the number stored. With PW_WATCH_RESET the pages
 * returned, and only those, become clean, atomically with the report: a
 * write that races with the call is either returned now or by a later call,
 * never lost. addr and len are rounded outward to whole pages; the range
 * must lie inside the watch (-EINVAL otherwise); len 0, *count 0, NULL pages
 * or NULL count: -EINVAL. On error *count is unchanged, except that on
 * uffd-async and uffd-sync a PW_WATCH_RESET call that fails after cleaning
 * some pages returns those pages with 0 (*count set), and the next get or
 * reset on this watch returns the error. */
int pw_watch_get(struct pw_watch *w, void *addr, size_t len, unsigned flags,
		 void **pages, size_t *count);

/* ResetWriteWatch: every page of the range becomes clean. */
int pw_watch_reset(struct pw_watch *w, void *addr, size_t len);

enum pw_backend pw_watch_backend(const struct pw_watch *w);
const char *pw_backend_name(enum pw_backend backend); /* the quoted names above; "auto" for AUTO */
void pw_watch_stop(struct pw_watch *w);  /* the range is left readable and writable */

/* ---- Snapshots: put back only what changed ---- */
struct pw_snapshot;
/* Copy the watched range and reset its watch. */
int  pw_snapshot_take(struct pw_watch *w, struct pw_snapshot **out);
/* Copy back every page written since the snapshot or the last restore, and
 * reset those pages; pages not written are not touched. Returns the number
 * of pages restored, or -errno. */
long pw_snapshot_restore(struct pw_snapshot *snap);
void pw_snapshot_free(struct pw_snapshot *snap);

#ifdef __cplusplus
}
#endif

#endif /* PAGEWATCH_H */
