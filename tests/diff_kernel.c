/* SPDX-License-Identifier: MIT */
/*
 * diff_kernel: the emulated backend against the kernel, query by query.
 *
 * One big PROT_NONE reservation, 2 MiB aligned, holds a layout of every kind
 * of memory the scan tells apart (build_layout() lists them): anonymous
 * pages written, only read, untouched and dropped; THPs and the huge zero
 * page; a file mapped shared and privately; shared anonymous memory; guard
 * pages; a uffd-wp async range; PROT_NONE and read-only mappings; a sparse
 * 4 GiB reservation; unmapped gaps between them all.  Thousands of random
 * PAGEMAP_SCAN queries over it go three ways -- the raw ioctl, pw_scan() on
 * the native backend, pw_scan() on the emulated backend -- and the answers
 * must be the same: the return value; when the call succeeded walk_end, the
 * regions written and the garbage after them left alone; and no other field
 * of the argument written back (S25).  The emulated backend must answer
 * exactly -EOPNOTSUPP where it cannot report a category or a flag (on a
 * kernel with PAGEMAP_SCAN: WPALLOWED, WP_MATCHING, CHECK_WPASYNC), at the
 * point of the validation order where the kernel checks flags and
 * categories (emu_expect()).  Then the same again on a stopped child
 * process, through /proc/PID.
 *
 * Exclusion -- "ghost" page tables, the one case the 2 MiB rule cannot
 * see.  The emulation decides S18 so: an empty pagemap entry is WRITTEN when
 * its 2 MiB page-table block holds any non-empty entry.  But a page table
 * can outlive all of its entries: MADV_DONTNEED of less than a whole 2 MiB
 * block, or a munmap() that leaves another mapping in the block, keeps the
 * table (CONFIG_PT_RECLAIM frees it only when a zap covers the whole
 * block).  The kernel then calls every empty entry of the block WRITTEN,
 * and the classic pagemap shows nothing that tells this block from one
 * without a table.  The layout builds such blocks on purpose, last in the
 * window where few queries reach (candidates); after building, a candidate
 * is a confirmed ghost only when its 512 pagemap entries are all empty and
 * the kernel's fast path still finds WRITTEN pages in it.  Every query is
 * still compared; a difference between emulated and kernel is forgiven only
 * when the query's range touches a confirmed ghost block, WRITTEN is in its
 * category_mask, anyof or return_mask, and both answers agree on everything
 * before that block (ghost_explains()).  Raw and native are always compared
 * in full.  PW_DIFF_STRICT=1 forgives nothing.  The documented S18 case (a
 * uffd-wp-registered mapping without page tables) does not occur: the uffd
 * range is write-protected whole with WP_UNPOPULATED, which installs
 * markers, and so page tables, everywhere in it.
 *
 * Environment: PW_DIFF_SEED (default 0x5eed2025, printed), PW_DIFF_QUERIES
 * (queries on this process; the child gets half), PW_DIFF_STRICT=1;
 * to replay one mismatch, PW_DIFF_FROM=N (generate every query, run them
 * from number N on) and PW_DIFF_VERBOSE=1 (print all regions of each).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"
#include "kabi.h"

#define BLOCK_PAGES	512ULL
#define BLOCK		(BLOCK_PAGES * PAGE)
#define SPARSE_PAGES	(1ULL << 20)		/* 4 GiB */
#define DENSE_MAX	(32 * BLOCK_PAGES)
#define TAIL_PAGES	BLOCK_PAGES
#define UFFD_PAGES	1400ULL
#define UFFD_STRIPES	600ULL		/* from here on: written, protected, ... */
#define STRIPE_PAGES	2600ULL
#define VEC_CAP		4096
#define MAX_POI		512
#define MAX_GHOST	8
#define MAX_PRINTED	20
#define DEFAULT_SEED	0x5eed2025ULL
#define DEFAULT_QUERIES	20000ULL

#define ULL(x)		((unsigned long long)(x))

/* The top of user space, TASK_SIZE_MAX: 0x7ffffffff000 with 4-level paging
 * (an mmap hint above 128 TiB is honoured only with 5 levels). */
static uint64_t user_top = 0x7ffffffff000ULL;

static void probe_user_top(void)
{
	void *p = mmap((void *)(uintptr_t)(1ULL << 48), PAGE, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return;
	if ((uintptr_t)p >= (1ULL << 47))
		user_top = (1ULL << 56) - PAGE;
	munmap(p, PAGE);
}

static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *s = getenv(name);
	char *end;
	uint64_t v;

	if (!s || !*s)
		return def;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end) {
		fprintf(stderr, "%s=%s: not a number\n", name, s);
		exit(1);
	}
	return v;
}

/* ---- random numbers (splitmix64) ---- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static bool chance(unsigned int pct)
{
	return below(100) < pct;
}

/* A number in [1, max], log-uniformly distributed. */
static uint64_t log_uniform(uint64_t max)
{
	unsigned int bits = 64 - (unsigned int)__builtin_clzll(max);
	uint64_t span = 1ULL << below(bits);
	uint64_t v = span + below(span);

	return v > max ? max : v;
}

/* One random bit of set, 0 for an empty set. */
static uint64_t one_bit(uint64_t set)
{
	int n = __builtin_popcountll(set), k;

	if (!n)
		return 0;
	for (k = (int)below((uint64_t)n); k; k--)
		set &= set - 1;
	return set & -set;
}

static uint64_t subset(uint64_t set, unsigned int pct)
{
	uint64_t out = 0, bit;

	for (bit = 1; bit && bit <= set; bit <<= 1)
		if ((set & bit) && chance(pct))
			out |= bit;
	return out;
}

/* ---- the layout ---- */

/* Sent from the child to the parent through a pipe as it is. */
struct layout {
	int err;			/* building failed: -errno */
	char failed[64];		/* ... at this step */
	uint64_t base, size;		/* the window, 2 MiB aligned */
	uint64_t dense_pages;		/* the pieces before the sparse part */
	uint64_t uffd_off, uffd_len;	/* bytes; len 0: no uffd range */
	uint64_t stripe_page;		/* the striped piece */
	int guard;			/* guard pages were installed */
	int uffd;			/* 0 none, 1 protected by PAGEMAP_SCAN, 2 by UFFDIO_WRITEPROTECT */
	char uffd_note[64];
	unsigned int npoi;
	uint64_t poi[MAX_POI];		/* pages worth aiming at: piece edges, lone pages */
	unsigned int ncand;
	uint64_t cand[MAX_GHOST];	/* blocks that may keep a page table of empty entries */
};

struct builder {
	struct layout *L;
	uint64_t cur;			/* pages from the window's start */
	int pagemap_fd;			/* this process's own (opened after fork) */
};

static int uffd_fd = -1;		/* kept open: the registration lives with it */

static char *at(const struct layout *L, uint64_t page)
{
	return (char *)(uintptr_t)(L->base + page * PAGE);
}

static void add_poi(struct layout *L, uint64_t page)
{
	if (L->npoi < MAX_POI)
		L->poi[L->npoi++] = page;
}

static int fail_at(struct layout *L, const char *step, int err)
{
	snprintf(L->failed, sizeof(L->failed), "%s", step);
	L->err = err ? err : -EINVAL;
	return L->err;
}

static int map_piece(struct builder *b, uint64_t pages, int prot, int flags, int fd,
		     off_t off, char **out)
{
	void *p = mmap(at(b->L, b->cur), pages * PAGE, prot, flags | MAP_FIXED, fd, off);

	if (p == MAP_FAILED)
		return -errno;
	add_poi(b->L, b->cur);
	b->cur += pages;
	add_poi(b->L, b->cur);
	*out = p;
	return 0;
}

/* Private anonymous memory, kept away from THP and khugepaged. */
static int anon_piece(struct builder *b, uint64_t pages, int prot, char **out)
{
	int r = map_piece(b, pages, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			  -1, 0, out);

	if (!r && madvise(*out, pages * PAGE, MADV_NOHUGEPAGE))
		r = -errno;
	return r;
}

/* An unmapped gap, made before anything near it is touched. */
static int gap(struct builder *b, uint64_t pages)
{
	if (munmap(at(b->L, b->cur), pages * PAGE))
		return -errno;
	add_poi(b->L, b->cur);
	b->cur += pages;
	add_poi(b->L, b->cur);
	return 0;
}

/* Leave the reservation itself (PROT_NONE, never touched) in place. */
static void keep(struct builder *b, uint64_t pages)
{
	b->cur += pages;
	add_poi(b->L, b->cur);
}

static void keep_to_block(struct builder *b)
{
	keep(b, (BLOCK_PAGES - b->cur % BLOCK_PAGES) % BLOCK_PAGES);
}

enum pg { PG_NONE, PG_READ, PG_WRITE, PG_DROP };

static void touch(char *p, enum pg s)
{
	volatile char *v = p;

	switch (s) {
	case PG_READ:
		(void)*v;
		break;
	case PG_WRITE:
		*v = 1;
		break;
	case PG_DROP:
		*v = 1;
		madvise(p, PAGE, MADV_DONTNEED);
		break;
	default:
		break;
	}
}

/*
 * Touch [p, p + pages) in runs: w% written, r% only read, d% written and
 * dropped with MADV_DONTNEED, the rest untouched.  The first page of the
 * piece in each 2 MiB block is always written and kept (only read when the
 * piece cannot be written), so no block ends up with a page table of empty
 * entries by chance: those are built on purpose elsewhere (ghosts).
 */
static void pattern(char *p, uint64_t pages, unsigned int w, unsigned int r,
		    unsigned int d, bool writable)
{
	uint64_t i = 0;

	while (i < pages) {
		unsigned int u = (unsigned int)below(100);
		enum pg s = u < w ? PG_WRITE : u < w + r ? PG_READ :
			    u < w + r + d ? PG_DROP : PG_NONE;
		uint64_t n = chance(80) ? 1 + below(12) : 1 + below(150);

		for (; n && i < pages; n--, i++) {
			enum pg t = s;

			if (i == 0 || !(((uintptr_t)p + i * PAGE) % BLOCK))
				t = writable ? PG_WRITE : PG_READ;
			touch(p + i * PAGE, t);
		}
	}
}

static int open_uffd(char *note, size_t nlen)
{
	struct pw_uffdio_api api;
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | PW_UFFD_USER_MODE_ONLY);

	if (fd < 0 && errno == EINVAL)	/* before 5.11 */
		fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		int dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);

		if (dev >= 0) {
			fd = ioctl(dev, PW_DEV_USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
			close(dev);
		}
	}
	if (fd < 0) {
		snprintf(note, nlen, "no userfaultfd: %s", strerror(errno));
		return -1;
	}
	memset(&api, 0, sizeof(api));
	api.api = PW_UFFD_API;
	api.features = PW_UFFD_FEATURE_WP_ASYNC | PW_UFFD_FEATURE_WP_UNPOPULATED;
	if (ioctl(fd, PW_UFFDIO_API, &api)) {
		snprintf(note, nlen, "no WP_ASYNC|WP_UNPOPULATED: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Write-protect [p, p + pages): the kernel's get-and-protect with vec_len 0
 * (S33), or UFFDIO_WRITEPROTECT.  1 and 2 say which worked, 0 neither. */
static int protect(struct builder *b, char *p, uint64_t pages)
{
	struct pw_uffdio_writeprotect wp;
	struct pw_scan_arg a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = PW_SCAN_WP_MATCHING | PW_SCAN_CHECK_WPASYNC;
	a.start = (uintptr_t)p;
	a.end = (uintptr_t)p + pages * PAGE;
	a.category_mask = a.return_mask = PW_PAGE_WRITTEN;
	if (ioctl(b->pagemap_fd, PW_PAGEMAP_SCAN, &a) == 0)
		return 1;
	memset(&wp, 0, sizeof(wp));
	wp.range.start = (uintptr_t)p;
	wp.range.len = pages * PAGE;
	wp.mode = PW_UFFDIO_WRITEPROTECT_MODE_WP;
	return ioctl(uffd_fd, PW_UFFDIO_WRITEPROTECT, &wp) == 0 ? 2 : 0;
}

/* A uffd-wp async range: registered, protected whole, written here and
 * there, part of it protected again, then written, read and dropped. */
static int build_uffd(struct builder *b)
{
	struct layout *L = b->L;
	struct pw_uffdio_register reg;
	uint64_t i;
	char *p;
	int r;

	r = anon_piece(b, UFFD_PAGES, PROT_READ | PROT_WRITE, &p);
	if (r)
		return fail_at(L, "uffd mmap", r);
	uffd_fd = open_uffd(L->uffd_note, sizeof(L->uffd_note));
	if (uffd_fd < 0) {
		pattern(p, UFFD_PAGES, 30, 20, 5, true);
		return 0;
	}
	memset(&reg, 0, sizeof(reg));
	reg.range.start = (uintptr_t)p;
	reg.range.len = UFFD_PAGES * PAGE;
	reg.mode = PW_UFFDIO_REGISTER_MODE_WP;
	if (ioctl(uffd_fd, PW_UFFDIO_REGISTER, &reg)) {
		snprintf(L->uffd_note, sizeof(L->uffd_note), "UFFDIO_REGISTER: %s",
			 strerror(errno));
		pattern(p, UFFD_PAGES, 30, 20, 5, true);
		return 0;
	}
	L->uffd = protect(b, p, UFFD_PAGES);
	if (!L->uffd)
		/* Registered but never protected: that is the documented
		 * S18 case, which this test does not build. */
		return fail_at(L, "uffd protect", -errno);
	snprintf(L->uffd_note, sizeof(L->uffd_note), "protected by %s",
		 L->uffd == 1 ? "PAGEMAP_SCAN" : "UFFDIO_WRITEPROTECT");
	L->uffd_off = (uintptr_t)p - L->base;
	L->uffd_len = UFFD_PAGES * PAGE;
	for (i = 0; i < UFFD_STRIPES; i++)
		touch(p + i * PAGE, chance(30) ? PG_WRITE : chance(15) ? PG_READ : PG_NONE);
	/* Hundreds of regions even for the S31 fast path. */
	for (; i < UFFD_PAGES; i += 2)
		touch(p + i * PAGE, PG_WRITE);
	if (protect(b, p + 100 * PAGE, 300) != L->uffd)
		return fail_at(L, "uffd protect again", -errno);
	add_poi(L, b->cur - UFFD_PAGES + 100);
	add_poi(L, b->cur - UFFD_PAGES + 400);
	add_poi(L, b->cur - UFFD_PAGES + UFFD_STRIPES);
	for (i = 0; i < UFFD_STRIPES; i++) {
		unsigned int u = (unsigned int)below(100);

		touch(p + i * PAGE, u < 15 ? PG_WRITE : u < 30 ? PG_READ :
				    u < 35 ? PG_DROP : PG_NONE);
	}
	return 0;
}

static int build_file(struct builder *b)
{
	char path[] = "/tmp/pw_diff_XXXXXX", buf[PAGE];
	uint64_t i;
	char *p;
	int fd = mkstemp(path), r = 0;

	if (fd < 0)
		return fail_at(b->L, "mkstemp", -errno);
	for (i = 0; i < 96 && !r; i++) {
		memset(buf, (int)(i + 1), sizeof(buf));
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			r = fail_at(b->L, "write file", -EIO);
	}
	/* Shared, 4 pages past the end of the file (never touched). */
	if (!r)
		r = map_piece(b, 100, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0, &p);
	if (!r)
		pattern(p, 96, 25, 35, 0, true);
	if (!r)
		keep(b, 2);
	/* Private, from page 8 of the file. */
	if (!r)
		r = map_piece(b, 88, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 8 * PAGE, &p);
	if (!r)
		pattern(p, 88, 25, 35, 0, true);
	unlink(path);
	close(fd);
	return r < 0 && !b->L->err ? fail_at(b->L, "file mmap", r) : r;
}

static int build_thp(struct builder *b)
{
	char *p;
	int r;

	keep_to_block(b);
	r = map_piece(b, 4 * BLOCK_PAGES + 200, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0, &p);
	if (r)
		return fail_at(b->L, "thp mmap", r);
	if (madvise(p, (4 * BLOCK_PAGES + 200) * PAGE, MADV_HUGEPAGE))
		return fail_at(b->L, "MADV_HUGEPAGE", -errno);
	memset(p, 0x5a, 2 * BLOCK);			/* two THPs */
	(void)*(volatile char *)(p + 2 * BLOCK);	/* the huge zero page */
	memset(p + 3 * BLOCK, 0x5a, BLOCK);		/* a THP, then split */
	madvise(p + 3 * BLOCK + 77 * PAGE, PAGE, MADV_DONTNEED);
	pattern(p + 4 * BLOCK, 200, 40, 20, 0, true);	/* too short for a THP */
	/* Freeze it: khugepaged must not collapse anything during the test. */
	if (madvise(p, (4 * BLOCK_PAGES + 200) * PAGE, MADV_NOHUGEPAGE))
		return fail_at(b->L, "MADV_NOHUGEPAGE", -errno);
	add_poi(b->L, b->cur - 200 - 2 * BLOCK_PAGES);
	add_poi(b->L, b->cur - 200 - BLOCK_PAGES + 77);
	return 0;
}

static int build_layout(struct layout *L, uint64_t seed)
{
	uint64_t reserve = DENSE_MAX + SPARSE_PAGES + 4 * BLOCK_PAGES + TAIL_PAGES;
	struct builder bb = { .L = L }, *b = &bb;
	uint64_t i, k;
	char *raw, *p;
	int r;

	memset(L, 0, sizeof(*L));
	rng_state = seed;
	b->pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (b->pagemap_fd < 0)
		return fail_at(L, "open pagemap", -errno);
	raw = mmap(NULL, reserve * PAGE + BLOCK, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED)
		return fail_at(L, "reserve", -errno);
	L->base = ((uintptr_t)raw + BLOCK - 1) & ~(BLOCK - 1);
	if (L->base > (uintptr_t)raw)
		munmap(raw, L->base - (uintptr_t)raw);

#define TRY(step, expr) do { r = (expr); if (r) return fail_at(L, step, r); } while (0)
	keep(b, 4);
	TRY("gap", gap(b, 12));
	/* Anonymous: written, only read (zero page), untouched, dropped. */
	TRY("anon", anon_piece(b, 1400, PROT_READ | PROT_WRITE, &p));
	pattern(p, 1400, 35, 20, 15, true);
	TRY("gap", gap(b, 5));
	/* Stripes: written, zero page, written, empty, ... -- thousands of
	 * regions, so that a vec_len above 512 fills (the bounce-buffer
	 * refills decide walk_end then). */
	L->stripe_page = b->cur;
	TRY("stripes", anon_piece(b, STRIPE_PAGES, PROT_READ | PROT_WRITE, &p));
	for (i = 0; i < STRIPE_PAGES; i++)
		touch(p + i * PAGE, i % 4 == 1 ? PG_READ : i % 4 == 3 ? PG_NONE : PG_WRITE);
	for (i = 1; i < 4; i++)
		add_poi(L, b->cur - STRIPE_PAGES + i * STRIPE_PAGES / 4 + below(64));
	TRY("gap", gap(b, 2));
	/* PROT_NONE: fresh, and populated before mprotect. */
	TRY("none", anon_piece(b, 8, PROT_NONE, &p));
	TRY("none2", anon_piece(b, 12, PROT_READ | PROT_WRITE, &p));
	pattern(p, 12, 50, 20, 0, true);
	if (mprotect(p, 12 * PAGE, PROT_NONE))
		return fail_at(L, "mprotect none", -errno);
	/* Read-only: fresh (only read), and populated before mprotect. */
	TRY("ro", anon_piece(b, 10, PROT_READ, &p));
	pattern(p, 10, 0, 50, 0, false);
	TRY("ro2", anon_piece(b, 14, PROT_READ | PROT_WRITE, &p));
	pattern(p, 14, 40, 30, 0, true);
	if (mprotect(p, 14 * PAGE, PROT_READ))
		return fail_at(L, "mprotect ro", -errno);
	TRY("gap", gap(b, 3));
	/* Shared anonymous (shmem: FILE), dropped pages included. */
	TRY("shared anon", map_piece(b, 80, PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS, -1, 0, &p));
	pattern(p, 80, 35, 30, 10, true);
	TRY("gap", gap(b, 9));
	r = build_file(b);
	if (r)
		return r;
	TRY("gap", gap(b, 1));
	/* Guard pages, over written and untouched pages. */
	TRY("guard", anon_piece(b, 48, PROT_READ | PROT_WRITE, &p));
	pattern(p, 48, 50, 20, 0, true);
	if (madvise(p + 4 * PAGE, 4 * PAGE, MADV_GUARD_INSTALL) == 0) {
		L->guard = 1;
		if (madvise(p + 20 * PAGE, PAGE, MADV_GUARD_INSTALL) ||
		    madvise(p + 30 * PAGE, 10 * PAGE, MADV_GUARD_INSTALL))
			return fail_at(L, "MADV_GUARD_INSTALL", -errno);
	} else if (errno != EINVAL) {
		return fail_at(L, "MADV_GUARD_INSTALL", -errno);
	}
	TRY("gap", gap(b, 2));
	r = build_uffd(b);
	if (r)
		return r;
	TRY("gap", gap(b, 4));

	r = build_thp(b);
	if (r)
		return r;
	keep_to_block(b);
	TRY("gap", gap(b, BLOCK_PAGES));
	if (b->cur > DENSE_MAX)
		return fail_at(L, "dense part too big", -E2BIG);
	L->dense_pages = b->cur;

	/* Sparse: 4 GiB, a few pages written or read here and there. */
	TRY("sparse", anon_piece(b, SPARSE_PAGES, PROT_READ | PROT_WRITE, &p));
	touch(p, PG_WRITE);
	touch(p + (SPARSE_PAGES - 1) * PAGE, PG_WRITE);
	add_poi(L, L->dense_pages + SPARSE_PAGES - 1);
	for (i = 0; i < 28; i++) {
		k = below(SPARSE_PAGES);
		if (i < 4)	/* both sides of a block edge */
			k = below(SPARSE_PAGES / BLOCK_PAGES - 1) * BLOCK_PAGES +
			    BLOCK_PAGES - 1;
		touch(p + k * PAGE, i >= 24 ? PG_READ : PG_WRITE);
		if (i < 4)
			touch(p + (k + 1) * PAGE, PG_WRITE);
		add_poi(L, L->dense_pages + k);
	}
	TRY("gap", gap(b, BLOCK_PAGES));
	/* Ghost candidates, each a whole 2 MiB block: one written page
	 * dropped; a written head munmapped while the rest stays mapped; a
	 * block dropped whole (PT_RECLAIM frees that table; without it the
	 * block is a ghost too).  They come last in the window, where few
	 * queries reach, because they are excluded in part (see the top). */
	L->cand[L->ncand++] = b->cur;
	TRY("ghost1", anon_piece(b, BLOCK_PAGES, PROT_READ | PROT_WRITE, &p));
	touch(p + 100 * PAGE, PG_DROP);
	add_poi(L, b->cur - BLOCK_PAGES + 100);
	L->cand[L->ncand++] = b->cur;
	TRY("ghost2", anon_piece(b, BLOCK_PAGES, PROT_READ | PROT_WRITE, &p));
	memset(p, 1, 8 * PAGE);
	if (munmap(p, 8 * PAGE))
		return fail_at(L, "ghost2 munmap", -errno);
	add_poi(L, b->cur - BLOCK_PAGES + 8);
	L->cand[L->ncand++] = b->cur;
	TRY("dropblock", anon_piece(b, BLOCK_PAGES, PROT_READ | PROT_WRITE, &p));
	memset(p, 1, 16 * PAGE);
	madvise(p, BLOCK, MADV_DONTNEED);

	keep(b, TAIL_PAGES);
#undef TRY
	L->size = b->cur * PAGE;
	munmap(at(L, b->cur), (reserve - b->cur) * PAGE + BLOCK -
	       (L->base - (uintptr_t)raw));
	close(b->pagemap_fd);
	return 0;
}

/* ---- the three ways to ask ---- */

enum { RAW, NAT, EMU, NB };
static const char *const bk_name[NB] = { "raw", "native", "emulated" };

enum vkind { VK_BUF, VK_NULL, VK_UNMAPPED, VK_RO, VK_EDGE, VK_HIGH };
static const char *const vk_name[] = { "buf", "NULL", "unmapped", "read-only",
				       "edge", "high" };
enum akind { AK_NORMAL, AK_NULL, AK_UNMAPPED, AK_STRADDLE, AK_RO };
static const char *const ak_name[] = { "normal", "NULL", "unmapped",
				       "straddling", "read-only" };

struct query {
	struct pw_scan_arg a;		/* vec set per backend */
	enum vkind vk;
	unsigned int edge;		/* VK_EDGE: entries before the hole */
	enum akind ak;
	const char *mut;		/* the invalid argument made, or "" */
};

/* Per backend: its own vec and its own pages around holes. */
struct bk {
	struct pw_space *sp;		/* NULL: the raw ioctl on fd */
	int fd;
	struct pw_region *vec;		/* VEC_CAP + 1 entries */
	char *aux;			/* [0] edge vec, [1] hole, [2] arg page, [3] hole */
};

struct answer {
	long ret;
	uint64_t walk_end;
	bool arg_changed;		/* a field other than walk_end changed */
	const unsigned char *out;	/* the output memory, when comparable */
	size_t out_len;
	const struct pw_region *regs;	/* where the regions went, in out */
	uint64_t nregs;			/* room for that many there */
};

struct stats {
	uint64_t queries, ok, regions, unsupported, mismatches;
	uint64_t ghostly, excluded;	/* touched a ghost block; of those, differed */
	uint64_t err_inval, err_fault, err_perm, err_other;
	uint64_t fast, early, full_big;	/* S31; walk_end < end; a vec > 512 filled */
	uint64_t big;			/* more than 512 regions returned */
	struct {
		const char *mut;
		uint64_t n, ok, einval, efault, other;
	} muts[24];
	unsigned int nmuts;
};

struct target {
	const char *who;
	pid_t pid;
	const struct layout *L;
	struct bk b[NB];
	uint64_t ecats;			/* categories the emulation reports */
	uint64_t ghost[MAX_GHOST];	/* confirmed ghost blocks (pages) */
	unsigned int nghost;
	bool strict;
	bool verbose;			/* print every region of a mismatch */
	uint64_t from;			/* run queries from this index on */
	struct stats st;
};

static char *ro_page;			/* a read-only page, shared */
static uint64_t main_seed;		/* PW_DIFF_SEED */
static unsigned int printed;		/* mismatches printed, self and child */

static uint64_t vec_addr(const struct target *t, const struct query *q, int k)
{
	switch (q->vk) {
	case VK_BUF:
		return (uintptr_t)t->b[k].vec;
	case VK_NULL:
		return 0;
	case VK_UNMAPPED:
		return (uintptr_t)t->b[k].aux + PAGE;
	case VK_RO:
		return (uintptr_t)ro_page;
	case VK_EDGE:
		return (uintptr_t)t->b[k].aux + PAGE - q->edge * sizeof(struct pw_region);
	default:
		return user_top - 2 * PAGE;
	}
}

static long call(const struct bk *b, struct pw_scan_arg *arg)
{
	return b->sp ? pw_scan(b->sp, arg) : t_raw_scan(b->fd, arg);
}

static void ask(const struct target *t, const struct query *q, int k, unsigned char garbage,
		struct answer *ans)
{
	const struct bk *b = &t->b[k];
	struct pw_scan_arg a = q->a, in;
	char *page = b->aux + 2 * PAGE;
	size_t n;

	a.vec = vec_addr(t, q, k);
	in = a;
	memset(ans, 0, sizeof(*ans));
	if (q->vk == VK_BUF) {
		n = a.vec_len < VEC_CAP ? a.vec_len + 1 : VEC_CAP + 1;
		memset(b->vec, garbage, n * sizeof(*b->vec));
		ans->out = (const unsigned char *)b->vec;
		ans->out_len = n * sizeof(*b->vec);
		ans->regs = b->vec;
		ans->nregs = n;
	} else if (q->vk == VK_EDGE) {
		memset(b->aux, garbage, PAGE);
		ans->out = (const unsigned char *)b->aux;
		ans->out_len = PAGE;
		ans->regs = (const struct pw_region *)(uintptr_t)a.vec;
		ans->nregs = q->edge;
	}
	switch (q->ak) {
	case AK_NORMAL:
		ans->ret = call(b, &a);
		ans->walk_end = a.walk_end;
		a.walk_end = in.walk_end;
		ans->arg_changed = memcmp(&a, &in, sizeof(a)) != 0;
		break;
	case AK_NULL:
		ans->ret = call(b, NULL);
		break;
	case AK_UNMAPPED:
		ans->ret = call(b, (struct pw_scan_arg *)(void *)(b->aux + 3 * PAGE));
		break;
	case AK_STRADDLE:
		memcpy(b->aux + 3 * PAGE - 40, &a, 40);
		ans->ret = call(b, (struct pw_scan_arg *)(void *)(b->aux + 3 * PAGE - 40));
		break;
	case AK_RO:
		memcpy(page, &a, sizeof(a));
		mprotect(page, PAGE, PROT_READ);
		ans->ret = call(b, (struct pw_scan_arg *)(void *)page);
		mprotect(page, PAGE, PROT_READ | PROT_WRITE);
		ans->arg_changed = memcmp(page, &in, sizeof(in)) != 0;
		break;
	}
}

/* Whether the kernel's own checks S3-S8 pass: an access_ok() that allows
 * [addr, addr + size) up to the top of user space, no wrap. */
static int range_ok(uint64_t addr, uint64_t size)
{
	uint64_t sum = addr + size;

	return sum >= addr && sum <= user_top;
}

/* vec: the address the emulated backend was given (it is set per backend). */
static int kernel_checks_pass(const struct pw_scan_arg *a, uint64_t vec)
{
	uint64_t cats = a->category_inverted | a->category_mask |
			a->category_anyof_mask | a->return_mask;
	uint64_t vb = a->vec_len > UINT64_MAX / 24 ? UINT64_MAX : a->vec_len * 24;

	if (a->size != sizeof(*a) || a->flags & ~(PW_SCAN_WP_MATCHING | PW_SCAN_CHECK_WPASYNC))
		return 0;
	if (cats & ~PW_PAGE_ALL || a->start % PAGE || !range_ok(a->start, a->end - a->start))
		return 0;
	if (!vec && a->vec_len)
		return 0;
	return !vec || range_ok(vec, vb);
}

/*
 * What the emulated backend must answer instead of the kernel's answer, or
 * 0 for "the same as the kernel".  Its -EOPNOTSUPP (a flag it cannot
 * honour, a category it cannot report) comes only once every check of the
 * kernel's own has passed: any EINVAL or EFAULT of S2-S8 wins over it
 * (pagewatch.h, validate() in scan_emulated.c).
 */
static long emu_expect(const struct target *t, const struct query *q, uint64_t ecats)
{
	const struct pw_scan_arg *a = &q->a;
	uint64_t cats = a->category_inverted | a->category_mask |
			a->category_anyof_mask | a->return_mask;

	if (q->ak != AK_NORMAL && q->ak != AK_RO)
		return 0;	/* the argument cannot be read: EFAULT */
	if (!kernel_checks_pass(a, vec_addr(t, q, EMU)))
		return 0;
	if (a->flags & PW_SCAN_WP_MATCHING)
		return -EOPNOTSUPP;
	if (a->flags & PW_SCAN_CHECK_WPASYNC && !(ecats & PW_PAGE_WPALLOWED))
		return -EOPNOTSUPP;
	return cats & ~ecats ? -EOPNOTSUPP : 0;
}

/*
 * The start of the first ghost block the query's range touches, when
 * WRITTEN decides what it sees there; 0 otherwise (or in strict mode).
 */
static uint64_t ghost_touched(const struct target *t, const struct query *q)
{
	const struct pw_scan_arg *a = &q->a;
	uint64_t end = (a->end + PAGE - 1) & ~(PAGE - 1), first = 0;
	unsigned int i;

	if (t->strict || !((a->category_mask | a->category_anyof_mask | a->return_mask) &
			   PW_PAGE_WRITTEN))
		return 0;
	for (i = 0; i < t->nghost; i++) {
		uint64_t g = t->L->base + t->ghost[i] * PAGE;

		if (a->start < g + BLOCK && end > g && (!first || g < first))
			first = g;
	}
	return first;
}

/*
 * A walk_end that a ghost block at g can explain: at g or later, or at a
 * refill point of the kernel's bounce buffer (the start of region 512,
 * 1024 ...), where walk_end stays when a walk with a vec_len above 512
 * completes -- a walk that did not see the ghost's regions completes where
 * the other one stopped at g for want of room.
 */
static bool ghost_walk_end(const struct answer *x, uint64_t g)
{
	uint64_t k;

	if (x->walk_end >= g)
		return true;
	for (k = 512; x->regs && k < (uint64_t)x->ret && k < x->nregs; k += 512)
		if (x->walk_end == x->regs[k].start)
			return true;
	return false;
}

/*
 * Whether the emulated answer can differ from the kernel's because of the
 * ghost block at g alone: both agree on everything before g.  The first
 * region that differs must reach g on each side that has it, or the
 * regions all agree and each walk_end is one ghost_walk_end() accepts.  When one side
 * failed, it must be a vec that faults, with EFAULT, on the side that found
 * more to write, while the other side succeeded having walked up to g.
 */
static bool ghost_explains(const struct query *q, const struct answer *ans, uint64_t g)
{
	const struct answer *r = &ans[RAW], *x = &ans[EMU];
	uint64_t i, n;

	if (r->ret < 0 || x->ret < 0)
		return q->vk != VK_BUF && q->vk != VK_NULL &&
		       ((r->ret == -EFAULT && x->ret >= 0 && x->walk_end >= g) ||
			(x->ret == -EFAULT && r->ret >= 0 && r->walk_end >= g));
	if (!r->regs)
		return r->ret == x->ret && ghost_walk_end(r, g) && ghost_walk_end(x, g);
	n = (uint64_t)(r->ret < x->ret ? r->ret : x->ret);
	for (i = 0; i < n; i++)
		if (memcmp(&r->regs[i], &x->regs[i], sizeof(r->regs[i])))
			return r->regs[i].end >= g && x->regs[i].end >= g;
	if (r->ret != x->ret)
		return (r->ret > x->ret ? r : x)->regs[i].end > g;
	/* Same regions: the garbage after them must be untouched alike. */
	if (memcmp(r->out, x->out, r->out_len))
		return false;
	return ghost_walk_end(r, g) && ghost_walk_end(x, g);
}

/* ---- generating queries ---- */

static uint64_t pick_start_page(const struct layout *L)
{
	uint64_t total = L->size / PAGE, s;
	unsigned int u = (unsigned int)below(100);

	if (u < 8)	/* where a vec_len above 512 can fill */
		return L->stripe_page + below(STRIPE_PAGES / 2);
	if (u < 12 && L->uffd_len)
		return (L->uffd_off + L->uffd_len) / PAGE - UFFD_PAGES + UFFD_STRIPES - below(64);
	if (u < 42)
		return below(L->dense_pages);
	if (u < 75) {
		s = L->poi[below(L->npoi)] + below(9);
		s = s >= 4 ? s - 4 : 0;
		return s < total ? s : total - 1;
	}
	if (u < 92)
		return below(total);
	return chance(50) ? 0 : total - 1 - below(8);
}

static void gen_masks(struct pw_scan_arg *a, uint64_t ecats)
{
	uint64_t uni = chance(10) ? PW_PAGE_ALL : ecats;
	unsigned int u = (unsigned int)below(100);

	if (u < 25) {		/* S31's fast path */
		a->category_mask = a->return_mask = PW_PAGE_WRITTEN;
		return;
	}
	if (u < 30)		/* every page of every mapping */
		return;
	if (u < 35) {
		a->return_mask = uni;
		return;
	}
	a->category_inverted = chance(50) ? 0 : subset(uni, 30);
	a->category_mask = chance(40) ? 0 : one_bit(uni) | (chance(30) ? one_bit(uni) : 0);
	a->category_anyof_mask = chance(60) ? 0 : subset(uni, 30);
	u = (unsigned int)below(100);
	a->return_mask = u < 20 ? uni : u < 35 ? 0 : u < 50 ? PW_PAGE_WRITTEN : subset(uni, 40);
}

static uint64_t pick_vec_len(void)
{
	unsigned int u = (unsigned int)below(100);

	if (u < 4)
		return 0;
	if (u < 14)
		return 1;
	if (u < 44)
		return 2 + below(15);
	if (u < 69)
		return 17 + below(495);
	if (u < 74)
		return 512;
	if (u < 89)
		return 513 + below(1536);
	return 2049 + below(VEC_CAP - 2048);
}

static uint64_t pick_max_pages(void)
{
	unsigned int u = (unsigned int)below(100);

	if (u < 45)
		return 0;
	if (u < 55)
		return 1;
	if (u < 75)
		return 2 + below(15);
	if (u < 90)
		return 17 + below(2000);
	return 1 + below(1ULL << 21);
}

/* One invalid argument (or a valid one at an edge). */
static void mutate(struct query *q)
{
	struct pw_scan_arg *a = &q->a;
	uint64_t *masks[4] = { &a->category_inverted, &a->category_mask,
			       &a->category_anyof_mask, &a->return_mask };
	static const uint64_t sizes[] = { 0, 8, 88, 95, 97, 104, 192 };

	switch (below(16)) {
	case 0:
		a->size = chance(80) ? sizes[below(7)] : rnd();
		q->mut = "size";
		break;
	case 1:
		a->flags |= 1ULL << (2 + below(62));
		q->mut = "unknown flag";
		break;
	case 2:
		*masks[below(4)] |= 1ULL << (9 + below(55));
		q->mut = "unknown category";
		break;
	case 3:
		a->start |= 1 + below(PAGE - 1);
		q->mut = "unaligned start";
		break;
	case 4:
		a->end = a->start - 1 - below(16 * PAGE);
		q->mut = "end < start";
		break;
	case 5:
		a->end = chance(20) ? UINT64_MAX : user_top + 1 + below(1ULL << 40);
		q->mut = "end above top";
		break;
	case 6:
		a->start = user_top + PAGE * below(3);
		a->end = a->start + PAGE * below(4);
		q->mut = "start at/above top";
		break;
	case 7:
		a->start = user_top - PAGE * (1 + below(4));
		a->end = user_top - below(2);
		q->mut = "range ending at top";
		break;
	case 8:
		q->vk = VK_NULL;
		a->vec_len = chance(20) ? 0 : a->vec_len;
		q->mut = "vec 0";
		break;
	case 9:
		q->vk = VK_UNMAPPED;
		q->mut = "vec unmapped";
		break;
	case 10:
		q->vk = VK_RO;
		q->mut = "vec read-only";
		break;
	case 11:
		q->vk = VK_EDGE;
		q->edge = (unsigned int)below(6);
		a->vec_len = chance(30) ? q->edge : q->edge + 1 + below(600);
		q->mut = "vec before a hole";
		break;
	case 12:
		q->vk = VK_HIGH;
		q->mut = "vec near top";
		break;
	case 13:
		q->ak = AK_NULL;
		q->mut = "arg NULL";
		break;
	case 14:
		q->ak = chance(50) ? AK_UNMAPPED : AK_STRADDLE;
		q->mut = "arg unreadable";
		break;
	default:
		q->ak = AK_RO;
		q->mut = "arg read-only";
		break;
	}
}

static void gen_query(const struct target *t, struct query *q)
{
	const struct layout *L = t->L;
	struct pw_scan_arg *a = &q->a;
	uint64_t sp = pick_start_page(L), left = L->size / PAGE - sp, len;

	memset(q, 0, sizeof(*q));
	q->mut = "";
	a->size = sizeof(*a);
	a->walk_end = rnd();		/* ignored on input (S10) */
	gen_masks(a, t->ecats);
	if (chance(3))
		a->flags = PW_SCAN_CHECK_WPASYNC;
	else if (chance(3))
		a->flags = PW_SCAN_WP_MATCHING | (chance(50) ? PW_SCAN_CHECK_WPASYNC : 0);
	a->start = L->base + sp * PAGE;
	len = chance(6) ? 0 : log_uniform(left);
	a->end = a->start + len * PAGE;
	if (len && chance(25))
		a->end -= 1 + below(PAGE - 1);
	a->vec_len = pick_vec_len();
	a->max_pages = pick_max_pages();
	if (chance(5)) {
		/* Past 512 regions the kernel refills its bounce buffer, and
		 * walk_end stays at the last refill point when vec fills. */
		sp = chance(70) || !L->uffd_len ? L->stripe_page + below(STRIPE_PAGES / 4) :
		     (L->uffd_off + L->uffd_len) / PAGE - UFFD_PAGES + UFFD_STRIPES - below(16);
		a->start = L->base + sp * PAGE;
		a->end = a->start + (1 + below(4)) * STRIPE_PAGES / 2 * PAGE - below(2) * 123;
		a->vec_len = 513 + below(1600);
		a->max_pages = chance(60) ? 0 : 600 + below(3000);
		if (chance(50))
			a->return_mask |= PW_PAGE_PRESENT | PW_PAGE_PFNZERO;
	}
	if (chance(10)) {
		mutate(q);
		if (chance(15))
			mutate(q);
	}
	/* WP_MATCHING write-protects for real: keep it off the uffd range
	 * (anywhere else the kernel skips the mapping, S13), so that the
	 * state stays the same for the next backend and the next query. */
	if (a->flags & PW_SCAN_WP_MATCHING && L->uffd_len) {
		uint64_t lo = a->start < a->end ? a->start : a->end;
		uint64_t hi = a->start < a->end ? a->end : a->start;

		if (lo < L->base + L->uffd_off + L->uffd_len && hi > L->base + L->uffd_off)
			a->flags &= ~PW_SCAN_WP_MATCHING;
	}
}

/* ---- comparing and reporting ---- */

static const char *rel(const struct layout *L, uint64_t addr)
{
	static char bufs[8][48];
	static unsigned int k;
	char *s = bufs[k++ % 8];

	if (addr >= L->base && addr - L->base <= L->size + (1ULL << 32))
		snprintf(s, 48, "W+0x%llx", ULL(addr - L->base));
	else if (addr < L->base && L->base - addr <= (1ULL << 32))
		snprintf(s, 48, "W-0x%llx", ULL(L->base - addr));
	else
		snprintf(s, 48, "0x%llx", ULL(addr));
	return s;
}

static void print_region(const struct layout *L, const char *name, const struct answer *x,
			 uint64_t i)
{
	const struct pw_region *r = x->regs + i;

	if (x->ret < 0 || !x->regs || i >= x->nregs)
		printf("      %-8s -\n", name);
	else
		printf("      %-8s [%s, %s) 0x%llx%s\n", name, rel(L, r->start), rel(L, r->end),
		       ULL(r->categories), (long)i >= x->ret ? " (after the returned ones)" : "");
}

static void report(struct target *t, uint64_t qi, const struct query *q,
		   const struct answer *ans, int who, const char *what, long expect)
{
	const struct layout *L = t->L;
	const struct pw_scan_arg *a = &q->a;
	const struct answer *x = &ans[who], *r = &ans[RAW];
	uint64_t i, n;
	int k;

	t->st.mismatches++;
	if (++printed > MAX_PRINTED)
		return;
	printf("MISMATCH %llu (%s, query %llu): %s %s\n", ULL(t->st.mismatches), t->who,
	       ULL(qi), bk_name[who], what);
	printf("  query: flags 0x%llx start %s end %s size %llu%s%s\n", ULL(a->flags),
	       rel(L, a->start), rel(L, a->end), ULL(a->size), *q->mut ? " invalid: " : "",
	       q->mut);
	printf("         inverted 0x%llx mask 0x%llx anyof 0x%llx return 0x%llx\n",
	       ULL(a->category_inverted), ULL(a->category_mask),
	       ULL(a->category_anyof_mask), ULL(a->return_mask));
	printf("         vec %s", vk_name[q->vk]);
	if (q->vk == VK_EDGE)
		printf(" (%u entries before a hole)", q->edge);
	printf(" vec_len %llu max_pages %llu arg %s\n", ULL(a->vec_len), ULL(a->max_pages),
	       ak_name[q->ak]);
	printf("  replay: PW_DIFF_SEED=0x%llx PW_DIFF_QUERIES=%llu PW_DIFF_FROM=%llu "
	       "PW_DIFF_VERBOSE=1\n", ULL(main_seed),
	       ULL(t->pid ? 2 * (qi + 1) : qi + 1), ULL(qi));
	if (expect)
		printf("  expected from emulated: %ld (%s)\n", expect, strerror((int)-expect));
	for (k = 0; k < NB; k++)
		printf("  %-8s ret %ld%s%s walk_end %s%s\n", bk_name[k], ans[k].ret,
		       ans[k].ret < 0 ? " " : "", ans[k].ret < 0 ? strerror((int)-ans[k].ret) : "",
		       rel(L, ans[k].walk_end), ans[k].arg_changed ? " ARG CHANGED" : "");
	if (who == RAW || !x->regs || x->ret < 0 || r->ret < 0)
		return;
	n = x->nregs < r->nregs ? x->nregs : r->nregs;
	if (t->verbose) {
		for (i = 0; i < n && (i < (uint64_t)r->ret || i < (uint64_t)x->ret); i++) {
			printf("    #%llu\n", ULL(i));
			print_region(L, bk_name[RAW], r, i);
			print_region(L, bk_name[who], x, i);
		}
	}
	for (i = 0; i < n; i++)
		if (memcmp(&x->regs[i], &r->regs[i], sizeof(x->regs[i])))
			break;
	if (i == n)
		return;
	printf("    first differing region: #%llu\n", ULL(i));
	print_region(L, bk_name[RAW], r, i);
	print_region(L, bk_name[who], x, i);
}

/* How one backend's answer differs from the kernel's, or NULL. */
static const char *differ(const struct answer *ans, int who)
{
	const struct answer *r = &ans[RAW], *x = &ans[who];

	if (x->ret != r->ret)
		return "returns differently";
	if (x->arg_changed)
		return "wrote a field of the argument other than walk_end";
	if (x->ret < 0)
		return NULL;	/* S30: walk_end and vec are meaningless */
	if (x->walk_end != r->walk_end)
		return "walk_end differs";
	if (x->out && (x->out_len != r->out_len || memcmp(x->out, r->out, x->out_len)))
		return "regions (or the garbage after them) differ";
	return NULL;
}

/* What the kernel made of the query, for the coverage summary. */
static void count(struct stats *s, const struct query *q, const struct answer *r)
{
	const struct pw_scan_arg *a = &q->a;
	unsigned int i;

	if (a->category_mask == PW_PAGE_WRITTEN && a->return_mask == PW_PAGE_WRITTEN &&
	    !a->category_inverted && !a->category_anyof_mask)
		s->fast++;
	if (r->ret >= 0 && r->walk_end < ((a->end + PAGE - 1) & ~(PAGE - 1)))
		s->early++;
	if (r->ret >= 0 && a->vec_len > 512 && (uint64_t)r->ret == a->vec_len)
		s->full_big++;
	if (r->ret > 512)
		s->big++;
	for (i = 0; i < s->nmuts && strcmp(s->muts[i].mut, q->mut); i++)
		;
	if (i == s->nmuts) {
		if (i == sizeof(s->muts) / sizeof(s->muts[0]))
			return;
		s->muts[s->nmuts++].mut = q->mut;
	}
	s->muts[i].n++;
	if (r->ret >= 0)
		s->muts[i].ok++;
	else if (r->ret == -EINVAL)
		s->muts[i].einval++;
	else if (r->ret == -EFAULT)
		s->muts[i].efault++;
	else
		s->muts[i].other++;
}

static void run_queries(struct target *t, uint64_t n, uint64_t seed)
{
	struct answer ans[NB];
	const char *why;
	struct query q;
	uint64_t qi, g;
	long expect;

	rng_state = seed;
	for (qi = 0; qi < n; qi++) {
		unsigned char garbage = (unsigned char)(0xa5 ^ qi);
		int k;

		gen_query(t, &q);
		if (qi < t->from)
			continue;
		for (k = 0; k < NB; k++)
			ask(t, &q, k, garbage, &ans[k]);
		t->st.queries++;
		count(&t->st, &q, &ans[RAW]);
		if (ans[RAW].ret >= 0) {
			t->st.ok++;
			t->st.regions += (uint64_t)ans[RAW].ret;
		} else if (ans[RAW].ret == -EINVAL) {
			t->st.err_inval++;
		} else if (ans[RAW].ret == -EFAULT) {
			t->st.err_fault++;
		} else if (ans[RAW].ret == -EPERM) {
			t->st.err_perm++;
		} else {
			t->st.err_other++;
		}
		if (ans[RAW].arg_changed)
			report(t, qi, &q, ans, RAW, "wrote a field of the argument other than walk_end", 0);
		why = differ(ans, NAT);
		if (why)
			report(t, qi, &q, ans, NAT, why, 0);
		expect = emu_expect(t, &q, t->ecats);
		if (expect) {
			t->st.unsupported++;
			if (ans[EMU].ret != expect)
				report(t, qi, &q, ans, EMU, "does not refuse as expected", expect);
			continue;
		}
		g = ghost_touched(t, &q);
		t->st.ghostly += g != 0;
		why = differ(ans, EMU);
		if (why && g && ghost_explains(&q, ans, g))
			t->st.excluded++;
		else if (why)
			report(t, qi, &q, ans, EMU, why, 0);
	}
}

/* ---- setting up ---- */

static int setup_bk(struct bk *b)
{
	b->vec = mmap(NULL, (VEC_CAP + 1) * sizeof(*b->vec), PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	b->aux = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		      -1, 0);
	if (b->vec == MAP_FAILED || b->aux == MAP_FAILED)
		return -errno;
	if (munmap(b->aux + PAGE, PAGE) || munmap(b->aux + 3 * PAGE, PAGE))
		return -errno;
	return 0;
}

/* The holes must still be holes, or the "unmapped" queries meant nothing. */
static bool holes_intact(const struct target *t)
{
	unsigned char v;
	int k;

	for (k = 0; k < NB; k++)
		if (mincore(t->b[k].aux + PAGE, PAGE, &v) == 0 ||
		    mincore(t->b[k].aux + 3 * PAGE, PAGE, &v) == 0)
			return false;
	return true;
}

static int open_target(struct target *t, const char *who, pid_t pid, const struct layout *L)
{
	char path[64];
	int k, r;

	memset(t, 0, sizeof(*t));
	t->who = who;
	t->pid = pid;
	t->L = L;
	t->strict = env_u64("PW_DIFF_STRICT", 0) == 1;
	t->verbose = env_u64("PW_DIFF_VERBOSE", 0) == 1;
	t->from = env_u64("PW_DIFF_FROM", 0);
	for (k = 0; k < NB; k++) {
		r = setup_bk(&t->b[k]);
		if (r)
			return r;
	}
	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid ? (int)pid : (int)getpid());
	t->b[RAW].fd = open(path, O_RDONLY | O_CLOEXEC);
	if (t->b[RAW].fd < 0)
		return -errno;
	r = pw_space_open(&t->b[NAT].sp, pid, PW_SPACE_NATIVE);
	if (!r)
		r = pw_space_open(&t->b[EMU].sp, pid, PW_SPACE_EMULATED);
	if (r)
		return r;
	t->ecats = pw_space_categories(t->b[EMU].sp);
	return 0;
}

static void close_target(struct target *t)
{
	int k;

	for (k = 0; k < NB; k++) {
		pw_space_close(t->b[k].sp);
		munmap(t->b[k].vec, (VEC_CAP + 1) * sizeof(*t->b[k].vec));
		munmap(t->b[k].aux, PAGE);
		munmap(t->b[k].aux + 2 * PAGE, PAGE);
	}
	close(t->b[RAW].fd);
}

/* The kernel's view of the whole window, per category, and the ghosts. */
static int survey(struct target *t)
{
	static const char *const names[9] = { "wpallowed", "written", "file", "present",
					      "swapped", "pfnzero", "huge", "soft-dirty",
					      "guard" };
	const struct layout *L = t->L;
	struct pw_region *v = t->b[RAW].vec;
	uint64_t count[9] = { 0 }, pages = 0, done = L->base, e[BLOCK_PAGES];
	struct pw_scan_arg a;
	unsigned int i;
	long r, j;
	int bit;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.start = L->base;
	a.end = L->base + L->size;
	a.vec = (uintptr_t)v;
	a.vec_len = 512;	/* no bounce refills: walk_end is exact (S28) */
	a.return_mask = PW_PAGE_ALL;
	for (;;) {
		r = t_raw_scan(t->b[RAW].fd, &a);
		if (r < 0)
			return (int)r;
		for (j = 0; j < r; j++) {
			uint64_t s = v[j].start > done ? v[j].start : done;
			uint64_t np = v[j].end > s ? (v[j].end - s) / PAGE : 0;

			pages += np;
			for (bit = 0; bit < 9; bit++)
				if (v[j].categories & (1ULL << bit))
					count[bit] += np;
			if (v[j].end > done)
				done = v[j].end;
		}
		if (a.walk_end >= a.end)
			break;
		a.start = a.walk_end;
	}
	printf("%s: window %s..%s (%.2f GiB), %llu pages in mappings; kernel says:",
	       t->who, rel(L, L->base), rel(L, L->base + L->size),
	       (double)L->size / (1ULL << 30), ULL(pages));
	for (bit = 0; bit < 9; bit++)
		printf(" %s %llu", names[bit], ULL(count[bit]));
	printf("\n%s: guard pages %s; uffd-wp async %s%s\n", t->who,
	       L->guard ? "built" : "not supported (EINVAL), skipped",
	       L->uffd ? "built, " : "skipped: ", L->uffd_note);
	if (count[6] < BLOCK_PAGES)
		printf("%s: note: no THP was mapped (THP off here?)\n", t->who);
	if (L->uffd)
		CHECK(count[0] == L->uffd_len / PAGE, "%s: wpallowed %llu pages, uffd range %llu",
		      t->who, ULL(count[0]), ULL(L->uffd_len / PAGE));

	/* A candidate is a ghost when pagemap shows nothing in the block and
	 * the kernel still calls its pages WRITTEN: a table of empty entries. */
	for (i = 0; i < L->ncand; i++) {
		uint64_t blk = L->base + L->cand[i] * PAGE, any = 0;
		size_t m;

		if (pread(t->b[RAW].fd, e, sizeof(e), (off_t)(blk / PAGE * 8)) != (ssize_t)sizeof(e))
			return -EIO;
		for (m = 0; m < BLOCK_PAGES; m++)
			any |= e[m];
		memset(&a, 0, sizeof(a));
		a.size = sizeof(a);
		a.start = blk;
		a.end = blk + BLOCK;
		a.vec = (uintptr_t)v;
		a.vec_len = 1;
		a.category_mask = a.return_mask = PW_PAGE_WRITTEN;
		r = t_raw_scan(t->b[RAW].fd, &a);
		if (r < 0)
			return (int)r;
		if (!any && r > 0)
			t->ghost[t->nghost++] = L->cand[i];
		printf("%s: block %s: %s\n", t->who, rel(L, blk),
		       !any && r > 0 ? "ghost page table (empty entries, kernel: WRITTEN)" :
		       any ? "has pagemap entries" : "no page table");
	}
	return 0;
}

static void print_stats(const struct target *t, double secs)
{
	const struct stats *s = &t->st;
	unsigned int i;

	printf("%s: %llu queries in %.1f s: %llu succeeded (%llu regions), EINVAL %llu, "
	       "EFAULT %llu, EPERM %llu, other %llu; emulated refused %llu as expected "
	       "(EOPNOTSUPP); %llu touched a ghost block with WRITTEN in a mask, %llu of them "
	       "differed there only (excluded%s); %llu mismatches\n",
	       t->who, ULL(s->queries), secs, ULL(s->ok), ULL(s->regions), ULL(s->err_inval),
	       ULL(s->err_fault), ULL(s->err_perm), ULL(s->err_other), ULL(s->unsupported),
	       ULL(s->ghostly), ULL(s->excluded), t->strict ? ", strict: none" : "",
	       ULL(s->mismatches));
	printf("%s: S31 fast path %llu, stopped before the end %llu, more than 512 regions "
	       "%llu, filled a vec_len > 512 %llu\n", t->who, ULL(s->fast), ULL(s->early),
	       ULL(s->big), ULL(s->full_big));
	for (i = 0; i < s->nmuts; i++)
		printf("%s:   %-22s %6llu queries: kernel ok %llu EINVAL %llu EFAULT %llu "
		       "other %llu\n", t->who, *s->muts[i].mut ? s->muts[i].mut : "(valid)",
		       ULL(s->muts[i].n), ULL(s->muts[i].ok), ULL(s->muts[i].einval),
		       ULL(s->muts[i].efault), ULL(s->muts[i].other));
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool write_all(int fd, const void *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p = (const char *)p + w;
		n -= (size_t)w;
	}
	return true;
}

static bool read_all(int fd, void *p, size_t n)
{
	while (n) {
		ssize_t got = read(fd, p, n);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return false;
		p = (char *)p + got;
		n -= (size_t)got;
	}
	return true;
}

/* The child builds its own layout, tells the parent where, and stops. */
static pid_t spawn_child(uint64_t seed, int *rfd)
{
	static struct layout L;
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(p[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		build_layout(&L, seed);
		if (!write_all(p[1], &L, sizeof(L)) || L.err)
			_exit(1);
		raise(SIGSTOP);
		for (;;)
			pause();
	}
	close(p[1]);
	*rfd = p[0];
	return pid;
}

static int run_target(struct target *t, const char *who, pid_t pid, const struct layout *L,
		      uint64_t n, uint64_t seed)
{
	double t0;
	int r = open_target(t, who, pid, L);

	if (r) {
		fprintf(stderr, "%s: opening the three backends: %s\n", who, strerror(-r));
		return r;
	}
	printf("%s: emulated backend reports categories 0x%llx, native 0x%llx\n", who,
	       ULL(t->ecats), ULL(pw_space_categories(t->b[NAT].sp)));
	r = survey(t);
	if (r) {
		fprintf(stderr, "%s: survey of the layout: %s\n", who, strerror(-r));
		return r;
	}
	if (!holes_intact(t)) {
		fprintf(stderr, "%s: a test hole got mapped before the queries\n", who);
		return -EEXIST;
	}
	t0 = now();
	run_queries(t, n, seed);
	print_stats(t, now() - t0);
	CHECK(holes_intact(t), "%s: a test hole got mapped during the queries", who);
	CHECK(t->st.mismatches == 0, "%s: %llu mismatches (at most %d printed in all)", who,
	      ULL(t->st.mismatches), MAX_PRINTED);
	close_target(t);
	return 0;
}

int main(void)
{
	static struct layout self, child;
	uint64_t seed = main_seed = env_u64("PW_DIFF_SEED", DEFAULT_SEED);
	uint64_t n = env_u64("PW_DIFF_QUERIES", DEFAULT_QUERIES);
	static struct target t;
	double t0 = now();
	int rfd = -1, st;
	pid_t pid;

	setvbuf(stdout, NULL, _IOLBF, 0);
	probe_user_top();
	if (!t_have_pagemap_scan())
		t_skip("the kernel has no PAGEMAP_SCAN ioctl (6.7+)");
	printf("diff_kernel: seed 0x%llx (PW_DIFF_SEED), %llu queries on self, %llu on a child "
	       "(PW_DIFF_QUERIES)\n", ULL(seed), ULL(n), ULL(n / 2));

	pid = spawn_child(seed ^ 0xc41d, &rfd);
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	ro_page = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ro_page == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	if (build_layout(&self, seed)) {
		fprintf(stderr, "self: building the layout failed at %s: %s\n", self.failed,
			strerror(-self.err));
		kill(pid, SIGKILL);
		return 1;
	}
	if (run_target(&t, "self", 0, &self, n, seed ^ 0x9e11))
		t_failures++;

	if (!read_all(rfd, &child, sizeof(child)) || child.err) {
		fprintf(stderr, "child: building the layout failed at %s: %s\n",
			child.failed[0] ? child.failed : "?", strerror(child.err ? -child.err : EIO));
		t_failures++;
	} else if (waitpid(pid, &st, WUNTRACED) != pid || !WIFSTOPPED(st)) {
		fprintf(stderr, "child: did not stop\n");
		t_failures++;
	} else if (run_target(&t, "child", pid, &child, n / 2, seed ^ 0xc41d9e11)) {
		t_failures++;
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	close(rfd);
	printf("diff_kernel: %.1f s in all, seed 0x%llx\n", now() - t0, ULL(seed));
	t_done();
}
