/* SPDX-License-Identifier: MIT */
/*
 * watch_bench: the write-watch backends (pw_watch_*, pw_snapshot_*) against
 * the bare kernel mechanisms they are built on, side by side in one process.
 *
 * Four measurements, each alternating its sides within every repetition
 * (the first side rotates from one repetition to the next), and a fifth
 * that checks every answer along the way:
 *
 *  1. first write after a reset: a byte written to every other page of a
 *     populated range just reset (the reset is not timed), ns per write, on
 *     each backend and on its bare mechanism -- a userfaultfd in WP_ASYNC
 *     mode protected by PAGEMAP_SCAN; mprotect(PROT_READ) and a SIGSEGV
 *     handler that mprotects the page back; a sync userfaultfd with a
 *     thread that reads the messages and un-protects the page -- and a
 *     plain write to a page already writable;
 *  2. get with reset over a 1 GiB range (every page mapped, to the zero
 *     page) of which 1% of the pages (random, fresh every repetition) were
 *     written before the sample:
 *     pw_watch_get(PW_WATCH_RESET) until everything is collected, against
 *     the raw PAGEMAP_SCAN loop (WP_MATCHING, resumed at walk_end) on a bare
 *     uffd-async range; both expand into the same page buffer;
 *  3. pw_snapshot_restore of 64 MiB with 0.1% to 100% of it written,
 *     against a memcpy of the whole 64 MiB, and against copying back just
 *     the pages written, known in advance (the floor of any restore);
 *  4. first writes by one and by two threads at once, on disjoint pages;
 *  5. after every timed sample, pw_watch_get (or the restore's count and
 *     the memory itself) must report exactly the pages written.
 *
 * Ratios are medians of per-repetition (paired) ratios.  A sample during
 * which the thread was preempted is taken again within a budget, except
 * where the write waits for another thread by design (uffd-sync, threads).
 * A missed target is reported, never an error: the exit status is 0 unless
 * something could not be measured at all.
 *
 * Output: Markdown on stdout, progress on stderr, --csv PATH for machines.
 * WATCH_BENCH_ONLY=13 (say) runs tests 1 and 3 only, for profiling.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"
#include "pagewatch.h"

#define PAGE		4096UL
#define KIB		1024UL
#define MIB		(1UL << 20)
#define GIB		(1UL << 30)

#define REPS_FULL	15
#define REPS_SMOKE	3
#define QUIET_TRIES	3		/* attempts at a sample without preemption, */
#define QUIET_BUDGET	1		/* ... and retries per sample on average, */
#define QUIET_UNTIL_NS	40000000000ULL	/* ... in the first 40 s of the run only */

#define GET_BUF		4096		/* pages collected per pw_watch_get */
#define SCAN_VEC	512		/* regions per PAGEMAP_SCAN (the kernel's exact walk_end) */
#define MAXTHREADS	2

#define FILL_BYTE	0x5a		/* snapshot contents */
#define DIRTY_BYTE	((char)0xa5)	/* what the restore must undo */

/* The kernel's PAGEMAP_SCAN, spelled from the public struct (96 bytes). */
#define PAGEMAP_SCAN_IOCTL	_IOWR('f', 16, struct pw_scan_arg)
_Static_assert(PAGEMAP_SCAN_IOCTL == 0xc0606610UL, "PAGEMAP_SCAN ioctl number");

/* Newer than the 6.1 headers of the build machine; fixed by the kernel. */
#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED	(1ULL << 13)
#endif
#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_ASYNC		(1ULL << 15)
#endif
#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY		1
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ		22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE		23
#endif

#define NBE		(PW_BACKEND_MPROTECT + 1)	/* indexed by enum pw_backend */

/* The backends in the order of the tables. */
static const enum pw_backend backends[] = {
	PW_BACKEND_UFFD_ASYNC, PW_BACKEND_UFFD_SYNC, PW_BACKEND_SOFT_DIRTY, PW_BACKEND_MPROTECT,
};
#define NBACKENDS	(sizeof(backends) / sizeof(backends[0]))

enum test { T_FIRST, T_GET, T_RESTORE, T_THREADS, NTESTS };

static const char *const test_key[NTESTS] = {
	"first-write", "get-reset", "restore", "threads",
};

/* What pw_watch_get (or a restore) said, against what was written. */
struct acc {
	unsigned long checks, pages, fp, fn, errors;
};

struct sizes {
	size_t fw_writes;	/* 1: pages written per sample; the range is twice that */
	size_t get_pages;	/* 2: the range */
	size_t snap_pages;	/* 3: the range */
	size_t thr_writes;	/* 4: pages written per sample, all threads */
};

static const struct sizes sizes_full = { 4096, GIB / PAGE, 64 * MIB / PAGE, 2048 };
static const struct sizes sizes_smoke = { 64, 4 * MIB / PAGE, 1 * MIB / PAGE, 128 };

/* ---- small things ---- */

static bool bit_get(const uint64_t *m, size_t i)
{
	return m[i / 64] >> (i % 64) & 1;
}

static void bit_set(uint64_t *m, size_t i)
{
	m[i / 64] |= 1ULL << (i % 64);
}

static size_t words(size_t bits)
{
	return (bits + 63) / 64;
}

static const char *size_str(uint64_t bytes, char *buf, size_t n)
{
	if (bytes >= GIB && !(bytes % GIB))
		snprintf(buf, n, "%llu GiB", (unsigned long long)(bytes / GIB));
	else if (bytes >= MIB && !(bytes % MIB))
		snprintf(buf, n, "%llu MiB", (unsigned long long)(bytes / MIB));
	else
		snprintf(buf, n, "%llu KiB", (unsigned long long)(bytes / KIB));
	return buf;
}

/* One byte into page stride * i of base, i in [from, to), ascending. */
static void write_pages(char *base, size_t from, size_t to, size_t stride, char v)
{
	volatile char *p = base;
	size_t i;

	for (i = from; i < to; i++)
		p[i * stride * PAGE] = v;
}

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* ---- memory ---- */

/*
 * A private anonymous range of pages between two PROT_NONE guard pages (so
 * that it never merges with a neighbouring range's mapping), without THP,
 * every page populated: filled with fill, allocated (zero) for POP_ALLOC,
 * or mapped to the shared zero page for POP_ZERO_PAGE -- every page has its
 * entry, but no memory is allocated until it is written: the way to have
 * 1 GiB ranges at hand, on a VM whose fresh memory is slow to come by.
 */
#define POP_ALLOC	(-1)
#define POP_ZERO_PAGE	(-2)

struct region {
	char *map, *base;
	size_t map_len, len, pages;
};

static int region_new(struct region *g, size_t pages, int fill)
{
	size_t i;

	memset(g, 0, sizeof(*g));
	g->pages = pages;
	g->len = pages * PAGE;
	g->map_len = g->len + 2 * PAGE;
	g->map = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		      -1, 0);
	if (g->map == MAP_FAILED) {
		g->map = NULL;
		return -errno;
	}
	g->base = g->map + PAGE;
	if (mprotect(g->map, PAGE, PROT_NONE) || mprotect(g->base + g->len, PAGE, PROT_NONE))
		return -errno;
	if (madvise(g->base, g->len, MADV_NOHUGEPAGE) && errno != EINVAL)
		return -errno;
	if (fill >= 0) {
		memset(g->base, fill, g->len);
	} else if (fill == POP_ZERO_PAGE) {
		if (madvise(g->base, g->len, MADV_POPULATE_READ)) {
			volatile char *p = g->base;
			char sum = 0;

			for (i = 0; i < pages; i++)
				sum = (char)(sum + p[i * PAGE]);
			(void)sum;
		}
		/* One page written: the mapping gets its anon_vma now, so that
		 * the pieces mprotect cuts out of it can merge back later (they
		 * cannot when each piece gets its own at its first write). */
		g->base[0] = 1;
	} else if (madvise(g->base, g->len, MADV_POPULATE_WRITE)) {
		for (i = 0; i < pages; i++)
			g->base[i * PAGE] = 0;
	}
	return 0;
}

static void region_free(struct region *g)
{
	if (g->map)
		munmap(g->map, g->map_len);
	memset(g, 0, sizeof(*g));
}

/* ---- the bare mechanisms: our own minimal code, no pagewatch ---- */

/* uffd-wp async: the kernel resolves the writes, PAGEMAP_SCAN reports them. */
struct bare_ua {
	int uffd, pm;
	uint64_t start, end;
};

static int bare_ua_protect(const struct bare_ua *u, uint64_t start, uint64_t end)
{
	struct pw_scan_arg a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = PW_SCAN_WP_MATCHING | PW_SCAN_CHECK_WPASYNC;
	a.start = start;
	a.end = end;
	return ioctl(u->pm, PAGEMAP_SCAN_IOCTL, &a) < 0 ? -errno : 0;
}

/* The written pages of [start, end): SCAN_VEC regions per PAGEMAP_SCAN,
 * resumed at walk_end while vec fills, each call's regions handed to fn;
 * with wp, protected again as they are reported. */
typedef void bare_regions_fn(void *ctx, const struct pw_region *vec, long n);

static int bare_ua_written(const struct bare_ua *u, uint64_t start, uint64_t end, bool wp,
			   struct pw_region *vec, bare_regions_fn *fn, void *ctx)
{
	struct pw_scan_arg a;
	long n;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = wp ? PW_SCAN_WP_MATCHING | PW_SCAN_CHECK_WPASYNC : 0;
	a.start = start;
	a.end = end;
	a.vec = (uintptr_t)vec;
	a.vec_len = SCAN_VEC;
	a.category_mask = a.return_mask = PW_PAGE_WRITTEN;
	for (;;) {
		n = ioctl(u->pm, PAGEMAP_SCAN_IOCTL, &a);
		if (n < 0)
			return -errno;
		fn(ctx, vec, n);
		if (n < SCAN_VEC || a.walk_end >= a.end)
			return 0;
		if (a.walk_end <= a.start)
			return -EIO;	/* no progress */
		a.start = a.walk_end;
	}
}

static void bare_ua_close(struct bare_ua *u)
{
	struct uffdio_range range = { .start = u->start, .len = u->end - u->start };

	if (u->uffd >= 0) {
		ioctl(u->uffd, UFFDIO_UNREGISTER, &range);
		close(u->uffd);
	}
	if (u->pm >= 0)
		close(u->pm);
	u->uffd = u->pm = -1;
}

static int bare_ua_open(struct bare_ua *u, char *base, size_t len)
{
	struct uffdio_api api = {
		.api = UFFD_API,
		.features = UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED,
	};
	struct uffdio_register reg;
	int r;

	u->start = (uintptr_t)base;
	u->end = u->start + len;
	u->pm = -1;
	u->uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	if (u->uffd < 0)
		return -errno;
	memset(&reg, 0, sizeof(reg));
	reg.range.start = u->start;
	reg.range.len = len;
	reg.mode = UFFDIO_REGISTER_MODE_WP;
	if (ioctl(u->uffd, UFFDIO_API, &api) || ioctl(u->uffd, UFFDIO_REGISTER, &reg)) {
		r = errno == EINVAL ? -EOPNOTSUPP : -errno;
		goto fail;
	}
	u->pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (u->pm < 0) {
		r = -errno;
		goto fail;
	}
	r = bare_ua_protect(u, u->start, u->end);
	if (r == -EINVAL || r == -ENOTTY)
		r = -EOPNOTSUPP;	/* no PAGEMAP_SCAN, or no WP_ASYNC */
	if (!r)
		return 0;
fail:
	bare_ua_close(u);
	return r;
}

/* uffd-wp sync: a thread reads each fault and un-protects its page. */
struct bare_us {
	int uffd;
	pthread_t thread;
	bool running;
	atomic_bool stop;	/* the handler returns after its next message */
	uint64_t start, end;
};

static void *bare_us_handler(void *arg)
{
	struct bare_us *u = arg;
	struct uffdio_writeprotect wp;
	struct uffd_msg m;
	ssize_t n;

	for (;;) {
		n = read(u->uffd, &m, sizeof(m));	/* blocking; a cancellation point */
		if (n != (ssize_t)sizeof(m)) {
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			return NULL;
		}
		if (m.event != UFFD_EVENT_PAGEFAULT)
			continue;
		wp.range.start = m.arg.pagefault.address & ~(uint64_t)(PAGE - 1);
		wp.range.len = PAGE;
		wp.mode = 0;			/* un-protect, which wakes the writer */
		ioctl(u->uffd, UFFDIO_WRITEPROTECT, &wp);
		if (atomic_load_explicit(&u->stop, memory_order_relaxed))
			return NULL;
	}
}

static int bare_us_protect(const struct bare_us *u, uint64_t start, uint64_t end)
{
	struct uffdio_writeprotect wp = {
		.range = { .start = start, .len = end - start },
		.mode = UFFDIO_WRITEPROTECT_MODE_WP,
	};

	return ioctl(u->uffd, UFFDIO_WRITEPROTECT, &wp) ? -errno : 0;
}

/* The handler stops at a fault of our own: a write to a page protected
 * for the purpose (no cancellation, no signal: nothing to race with). */
static void bare_us_close(struct bare_us *u)
{
	struct uffdio_range range = { .start = u->start, .len = u->end - u->start };

	if (u->running) {
		atomic_store(&u->stop, true);
		if (bare_us_protect(u, u->start, u->start + PAGE))
			pthread_cancel(u->thread);	/* no fault to send: the last resort */
		else
			*(volatile char *)(uintptr_t)u->start = *(volatile char *)(uintptr_t)u->start;
		pthread_join(u->thread, NULL);
		u->running = false;
	}
	if (u->uffd >= 0)
		ioctl(u->uffd, UFFDIO_UNREGISTER, &range);	/* resolves every protection */
	if (u->uffd >= 0)
		close(u->uffd);
	u->uffd = -1;
}

/* Kernel-mode faults too, as pagewatch's uffd-sync asks where allowed;
 * WP_UNPOPULATED as pagewatch asks for it where the kernel has it (6.4+:
 * UFFDIO_API refuses a feature it does not know, and only once per fd). */
static int bare_us_fd(bool unpopulated)
{
	struct uffdio_api api = {
		.api = UFFD_API,
		.features = unpopulated ? UFFD_FEATURE_WP_UNPOPULATED : 0,
	};
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);

	if (fd < 0 && errno == EPERM)
		fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, UFFDIO_API, &api)) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

static int bare_us_open(struct bare_us *u, char *base, size_t len)
{
	struct uffdio_register reg;
	int r;

	u->start = (uintptr_t)base;
	u->end = u->start + len;
	u->running = false;
	atomic_store(&u->stop, false);
	u->uffd = bare_us_fd(true);
	if (u->uffd == -EINVAL)
		u->uffd = bare_us_fd(false);
	if (u->uffd < 0)
		return u->uffd == -EINVAL ? -EOPNOTSUPP : u->uffd;
	memset(&reg, 0, sizeof(reg));
	reg.range.start = u->start;
	reg.range.len = len;
	reg.mode = UFFDIO_REGISTER_MODE_WP;
	if (ioctl(u->uffd, UFFDIO_REGISTER, &reg)) {
		r = errno == EINVAL ? -EOPNOTSUPP : -errno;
		goto fail;
	}
	r = -pthread_create(&u->thread, NULL, bare_us_handler, u);
	if (r)
		goto fail;
	u->running = true;
	r = bare_us_protect(u, u->start, u->end);
	if (!r)
		return 0;
fail:
	bare_us_close(u);
	return r;
}

/* mprotect + SIGSEGV: the handler makes the faulting page writable.  It is
 * installed only around the samples of the bare side; pagewatch's own is
 * put back after them.  A fault outside the bare range restores the
 * default action, so that it kills when the instruction runs again. */
static volatile uintptr_t bare_mp_lo, bare_mp_hi;
static struct sigaction bare_mp_saved;

static void bare_mp_handler(int sig, siginfo_t *si, void *uc)
{
	uintptr_t a = (uintptr_t)si->si_addr;

	(void)uc;
	if (a < bare_mp_lo || a >= bare_mp_hi ||
	    mprotect((void *)(a & ~(uintptr_t)(PAGE - 1)), PAGE, PROT_READ | PROT_WRITE))
		signal(sig, SIG_DFL);
}

static int bare_mp_enter(const struct region *g)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = bare_mp_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	bare_mp_lo = (uintptr_t)g->base;
	bare_mp_hi = (uintptr_t)g->base + g->len;
	return sigaction(SIGSEGV, &sa, &bare_mp_saved) ? -errno : 0;
}

static void bare_mp_leave(void)
{
	sigaction(SIGSEGV, &bare_mp_saved, NULL);
}

/* ---- the bench ---- */

struct bench {
	struct bench_opts o;
	bool smoke;
	FILE *csv;
	int reps;
	struct sizes sz;
	uint64_t t0;
	double *scratch;
	bool be_ok[NBE];
	char be_why[NBE][80];
	bool bare_ua_ok, bare_us_ok;
	char bare_ua_why[80], bare_us_why[80];
	struct acc acc[NTESTS][NBE];
	int met, missed;
	char loadavg[32];		/* /proc/loadavg's 1, 5, 15 min */
	char summary[4096];		/* the verdicts, one line each */
	size_t summary_len;
};

static void summary_add(struct bench *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* On a machine so loaded that retries would make the run long, stop
 * retrying preempted samples: the spread will show it. */
static struct bench_quiet *quiet(const struct bench *b, struct bench_quiet *q)
{
	if (bench_now_ns() - b->t0 > QUIET_UNTIL_NS)
		q->budget = q->retried;
	return q;
}

static void summary_add(struct bench *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->summary_len >= sizeof(b->summary))
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->summary + b->summary_len, sizeof(b->summary) - b->summary_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->summary_len += (size_t)n;
	if (b->summary_len >= sizeof(b->summary))
		b->summary_len = sizeof(b->summary) - 1;
}

/* Judge a median, count it, and say it in the summary. */
static const char *judge(struct bench *b, const char *what, const struct bench_stats *s,
			 double target, bool at_most, const char *unit)
{
	const char *v = bench_verdict(s->median, target, at_most, b->smoke);

	b->met += !strcmp(v, "met");
	b->missed += !strcmp(v, "MISSED");
	summary_add(b, "- %s: %.3g%s [p10 %.3g, p90 %.3g], target %s %.3g%s: **%s**\n", what,
		    s->median, unit, s->p10, s->p90, at_most ? "<=" : ">=", target, unit, v);
	return v;
}

static void print_stat(const struct bench_stats *s, int prec)
{
	printf(" %.*f [%.*f, %.*f] |", prec, s->median, prec, s->p10, prec, s->p90);
}

static void csv_stat(const struct bench *b, const char *layout, const char *query,
		     const char *metric, const char *unit, const struct bench_stats *s,
		     const char *target, const char *verdict, const char *note)
{
	bench_csv_row(b->csv, "watch", layout, query, metric, unit, s, target, verdict, note);
}

/* Compare what a get reported (pages[0..n), any order) with the set
 * expected in the bitmap exp over [base, base + npages pages). */
static void account(struct bench *b, enum test t, enum pw_backend be, const char *base,
		    size_t npages, const uint64_t *exp, size_t nexp, void *const *pages,
		    size_t n, uint64_t *seen)
{
	struct acc *a = &b->acc[t][be];
	size_t i, hit = 0;

	memset(seen, 0, words(npages) * sizeof(*seen));
	a->checks++;
	a->pages += nexp;
	for (i = 0; i < n; i++) {
		uintptr_t p = (uintptr_t)pages[i];
		size_t k = (p - (uintptr_t)base) / PAGE;

		if (p < (uintptr_t)base || k >= npages || p % PAGE || bit_get(seen, k) ||
		    !bit_get(exp, k)) {
			a->fp++;
			continue;
		}
		bit_set(seen, k);
		hit++;
	}
	a->fn += nexp - hit;
}

/*
 * Why a side has no results: what failed, and how.  The one failure known
 * to come from combining backends gets its explanation: soft-dirty parks
 * every other thread around its clear_refs (stop_world.c), and the handler
 * thread of a uffd-sync watch blocks every signal, so while a uffd-sync
 * watch exists each soft-dirty start, get and reset gives up with -EAGAIN.
 */
static void side_failed(char *why, size_t size, const char *what, int err, enum pw_backend be)
{
	snprintf(why, size, "n/a (%s: %s%s)", what, strerror(-err),
		 err == -EAGAIN && be == PW_BACKEND_SOFT_DIRTY ?
		 "; cannot park a uffd-sync watch's handler thread" : "");
	fprintf(stderr, "watch_bench: %s: %s\n", pw_backend_name(be), why);
}

/* The backends pagewatch offers here, each tried on a small range. */
static void probe_backends(struct bench *b)
{
	struct region g;
	struct bare_ua ua;
	struct bare_us us;
	size_t i;
	int r;

	if (region_new(&g, 16, POP_ALLOC)) {
		fprintf(stderr, "watch_bench: no memory for the probe\n");
		return;
	}
	for (i = 0; i < NBACKENDS; i++) {
		enum pw_backend be = backends[i];
		struct pw_watch *w;

		r = pw_watch_start(&w, g.base, g.len, be);
		b->be_ok[be] = !r;
		if (!r)
			pw_watch_stop(w);
		else if (r == -EOPNOTSUPP)
			snprintf(b->be_why[be], sizeof(b->be_why[be]), "n/a (kernel lacks it)");
		else
			snprintf(b->be_why[be], sizeof(b->be_why[be]), "n/a (start: %s)",
				 strerror(-r));
	}
	r = bare_ua_open(&ua, g.base, g.len);
	b->bare_ua_ok = !r;
	if (!r)
		bare_ua_close(&ua);
	else
		snprintf(b->bare_ua_why, sizeof(b->bare_ua_why), "n/a (%s)",
			 r == -EOPNOTSUPP ? "kernel lacks it" : strerror(-r));
	r = bare_us_open(&us, g.base, g.len);
	b->bare_us_ok = !r;
	if (!r)
		bare_us_close(&us);
	else
		snprintf(b->bare_us_why, sizeof(b->bare_us_why), "n/a (%s)",
			 r == -EOPNOTSUPP ? "kernel lacks it" : strerror(-r));
	region_free(&g);
}

/*
 * k distinct random pages of npages: the bitmap exp, and set[0..k)
 * ascending.  perm (npages entries) is scratch for dense picks.
 */
static void pick_pages(size_t npages, size_t k, uint64_t *seed, uint64_t *exp, size_t *set,
		       size_t *perm)
{
	size_t i, n = 0;

	memset(exp, 0, words(npages) * sizeof(*exp));
	if (k * 4 < npages) {
		while (n < k) {
			i = (size_t)(bench_rng_next(seed) % npages);
			if (!bit_get(exp, i)) {
				bit_set(exp, i);
				n++;
			}
		}
	} else {
		for (i = 0; i < npages; i++)
			perm[i] = i;
		for (i = 0; i < k; i++) {	/* partial Fisher-Yates */
			size_t j = i + (size_t)(bench_rng_next(seed) % (npages - i)), t = perm[i];

			perm[i] = perm[j];
			perm[j] = t;
			bit_set(exp, perm[i]);
		}
	}
	for (i = 0, n = 0; i < npages; i++)
		if (bit_get(exp, i))
			set[n++] = i;
}

/* ======================================================================
 * 1 and 4: writes to protected pages
 * ====================================================================== */

enum wside { WS_PLAIN, WS_UA_BARE, WS_UA_PW, WS_US_BARE, WS_US_PW, WS_MP_BARE, WS_MP_PW,
	     WS_SD_PW, NWS };

struct wside_def {
	const char *key;
	const char *title;
	enum pw_backend be;	/* PW_BACKEND_AUTO: the plain write */
	bool pw;		/* pagewatch, else the bare mechanism */
	bool waits;		/* resolved by another thread: no preemption check */
};

static const struct wside_def wsides[NWS] = {
	[WS_PLAIN]   = { "plain", "plain write, page already writable", PW_BACKEND_AUTO, false, false },
	[WS_UA_BARE] = { "bare-uffd-async", "bare uffd-wp async", PW_BACKEND_UFFD_ASYNC, false, false },
	[WS_UA_PW]   = { "pw-uffd-async", "pagewatch uffd-async", PW_BACKEND_UFFD_ASYNC, true, false },
	[WS_US_BARE] = { "bare-uffd-sync", "bare uffd-wp + handler thread", PW_BACKEND_UFFD_SYNC,
			 false, true },
	[WS_US_PW]   = { "pw-uffd-sync", "pagewatch uffd-sync", PW_BACKEND_UFFD_SYNC, true, true },
	[WS_MP_BARE] = { "bare-mprotect", "bare mprotect + SIGSEGV", PW_BACKEND_MPROTECT, false,
			 false },
	[WS_MP_PW]   = { "pw-mprotect", "pagewatch mprotect", PW_BACKEND_MPROTECT, true, false },
	[WS_SD_PW]   = { "pw-soft-dirty", "pagewatch soft-dirty", PW_BACKEND_SOFT_DIRTY, true, false },
};

/* The pagewatch side and the bare side of each backend (-1: none). */
static int pw_side_of(enum pw_backend be)
{
	int s;

	for (s = 0; s < NWS; s++)
		if (wsides[s].pw && wsides[s].be == be)
			return s;
	return -1;
}

static int bare_side_of(enum pw_backend be)
{
	int s;

	for (s = 1; s < NWS; s++)
		if (!wsides[s].pw && wsides[s].be == be)
			return s;
	return -1;
}

static const double fw_target[NBE] = {
	[PW_BACKEND_UFFD_ASYNC] = 1.15, [PW_BACKEND_UFFD_SYNC] = 1.3,
	[PW_BACKEND_MPROTECT] = 1.3,
};

struct wtarget {
	const struct wside_def *d;
	enum wside side;
	bool have;
	char why[80];
	struct region g;
	struct pw_watch *w;
	struct bare_ua ua;
	struct bare_us us;
};

static int wt_setup(struct bench *b, struct wtarget *t, enum wside s, size_t pages)
{
	const struct wside_def *d = &wsides[s];
	int r;

	memset(t, 0, sizeof(*t));
	t->d = d;
	t->side = s;
	t->ua.uffd = t->ua.pm = t->us.uffd = -1;
	if (d->pw && !b->be_ok[d->be]) {
		snprintf(t->why, sizeof(t->why), "%s", b->be_why[d->be]);
		return 0;
	}
	if ((s == WS_UA_BARE && !b->bare_ua_ok) || (s == WS_US_BARE && !b->bare_us_ok)) {
		snprintf(t->why, sizeof(t->why), "%s",
			 s == WS_UA_BARE ? b->bare_ua_why : b->bare_us_why);
		return 0;
	}
	r = region_new(&t->g, pages, POP_ALLOC);
	if (!r) {
		switch (s) {
		case WS_PLAIN:
			break;
		case WS_UA_BARE:
			r = bare_ua_open(&t->ua, t->g.base, t->g.len);
			break;
		case WS_US_BARE:
			r = bare_us_open(&t->us, t->g.base, t->g.len);
			break;
		case WS_MP_BARE:
			r = mprotect(t->g.base, t->g.len, PROT_READ) ? -errno : 0;
			break;
		default:
			r = pw_watch_start(&t->w, t->g.base, t->g.len, d->be);
			break;
		}
	}
	if (r) {
		side_failed(t->why, sizeof(t->why), "set-up", r, d->be);
		region_free(&t->g);
		return 0;
	}
	t->have = true;
	return 0;
}

static void wt_teardown(struct wtarget *t)
{
	if (!t->have)
		return;
	if (t->w)
		pw_watch_stop(t->w);
	if (t->side == WS_UA_BARE)
		bare_ua_close(&t->ua);
	if (t->side == WS_US_BARE)
		bare_us_close(&t->us);
	region_free(&t->g);
	t->have = false;
}

/* Every page of the range clean (protected) again. */
static int wt_reset(struct wtarget *t)
{
	uint64_t s = (uintptr_t)t->g.base, e = s + t->g.len;

	switch (t->side) {
	case WS_PLAIN:
		return 0;
	case WS_UA_BARE:
		return bare_ua_protect(&t->ua, s, e);
	case WS_US_BARE:
		return bare_us_protect(&t->us, s, e);
	case WS_MP_BARE:
		return mprotect(t->g.base, t->g.len, PROT_READ) ? -errno : 0;
	default:
		return pw_watch_reset(t->w, t->g.base, t->g.len);
	}
}

static int wt_enter(struct wtarget *t)
{
	return t->side == WS_MP_BARE ? bare_mp_enter(&t->g) : 0;
}

static void wt_leave(struct wtarget *t)
{
	if (t->side == WS_MP_BARE)
		bare_mp_leave();
}

/* After a sample: what pagewatch reports must be exactly the pages
 * written (pagewatch sides only); then everything clean again, at once,
 * so that only one range at a time holds split mappings. */
static int wt_after(struct bench *b, enum test test, struct wtarget *t, const uint64_t *exp,
		    size_t nexp, void **pages, uint64_t *seen)
{
	size_t n = t->g.pages;
	int r;

	if (t->d->pw) {
		r = pw_watch_get(t->w, t->g.base, t->g.len, 0, pages, &n);
		if (r) {
			b->acc[test][t->d->be].errors++;
			fprintf(stderr, "watch_bench: %s: pw_watch_get: %s\n", t->d->key,
				strerror(-r));
			n = 0;
		}
		account(b, test, t->d->be, t->g.base, t->g.pages, exp, nexp, pages, n, seen);
	}
	return wt_reset(t);
}

/* The expected set of every write test: every other page, nexp of them. */
static uint64_t *even_pages(size_t npages, size_t nexp)
{
	uint64_t *m = calloc(words(npages), sizeof(*m));
	size_t i;

	if (m)
		for (i = 0; i < nexp; i++)
			bit_set(m, 2 * i);
	return m;
}

/* ---- 1: first write after a reset, one thread ---- */

struct fw_run {
	struct wtarget *t;
	size_t nwrites;
	char val;
};

static int fw_prep(void *ctx)
{
	return wt_reset(((struct fw_run *)ctx)->t);
}

static int fw_write(void *ctx)
{
	struct fw_run *f = ctx;

	write_pages(f->t->g.base, 0, f->nwrites, 2, f->val);
	return 0;
}


/* Statistics of v[0..reps) without disturbing v: its order makes the pairs. */
static void stats_of(struct bench *b, const double *v, struct bench_stats *s)
{
	memcpy(b->scratch, v, (size_t)b->reps * sizeof(*v));
	bench_stats_of(b->scratch, (size_t)b->reps, s);
}

static void ratio_of(struct bench *b, const double *num, const double *den,
		     struct bench_stats *s)
{
	bench_ratio_stats(num, den, (size_t)b->reps, b->scratch, s);
}

struct fw_result {
	bool ran;
	bool have[NWS];
	char why[NWS][80];
	struct bench_stats t[NWS];		/* ns per write */
	struct bench_stats to_plain[NWS];	/* side / plain write, paired */
	struct bench_stats pw_bare[NBE];	/* pagewatch / bare mechanism, paired */
	bool have_pw_bare[NBE];
	struct bench_quiet quiet;
};

static int first_write(struct bench *b, struct fw_result *res)
{
	struct wtarget t[NWS];
	double *smp[NWS] = { 0 };
	size_t nw = b->sz.fw_writes, npages = 2 * nw, i;
	uint64_t *exp = even_pages(npages, nw), *seen = calloc(words(npages), sizeof(uint64_t));
	void **pages = calloc(npages, sizeof(void *));
	int s, rep, r = exp && seen && pages ? 0 : -ENOMEM;
	unsigned k;

	memset(t, 0, sizeof(t));
	for (s = 0; !r && s < NWS; s++) {
		smp[s] = calloc((size_t)b->reps, sizeof(double));
		r = smp[s] ? wt_setup(b, &t[s], (enum wside)s, npages) : -ENOMEM;
		res->have[s] = t[s].have;
		snprintf(res->why[s], sizeof(res->why[s]), "%s", t[s].why);
	}
	res->quiet.tries = QUIET_TRIES;
	res->quiet.budget = QUIET_BUDGET * NWS * (unsigned)b->reps;
	/* rep -1: one untimed round (page tables, caches, handler threads). */
	for (rep = -1; !r && rep < b->reps; rep++) {
		for (k = 0; !r && k < NWS; k++) {
			struct fw_run f;
			uint64_t ns = 0;

			s = (int)(((unsigned)(rep + 1) + k) % NWS);
			if (!res->have[s])
				continue;
			f.t = &t[s];
			f.nwrites = nw;
			f.val = (char)(rep + 3);
			r = wt_enter(&t[s]);
			if (!r)
				r = bench_sample_prepared(fw_prep, fw_write, &f,
							  wsides[s].waits ? NULL : quiet(b, &res->quiet), &ns);
			wt_leave(&t[s]);
			if (!r)
				r = wt_after(b, T_FIRST, &t[s], exp, nw, pages, seen);
			if (r) {	/* this side has no results; the others go on */
				side_failed(res->why[s], sizeof(res->why[s]), "failed", r,
					    wsides[s].be);
				res->have[s] = false;
				r = 0;
			} else if (rep >= 0) {
				smp[s][rep] = (double)ns / (double)nw;
			}
		}
	}
	for (s = 0; !r && s < NWS; s++) {
		if (!res->have[s])
			continue;
		stats_of(b, smp[s], &res->t[s]);
		if (res->have[WS_PLAIN])
			ratio_of(b, smp[s], smp[WS_PLAIN], &res->to_plain[s]);
	}
	for (i = 0; !r && i < NBACKENDS; i++) {
		enum pw_backend be = backends[i];
		int ps = pw_side_of(be), bs = bare_side_of(be);

		res->have_pw_bare[be] = ps >= 0 && bs >= 0 && res->have[ps] && res->have[bs];
		if (res->have_pw_bare[be])
			ratio_of(b, smp[ps], smp[bs], &res->pw_bare[be]);
	}
	res->ran = !r;
	for (s = 0; s < NWS; s++) {
		wt_teardown(&t[s]);
		free(smp[s]);
	}
	free(exp);
	free(seen);
	free(pages);
	return r;
}

/* ---- 4: first writes by one and by two threads ---- */

struct pool {
	pthread_t th[MAXTHREADS];
	unsigned started;
	pthread_barrier_t go, done;
	atomic_uint ready;
	unsigned active;	/* threads that write this round */
	bool quit;
	char *base;
	size_t nwrites;		/* in all; each thread a contiguous share */
	char val;
	uint64_t t0[MAXTHREADS], t1[MAXTHREADS];
	uint64_t cpu[MAXTHREADS], wall[MAXTHREADS];	/* CPU time in that wall time */
	size_t n[MAXTHREADS];
};

struct worker {
	struct pool *p;
	unsigned i;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct pool *p = w->p;
	unsigned i = w->i;
	uint64_t w0, c0;

	for (;;) {
		pthread_barrier_wait(&p->go);
		if (p->quit)
			return NULL;
		if (i < p->active) {
			size_t per = p->nwrites / p->active;
			size_t from = i * per, to = i + 1 == p->active ? p->nwrites : from + per;

			/* Start together: neither writes alone for long. */
			atomic_fetch_add(&p->ready, 1);
			while (atomic_load(&p->ready) < p->active)
				cpu_relax();
			/* The CPU clock is read inside a wall interval of its own:
			 * its share is then never above 1. */
			w0 = bench_now_ns();
			c0 = bench_thread_cpu_ns();
			p->t0[i] = bench_now_ns();
			write_pages(p->base, from, to, 2, p->val);
			p->t1[i] = bench_now_ns();
			p->cpu[i] = bench_thread_cpu_ns() - c0;
			p->wall[i] = bench_now_ns() - w0;
			p->n[i] = to - from;
		}
		pthread_barrier_wait(&p->done);
	}
}

static struct worker workers[MAXTHREADS];

static int pool_start(struct pool *p)
{
	unsigned i;
	int r;

	memset(p, 0, sizeof(*p));
	if (pthread_barrier_init(&p->go, NULL, MAXTHREADS + 1) ||
	    pthread_barrier_init(&p->done, NULL, MAXTHREADS + 1))
		return -ENOMEM;
	for (i = 0; i < MAXTHREADS; i++) {
		workers[i].p = p;
		workers[i].i = i;
		r = pthread_create(&p->th[i], NULL, worker_main, &workers[i]);
		if (r)
			return -r;	/* the others wait for ever: the run ends */
		p->started++;
	}
	return 0;
}

static void pool_run(struct pool *p, char *base, size_t nwrites, unsigned active, char val)
{
	p->base = base;
	p->nwrites = nwrites;
	p->active = active;
	p->val = val;
	atomic_store(&p->ready, 0);
	pthread_barrier_wait(&p->go);
	pthread_barrier_wait(&p->done);
}

static void pool_stop(struct pool *p)
{
	unsigned i;

	p->quit = true;
	pthread_barrier_wait(&p->go);
	for (i = 0; i < p->started; i++)
		pthread_join(p->th[i], NULL);
	pthread_barrier_destroy(&p->go);
	pthread_barrier_destroy(&p->done);
}

struct thr_result {
	bool ran;
	bool have[NWS];
	char why[NWS][80];
	struct bench_stats t[NWS][MAXTHREADS];	/* ns per write, each thread's own, by threads - 1 */
	struct bench_stats agg[NWS][MAXTHREADS];	/* wall time of the round / writes */
	struct bench_stats oncpu[NWS][MAXTHREADS];	/* CPU time / wall time, per thread */
	struct bench_stats scale[NWS];		/* 2 threads / 1 thread, paired */
	struct bench_stats pw_bare[NBE][MAXTHREADS];
	bool have_pw_bare[NBE];
};

static int threads(struct bench *b, struct thr_result *res)
{
	struct wtarget t[NWS];
	struct pool pool;
	double *smp[NWS][MAXTHREADS] = { { 0 } }, *agg[NWS][MAXTHREADS] = { { 0 } };
	double *oncpu[NWS][MAXTHREADS] = { { 0 } };
	size_t nw = b->sz.thr_writes, npages = 2 * nw, i;
	uint64_t *exp = even_pages(npages, nw), *seen = calloc(words(npages), sizeof(uint64_t));
	void **pages = calloc(npages, sizeof(void *));
	int s, rep, r = exp && seen && pages ? 0 : -ENOMEM;
	unsigned k, nt, a, ncombo = NWS * MAXTHREADS;
	bool pool_ok = false;

	memset(t, 0, sizeof(t));
	for (s = 0; !r && s < NWS; s++) {
		for (nt = 0; !r && nt < MAXTHREADS; nt++) {
			smp[s][nt] = calloc((size_t)b->reps, sizeof(double));
			agg[s][nt] = calloc((size_t)b->reps, sizeof(double));
			oncpu[s][nt] = calloc((size_t)b->reps, sizeof(double));
			if (!smp[s][nt] || !agg[s][nt] || !oncpu[s][nt])
				r = -ENOMEM;
		}
		if (!r)
			r = wt_setup(b, &t[s], (enum wside)s, npages);
		res->have[s] = t[s].have;
		snprintf(res->why[s], sizeof(res->why[s]), "%s", t[s].why);
	}
	if (!r) {
		r = pool_start(&pool);
		pool_ok = !r;
	}
	/* Every (side, thread count) is one side of the alternation. */
	for (rep = -1; !r && rep < b->reps; rep++) {
		for (k = 0; !r && k < ncombo; k++) {
			unsigned c = ((unsigned)(rep + 1) + k) % ncombo;
			uint64_t lo = UINT64_MAX, hi = 0;
			double sum = 0, share = 0;

			s = (int)(c / MAXTHREADS);
			nt = c % MAXTHREADS;
			if (!res->have[s])
				continue;
			r = wt_reset(&t[s]);
			if (!r)
				r = wt_enter(&t[s]);
			if (!r)
				pool_run(&pool, t[s].g.base, nw, nt + 1, (char)(rep + 3));
			wt_leave(&t[s]);
			if (!r)
				r = wt_after(b, T_THREADS, &t[s], exp, nw, pages, seen);
			if (r) {	/* this side has no results; the others go on */
				side_failed(res->why[s], sizeof(res->why[s]), "failed", r,
					    wsides[s].be);
				res->have[s] = false;
				r = 0;
				continue;
			}
			if (rep < 0)
				continue;
			for (a = 0; a <= nt; a++) {
				sum += (double)(pool.t1[a] - pool.t0[a]) / (double)pool.n[a];
				share += (double)pool.cpu[a] / (double)(pool.wall[a] + 1);
				lo = pool.t0[a] < lo ? pool.t0[a] : lo;
				hi = pool.t1[a] > hi ? pool.t1[a] : hi;
			}
			smp[s][nt][rep] = sum / (nt + 1);
			oncpu[s][nt][rep] = share / (nt + 1);
			agg[s][nt][rep] = (double)(hi - lo) / (double)nw;
		}
	}
	if (pool_ok)
		pool_stop(&pool);
	for (s = 0; !r && s < NWS; s++) {
		if (!res->have[s])
			continue;
		for (nt = 0; nt < MAXTHREADS; nt++) {
			stats_of(b, smp[s][nt], &res->t[s][nt]);
			stats_of(b, agg[s][nt], &res->agg[s][nt]);
			stats_of(b, oncpu[s][nt], &res->oncpu[s][nt]);
		}
		ratio_of(b, smp[s][MAXTHREADS - 1], smp[s][0], &res->scale[s]);
	}
	for (i = 0; !r && i < NBACKENDS; i++) {
		enum pw_backend be = backends[i];
		int ps = pw_side_of(be), bs = bare_side_of(be);

		res->have_pw_bare[be] = ps >= 0 && bs >= 0 && res->have[ps] && res->have[bs];
		for (nt = 0; res->have_pw_bare[be] && nt < MAXTHREADS; nt++)
			ratio_of(b, smp[ps][nt], smp[bs][nt], &res->pw_bare[be][nt]);
	}
	res->ran = !r;
	for (s = 0; s < NWS; s++) {
		wt_teardown(&t[s]);
		for (nt = 0; nt < MAXTHREADS; nt++) {
			free(smp[s][nt]);
			free(agg[s][nt]);
			free(oncpu[s][nt]);
		}
	}
	free(exp);
	free(seen);
	free(pages);
	return r;
}

/* ======================================================================
 * 2: get with reset of a big range, few pages written
 * ====================================================================== */

enum gside { GS_UA_RAW, GS_UA_PW, GS_US_PW, GS_SD_PW, GS_MP_PW, NGS };

struct gside_def {
	const char *key;
	const char *title;
	enum pw_backend be;
	bool pw;
};

static const struct gside_def gsides[NGS] = {
	[GS_UA_RAW] = { "raw-scan", "raw PAGEMAP_SCAN loop, bare uffd-wp async",
			PW_BACKEND_UFFD_ASYNC, false },
	[GS_UA_PW]  = { "pw-uffd-async", "pagewatch uffd-async", PW_BACKEND_UFFD_ASYNC, true },
	[GS_US_PW]  = { "pw-uffd-sync", "pagewatch uffd-sync", PW_BACKEND_UFFD_SYNC, true },
	[GS_SD_PW]  = { "pw-soft-dirty", "pagewatch soft-dirty", PW_BACKEND_SOFT_DIRTY, true },
	[GS_MP_PW]  = { "pw-mprotect", "pagewatch mprotect", PW_BACKEND_MPROTECT, true },
};

struct gtarget {
	bool have;
	char why[80];
	struct region g;
	struct pw_watch *w;
	struct bare_ua ua;
};

struct grun {
	struct gtarget *t;
	enum gside side;
	const size_t *set;
	size_t nset;
	char val;
	void **buf;		/* GET_BUF pages */
	size_t nbuf;		/* ... of them filled */
	struct pw_region *vec;	/* SCAN_VEC regions */
	uint64_t *seen;		/* pages collected in this sample */
	size_t extra;		/* ... and collected again, or outside the range */
};

/* What both sides do with a batch of collected pages: note them. */
static void g_consume(struct grun *g, void *const *pages, size_t n)
{
	uintptr_t base = (uintptr_t)g->t->g.base;
	size_t i, k;

	for (i = 0; i < n; i++) {
		k = ((uintptr_t)pages[i] - base) / PAGE;
		if ((uintptr_t)pages[i] < base || k >= g->t->g.pages || bit_get(g->seen, k))
			g->extra++;
		else
			bit_set(g->seen, k);
	}
}

static int g_prep(void *ctx)
{
	struct grun *g = ctx;
	volatile char *p = g->t->g.base;
	size_t i;

	memset(g->seen, 0, words(g->t->g.pages) * sizeof(uint64_t));
	g->extra = 0;
	for (i = 0; i < g->nset; i++)
		p[g->set[i] * PAGE] = g->val;
	return 0;
}

/* pw_watch_get with reset, GET_BUF pages at a time, until a call returns
 * fewer: then every written page has been collected. */
static int g_pw(struct grun *g)
{
	uint64_t cur = (uintptr_t)g->t->g.base, end = cur + g->t->g.len;
	size_t n;
	int r;

	for (;;) {
		n = GET_BUF;
		r = pw_watch_get(g->t->w, (void *)(uintptr_t)cur, end - cur, PW_WATCH_RESET,
				 g->buf, &n);
		if (r)
			return r;
		g_consume(g, g->buf, n);
		if (n < GET_BUF)
			return 0;
		cur = (uintptr_t)g->buf[n - 1] + PAGE;
		if (cur >= end)
			return 0;
	}
}

/* One call's regions expanded into the page buffer, noted when it fills. */
static void g_expand(void *ctx, const struct pw_region *vec, long n)
{
	struct grun *g = ctx;
	uint64_t p;
	long i;

	for (i = 0; i < n; i++) {
		for (p = vec[i].start; p < vec[i].end; p += PAGE) {
			if (g->nbuf == GET_BUF) {
				g_consume(g, g->buf, g->nbuf);
				g->nbuf = 0;
			}
			g->buf[g->nbuf++] = (void *)(uintptr_t)p;
		}
	}
}

/* The same by hand: PAGEMAP_SCAN reporting and re-protecting the written
 * pages, expanded into the same page buffer. */
static int g_raw(struct grun *g)
{
	uint64_t start = (uintptr_t)g->t->g.base;
	int r;

	g->nbuf = 0;
	r = bare_ua_written(&g->t->ua, start, start + g->t->g.len, true, g->vec, g_expand, g);
	if (!r)
		g_consume(g, g->buf, g->nbuf);
	return r;
}

static int g_call(void *ctx)
{
	struct grun *g = ctx;

	return g->side == GS_UA_RAW ? g_raw(g) : g_pw(g);
}

struct get_result {
	bool ran;
	bool have[NGS];
	char why[NGS][80];
	size_t pages, written;
	struct bench_stats ms[NGS];		/* per whole collection */
	struct bench_stats to_raw[NGS];		/* paired */
	struct bench_quiet quiet;
};

static int get_reset(struct bench *b, struct get_result *res)
{
	struct gtarget t[NGS];
	double *smp[NGS] = { 0 };
	size_t npages = b->sz.get_pages, k = npages / 100 ? npages / 100 : 1, i, nexp;
	uint64_t *exp = calloc(words(npages), sizeof(uint64_t));
	uint64_t seed = 0x243f6a8885a308d3ULL;
	size_t *set = calloc(k, sizeof(size_t)), *perm = calloc(npages, sizeof(size_t));
	uint64_t t0 = bench_now_ns();
	struct grun g;
	int s, rep, r = exp && set && perm ? 0 : -ENOMEM;
	unsigned c;

	memset(t, 0, sizeof(t));
	memset(&g, 0, sizeof(g));
	g.buf = calloc(GET_BUF, sizeof(void *));
	g.vec = calloc(SCAN_VEC, sizeof(struct pw_region));
	g.seen = calloc(words(npages), sizeof(uint64_t));
	if (!g.buf || !g.vec || !g.seen)
		r = -ENOMEM;
	res->pages = npages;
	res->written = k;
	for (s = 0; !r && s < NGS; s++) {
		const struct gside_def *d = &gsides[s];

		smp[s] = calloc((size_t)b->reps, sizeof(double));
		if (!smp[s]) {
			r = -ENOMEM;
			break;
		}
		if (d->pw && !b->be_ok[d->be]) {
			snprintf(res->why[s], sizeof(res->why[s]), "%s", b->be_why[d->be]);
			continue;
		}
		if (!d->pw && !b->bare_ua_ok) {
			snprintf(res->why[s], sizeof(res->why[s]), "%s", b->bare_ua_why);
			continue;
		}
		fprintf(stderr, "watch_bench: get with reset: setting up %s\n", d->key);
		t[s].ua.uffd = t[s].ua.pm = -1;
		r = region_new(&t[s].g, npages, POP_ZERO_PAGE);
		if (!r)
			r = d->pw ? pw_watch_start(&t[s].w, t[s].g.base, t[s].g.len, d->be)
				  : bare_ua_open(&t[s].ua, t[s].g.base, t[s].g.len);
		if (r) {
			side_failed(res->why[s], sizeof(res->why[s]), "set-up", r, d->be);
			t[s].w = NULL;
			region_free(&t[s].g);
			r = 0;
			continue;
		}
		t[s].have = res->have[s] = true;
	}
	fprintf(stderr, "watch_bench: get with reset: set up in %.1f s\n",
		(double)(bench_now_ns() - t0) / 1e9);
	t0 = bench_now_ns();
	res->quiet.tries = QUIET_TRIES;
	res->quiet.budget = QUIET_BUDGET * NGS * (unsigned)b->reps;
	for (rep = -1; !r && rep < b->reps; rep++) {
		/* The same fresh random pages for every side of a repetition. */
		pick_pages(npages, k, &seed, exp, set, perm);
		nexp = k;
		for (c = 0; !r && c < NGS; c++) {
			uint64_t ns = 0;
			size_t fp = 0, fn = 0;

			s = (int)(((unsigned)(rep + 1) + c) % NGS);
			if (!res->have[s])
				continue;
			g.t = &t[s];
			g.side = (enum gside)s;
			g.set = set;
			g.nset = k;
			g.val = (char)(rep + 3);
			r = bench_sample_prepared(g_prep, g_call, &g, quiet(b, &res->quiet), &ns);
			if (r) {	/* this side has no results; the others go on */
				side_failed(res->why[s], sizeof(res->why[s]), "failed", r,
					    gsides[s].be);
				if (gsides[s].pw)
					b->acc[T_GET][gsides[s].be].errors++;
				res->have[s] = false;
				r = 0;
				continue;
			}
			if (rep >= 0)
				smp[s][rep] = (double)ns / 1e6;
			for (i = 0; i < words(npages); i++) {
				fp += (size_t)__builtin_popcountll(g.seen[i] & ~exp[i]);
				fn += (size_t)__builtin_popcountll(exp[i] & ~g.seen[i]);
			}
			if (gsides[s].pw) {
				struct acc *a = &b->acc[T_GET][gsides[s].be];

				a->checks++;
				a->pages += nexp;
				a->fp += fp + g.extra;
				a->fn += fn;
			} else if (fp || fn || g.extra) {
				fprintf(stderr, "watch_bench: raw scan: %zu false positives, %zu "
					"false negatives\n", fp + g.extra, fn);
			}
		}
	}
	for (s = 0; !r && s < NGS; s++) {
		if (!res->have[s])
			continue;
		stats_of(b, smp[s], &res->ms[s]);
		if (res->have[GS_UA_RAW])
			ratio_of(b, smp[s], smp[GS_UA_RAW], &res->to_raw[s]);
	}
	res->ran = !r;
	fprintf(stderr, "watch_bench: get with reset: measured in %.1f s\n",
		(double)(bench_now_ns() - t0) / 1e9);
	for (s = 0; s < NGS; s++) {
		if (t[s].w)
			pw_watch_stop(t[s].w);
		if (t[s].have && !gsides[s].pw)
			bare_ua_close(&t[s].ua);
		region_free(&t[s].g);
		free(smp[s]);
	}
	free(exp);
	free(set);
	free(perm);
	free(g.buf);
	free(g.vec);
	free(g.seen);
	return r;
}

/* ======================================================================
 * 3: snapshot restore
 * ====================================================================== */

/* memcpy: the whole range; copy only: exactly the pages written, known in
 * advance, no tracking at all -- the floor of any restore; bare uffd-async:
 * the least a restore on the kernel's mechanism does (one PAGEMAP_SCAN
 * query, the copy, one re-protection of the span), blind to racing
 * writers; then the backends' pw_snapshot_restore. */
enum sside { SS_MEMCPY, SS_COPY, SS_BARE, SS_UA, SS_US, SS_SD, SS_MP, NSS };
#define SS_FIRST_BE	SS_UA

static const enum pw_backend sside_be[NSS] = {
	PW_BACKEND_AUTO, PW_BACKEND_AUTO, PW_BACKEND_UFFD_ASYNC, PW_BACKEND_UFFD_ASYNC,
	PW_BACKEND_UFFD_SYNC, PW_BACKEND_SOFT_DIRTY, PW_BACKEND_MPROTECT,
};

static const char *sside_name(int s)
{
	if (s == SS_MEMCPY)
		return "memcpy";
	if (s == SS_COPY)
		return "copy only";
	return s == SS_BARE ? "bare uffd-async" : pw_backend_name(sside_be[s]);
}

static const double fractions[] = { 0.001, 0.01, 0.1, 0.5, 1.0 };
#define NFRAC		(sizeof(fractions) / sizeof(fractions[0]))
#define FRAC_JUDGED	1		/* 1% */
#define RESTORE_TARGET	0.03

struct starget {
	bool have;
	struct region g;
	struct pw_watch *w;
	struct pw_snapshot *snap;
	struct bare_ua ua;		/* SS_BARE */
	struct pw_region vec[SCAN_VEC];
};

struct srun {
	enum sside side;
	struct starget *t;
	const size_t *set;
	size_t nset;
	long restored;
	char *src, *dst;
	size_t len;
};

static int s_prep(void *ctx)
{
	struct srun *sr = ctx;
	volatile char *p;
	size_t i;

	if (sr->side == SS_MEMCPY)
		return 0;
	p = sr->t->g.base;
	for (i = 0; i < sr->nset; i++)
		p[sr->set[i] * PAGE] = DIRTY_BYTE;
	return 0;
}

struct bare_copy {
	uint64_t base;		/* of the range; src holds its saved copy */
	const char *src;
	uint64_t first, last;	/* the span copied back */
};

static void s_copy_regions(void *ctx, const struct pw_region *vec, long n)
{
	struct bare_copy *c = ctx;
	long i;

	for (i = 0; i < n; i++) {
		memcpy((void *)(uintptr_t)vec[i].start, c->src + (vec[i].start - c->base),
		       vec[i].end - vec[i].start);
		c->first = c->first ? c->first : vec[i].start;
		c->last = vec[i].end;
	}
}

/* The bare restore: the written pages from PAGEMAP_SCAN, each region copied
 * back, then their span protected again in one call (vec_len 0: the
 * kernel's cheapest re-protection). */
static int s_bare(struct srun *sr)
{
	struct starget *t = sr->t;
	struct bare_copy c = { .base = (uintptr_t)t->g.base, .src = sr->src };
	int r = bare_ua_written(&t->ua, c.base, c.base + t->g.len, false, t->vec,
				s_copy_regions, &c);

	if (r || !c.last)
		return r;
	return bare_ua_protect(&t->ua, c.first, c.last);
}

static int s_call(void *ctx)
{
	struct srun *sr = ctx;
	long n;
	size_t i, j;

	if (sr->side == SS_MEMCPY) {
		memcpy(sr->dst, sr->src, sr->len);
		__asm__ volatile("" : : "r"(sr->dst) : "memory");
		return 0;
	}
	if (sr->side == SS_COPY) {	/* one memcpy per run of adjacent pages */
		for (i = 0; i < sr->nset; i = j) {
			for (j = i + 1; j < sr->nset && sr->set[j] == sr->set[j - 1] + 1; j++)
				;
			memcpy(sr->t->g.base + sr->set[i] * PAGE, sr->src + sr->set[i] * PAGE,
			       (j - i) * PAGE);
		}
		__asm__ volatile("" : : "r"(sr->t->g.base) : "memory");
		return 0;
	}
	if (sr->side == SS_BARE)
		return s_bare(sr);
	n = pw_snapshot_restore(sr->t->snap);
	if (n < 0)
		return (int)n;
	sr->restored = n;
	return 0;
}

/* After a restore: each written page holds the snapshot's byte again, the
 * count is the number written, and the watch reports nothing (the restore's
 * own copying must not show as writes). */
static void s_check(struct bench *b, enum pw_backend be, struct srun *sr, void **pages)
{
	struct acc *a = &b->acc[T_RESTORE][be];
	const char *base = sr->t->g.base;
	size_t i, bad = 0, n = sr->t->g.pages;
	int r;

	a->checks++;
	a->pages += sr->nset;
	for (i = 0; i < sr->nset; i++)
		bad += base[sr->set[i] * PAGE] != FILL_BYTE;
	a->fn += bad;
	if (sr->restored > (long)(sr->nset - bad))
		a->fp += (size_t)sr->restored - (sr->nset - bad);
	r = pw_watch_get(sr->t->w, sr->t->g.base, sr->t->g.len, 0, pages, &n);
	if (r) {
		a->errors++;
		return;
	}
	a->fp += n;
	if (n)	/* a later sample must start clean */
		pw_watch_reset(sr->t->w, sr->t->g.base, sr->t->g.len);
}

struct restore_result {
	bool ran;
	bool have[NSS];
	char why[NSS][80];
	size_t pages;
	size_t written[NFRAC];
	struct bench_stats ms[NFRAC][NSS];
	struct bench_stats ratio[NFRAC][NSS];		/* restore / memcpy, paired */
	struct bench_stats vs_bare[NFRAC];		/* uffd-async / bare, paired */
	struct bench_stats ns_page[NFRAC][NSS];		/* per page restored */
	struct bench_quiet quiet;
};

static int restore(struct bench *b, struct restore_result *res)
{
	struct starget t[NSS];
	struct srun sr;
	struct region src, dst;
	double *smp[NSS] = { 0 };
	size_t npages = b->sz.snap_pages, f, k;
	uint64_t *exp = calloc(words(npages), sizeof(uint64_t));
	uint64_t seed = 0x13198a2e03707344ULL;
	size_t *set = calloc(npages, sizeof(size_t)), *perm = calloc(npages, sizeof(size_t));
	void **pages = calloc(npages, sizeof(void *));
	int s, rep, r = exp && set && perm && pages ? 0 : -ENOMEM;
	unsigned c;

	memset(t, 0, sizeof(t));
	memset(&src, 0, sizeof(src));
	memset(&dst, 0, sizeof(dst));
	res->pages = npages;
	if (!r)
		r = region_new(&src, npages, FILL_BYTE);
	if (!r)
		r = region_new(&dst, npages, 0);
	for (s = 0; !r && s < NSS; s++) {
		enum pw_backend be = sside_be[s];

		smp[s] = calloc((size_t)b->reps, sizeof(double));
		if (!smp[s]) {
			r = -ENOMEM;
			break;
		}
		if (s == SS_MEMCPY) {
			t[s].have = res->have[s] = true;
			continue;
		}
		if (s == SS_COPY) {
			r = region_new(&t[s].g, npages, FILL_BYTE);
			t[s].have = res->have[s] = !r;
			continue;
		}
		if (!b->be_ok[be]) {
			snprintf(res->why[s], sizeof(res->why[s]), "%s", b->be_why[be]);
			continue;
		}
		r = region_new(&t[s].g, npages, FILL_BYTE);
		t[s].ua.uffd = t[s].ua.pm = -1;
		if (!r && s == SS_BARE)
			r = bare_ua_open(&t[s].ua, t[s].g.base, t[s].g.len);
		else if (!r)
			r = pw_watch_start(&t[s].w, t[s].g.base, t[s].g.len, be);
		if (!r && s != SS_BARE)
			r = pw_snapshot_take(t[s].w, &t[s].snap);
		if (r) {
			side_failed(res->why[s], sizeof(res->why[s]), "set-up", r, be);
			if (t[s].w)
				pw_watch_stop(t[s].w);
			t[s].w = NULL;
			region_free(&t[s].g);
			r = 0;
			continue;
		}
		t[s].have = res->have[s] = true;
	}
	res->quiet.tries = QUIET_TRIES;
	/* A retry writes the pages again: a quarter of one per sample. */
	res->quiet.budget = NSS * NFRAC * (unsigned)b->reps / 4;
	for (f = 0; !r && f < NFRAC; f++) {
		k = (size_t)((double)npages * fractions[f] + 0.5);
		k = k ? k : 1;
		res->written[f] = k;
		for (rep = -1; !r && rep < b->reps; rep++) {
			pick_pages(npages, k, &seed, exp, set, perm);
			for (c = 0; !r && c < NSS; c++) {
				uint64_t ns = 0;

				s = (int)(((unsigned)(rep + 1) + c) % NSS);
				if (!res->have[s])
					continue;
				memset(&sr, 0, sizeof(sr));
				sr.side = (enum sside)s;
				sr.t = &t[s];
				sr.set = set;
				sr.nset = k;
				sr.src = src.base;
				sr.dst = dst.base;
				sr.len = src.len;
				r = bench_sample_prepared(s_prep, s_call, &sr, quiet(b, &res->quiet),
							  &ns);
				if (r) {	/* no results for this side; the others go on */
					side_failed(res->why[s], sizeof(res->why[s]), "failed", r,
						    sside_be[s]);
					if (s >= SS_FIRST_BE)
						b->acc[T_RESTORE][sside_be[s]].errors++;
					res->have[s] = false;
					r = 0;
					continue;
				}
				if (s >= SS_FIRST_BE)
					s_check(b, sside_be[s], &sr, pages);
				if (rep >= 0)
					smp[s][rep] = (double)ns;
			}
		}
		/* The ratios first: memcpy's samples are about to become per page. */
		for (s = 0; !r && s < NSS; s++)
			if (res->have[s])
				ratio_of(b, smp[s], smp[SS_MEMCPY], &res->ratio[f][s]);
		if (!r && res->have[SS_BARE] && res->have[SS_UA])
			ratio_of(b, smp[SS_UA], smp[SS_BARE], &res->vs_bare[f]);
		for (s = 0; !r && s < NSS; s++) {
			if (!res->have[s])
				continue;
			stats_of(b, smp[s], &res->ms[f][s]);
			res->ms[f][s].median /= 1e6;
			res->ms[f][s].p10 /= 1e6;
			res->ms[f][s].p90 /= 1e6;
			res->ms[f][s].min /= 1e6;
			res->ms[f][s].max /= 1e6;
			for (rep = 0; rep < b->reps; rep++)
				smp[s][rep] /= (double)(s == SS_MEMCPY ? npages : k);
			stats_of(b, smp[s], &res->ns_page[f][s]);
		}
		fprintf(stderr, "watch_bench: restore %g%%: memcpy %.2f ms, copy only %.3f ms\n",
			fractions[f] * 100, res->ms[f][SS_MEMCPY].median, res->ms[f][SS_COPY].median);
	}
	res->ran = !r;
	for (s = 0; s < NSS; s++) {
		if (s == SS_BARE && t[s].have)
			bare_ua_close(&t[s].ua);	/* else closed by the failed open */
		pw_snapshot_free(t[s].snap);
		if (t[s].w)
			pw_watch_stop(t[s].w);
		region_free(&t[s].g);
		free(smp[s]);
	}
	region_free(&src);
	region_free(&dst);
	free(exp);
	free(set);
	free(perm);
	free(pages);
	return r;
}

/* ======================================================================
 * reporting
 * ====================================================================== */

/* WATCH_BENCH_ONLY=13 runs tests 1 and 3 only (for profiling one). */
static bool selected(const char *name)
{
	const char *only = getenv("WATCH_BENCH_ONLY");

	return !only || !*only || strchr(only, name[0]);
}

/* A test without results: not selected, or failed. */
static void not_measured(const char *name)
{
	if (selected(name))
		printf("**Not measured: the run failed (see stderr).**\n\n");
	else
		printf("Not run (WATCH_BENCH_ONLY).\n\n");
}

static void print_header(const struct bench *b, const struct bench_env *env)
{
	char sz[32];
	size_t i;
	long maxmap;
	char line[32];

	printf("## Write watches: pagewatch against the bare kernel mechanisms (watch_bench%s)\n\n",
	       b->smoke ? " --smoke: tiny sizes, not for citing" : "");
	bench_env_print(stdout, env);
	printf("| write-watch backends |");
	for (i = 0; i < NBACKENDS; i++)
		printf("%s %s: %s", i ? ";" : "", pw_backend_name(backends[i]),
		       b->be_ok[backends[i]] ? "yes" : b->be_why[backends[i]]);
	printf(" |\n| bare mechanisms | uffd-wp async (WP_ASYNC + PAGEMAP_SCAN): %s; "
	       "uffd-wp sync + thread: %s; mprotect + SIGSEGV: yes |\n",
	       b->bare_ua_ok ? "yes" : b->bare_ua_why, b->bare_us_ok ? "yes" : b->bare_us_why);
	bench_read_line("/proc/sys/vm/max_map_count", line, sizeof(line));
	maxmap = line[0] ? atol(line) : -1;
	printf("| vm.max_map_count | %ld |\n", maxmap);
	printf("| load average at start | %s%s |\n\n", b->loadavg,
	       atof(b->loadavg) > 0.5 ? " (other work was running: expect wide spreads)" : "");
	printf("Sides alternate within each of %d repetitions (the first side rotates), after "
	       "one untimed round; all ranges are private anonymous, MADV_NOHUGEPAGE, fenced by "
	       "PROT_NONE guard pages, and populated before the watch starts (written, except "
	       "in test 2: see there). A sample during "
	       "which the thread ran less than %.0f%% of the time is taken again (up to %d "
	       "attempts, %d retry per sample on average, a quarter in test 3 whose retries write "
	       "the pages again; none after the first %.0f s), except where a write waits for "
	       "another thread by design (uffd-sync, and the threads test). Ratios are medians "
	       "of per-repetition ratios of the paired samples [p10, p90]. Sizes: first write "
	       "%zu pages; get with reset %s; restore %s; threads %zu pages.\n\n",
	       b->reps, BENCH_QUIET_SHARE * 100, QUIET_TRIES, QUIET_BUDGET, QUIET_UNTIL_NS / 1e9,
	       b->sz.fw_writes,
	       size_str(b->sz.get_pages * PAGE, sz, sizeof(sz)),
	       size_str(b->sz.snap_pages * PAGE, sz + 16, 16), b->sz.thr_writes);
}

static void print_first_write(struct bench *b, const struct fw_result *res)
{
	char tgt[16], note[128];
	size_t i;
	int s;

	printf("### 1. First write after a reset\n\n");
	if (!res->ran) {
		not_measured("1 first write");
		return;
	}
	printf("Each sample: the whole range made clean (reset, untimed), then one byte "
	       "written to every other page of %zu (%zu writes, ascending; timed: the write "
	       "loop only). **bare uffd-wp async**: a userfaultfd with WP_ASYNC|WP_UNPOPULATED, "
	       "range registered for WP, protected by PAGEMAP_SCAN(WP_MATCHING, vec_len 0). "
	       "**bare mprotect**: mprotect(PROT_READ), a SA_SIGINFO SIGSEGV handler that "
	       "mprotects the page read-write. **bare uffd-wp sync**: a userfaultfd without "
	       "WP_ASYNC, a thread that reads each message and un-protects the page "
	       "(UFFDIO_WRITEPROTECT mode 0). **plain**: the same writes to pages already "
	       "writable.\n\n", 2 * b->sz.fw_writes, b->sz.fw_writes);
	printf("| side | ns per write | / plain write |\n|---|---|---|\n");
	for (s = 0; s < NWS; s++) {
		printf("| %s |", wsides[s].title);
		if (!res->have[s]) {
			printf(" %s | |\n", res->why[s]);
			continue;
		}
		print_stat(&res->t[s], 0);
		print_stat(&res->to_plain[s], 1);
		printf("\n");
		snprintf(note, sizeof(note), "writes=%zu stride=2", b->sz.fw_writes);
		csv_stat(b, "first-write", wsides[s].key, "ns/write", "ns", &res->t[s], NULL,
			 NULL, note);
		csv_stat(b, "first-write", wsides[s].key, "ratio-to-plain", "x",
			 &res->to_plain[s], NULL, NULL, "paired per repetition");
	}
	printf("\n| backend | pagewatch / bare mechanism | target | verdict |\n|---|---|---|---|\n");
	for (i = 0; i < NBACKENDS; i++) {
		enum pw_backend be = backends[i];
		const char *v;
		char what[96];

		int ps = pw_side_of(be);

		printf("| %s |", pw_backend_name(be));
		if (!res->have[ps]) {
			printf(" %s | | |\n", res->why[ps]);
			summary_add(b, "- 1. first write, %s: %s\n", pw_backend_name(be),
				    res->why[ps]);
			continue;
		}
		if (!res->have_pw_bare[be]) {
			printf(" no bare mechanism here | | info |\n");
			continue;
		}
		snprintf(what, sizeof(what), "1. first write, %s / bare", pw_backend_name(be));
		v = judge(b, what, &res->pw_bare[be], fw_target[be], true, "x");
		print_stat(&res->pw_bare[be], 2);
		printf(" <= %.2f | %s |\n", fw_target[be], v);
		snprintf(tgt, sizeof(tgt), "<=%.2f", fw_target[be]);
		csv_stat(b, "first-write", pw_backend_name(be), "pw/bare", "x", &res->pw_bare[be],
			 tgt, v, "paired per repetition");
	}
	printf("\nPreempted samples taken again: %u; kept although preempted: %u.\n\n",
	       res->quiet.retried, res->quiet.disturbed);
}

static void print_get(struct bench *b, const struct get_result *res)
{
	char sz[32], note[128];
	const char *v = "n/a";
	int s;

	printf("### 2. Get with reset of %s, 1%% written\n\n",
	       size_str(b->sz.get_pages * PAGE, sz, sizeof(sz)));
	if (!res->ran) {
		not_measured("2 get with reset");
		return;
	}
	printf("Each range is populated by reading it (MADV_POPULATE_READ) before the watch "
	       "starts: every page has its entry, the shared zero page, and gets memory of its "
	       "own when first written (1 GiB ranges written in full cost seconds to allocate on "
	       "this kind of VM); page 0 is written then, so that the mapping has its anon_vma "
	       "before mprotect cuts it (otherwise each written piece gets one of its own and "
	       "never merges back: the mprotect backend's mappings grow by two per page written "
	       "until vm.max_map_count). "
	       "Each sample: %zu random pages of the %zu written (fresh every repetition, the "
	       "same for every side; untimed), then everything written collected and made "
	       "clean (timed). **pagewatch**: `pw_watch_get(..., PW_WATCH_RESET)` with a "
	       "%d-page buffer, called again from after the last page while it fills. **raw**: "
	       "ioctl(PAGEMAP_SCAN) with category_mask = return_mask = WRITTEN, "
	       "WP_MATCHING|CHECK_WPASYNC, %d regions per call, resumed at walk_end while vec "
	       "fills, on a bare uffd-wp async range; its regions expanded into the same "
	       "%d-page buffer. Both note each collected page (a bitmap) for the accuracy "
	       "check.\n\n", res->written, res->pages, GET_BUF, SCAN_VEC, GET_BUF);
	printf("| side | ms per collection | ns per page of the range | ns per written page | "
	       "/ raw | target | verdict |\n|---|---|---|---|---|---|---|\n");
	for (s = 0; s < NGS; s++) {
		const struct bench_stats *m = &res->ms[s];

		printf("| %s |", gsides[s].title);
		if (!res->have[s]) {
			printf(" %s | | | | | |\n", res->why[s]);
			continue;
		}
		print_stat(m, 3);
		printf(" %.2f | %.0f |", m->median * 1e6 / (double)res->pages,
		       m->median * 1e6 / (double)res->written);
		if (res->have[GS_UA_RAW])
			print_stat(&res->to_raw[s], 2);
		else
			printf(" n/a |");
		if (s == GS_UA_PW && res->have[GS_UA_RAW]) {
			v = judge(b, "2. get with reset, uffd-async / raw scan", &res->to_raw[s],
				  1.15, true, "x");
			printf(" <= 1.15 | %s |\n", v);
		} else {
			printf(" | %s |\n", s == GS_UA_RAW ? "" : "info");
		}
		snprintf(note, sizeof(note), "pages=%zu written=%zu buffer=%d", res->pages,
			 res->written, GET_BUF);
		csv_stat(b, "get-reset", gsides[s].key, "ms/collection", "ms", m, NULL, NULL, note);
		if (res->have[GS_UA_RAW] && s != GS_UA_RAW)
			csv_stat(b, "get-reset", gsides[s].key, "ratio-to-raw", "x",
				 &res->to_raw[s], s == GS_UA_PW ? "<=1.15" : NULL,
				 s == GS_UA_PW ? v : "info", "paired per repetition");
	}
	for (s = 0; s < NGS; s++)
		if (!res->have[s] && gsides[s].pw)
			summary_add(b, "- 2. get with reset, %s: %s\n", gsides[s].title, res->why[s]);
	printf("\nPreempted samples taken again: %u; kept although preempted: %u.\n\n",
	       res->quiet.retried, res->quiet.disturbed);
}

static void print_restore(struct bench *b, const struct restore_result *res)
{
	char sz[32], layout[32], note[96], what[96];
	size_t f;
	int s;

	printf("### 3. Snapshot restore of %s\n\n",
	       size_str(b->sz.snap_pages * PAGE, sz, sizeof(sz)));
	if (!res->ran) {
		not_measured("3 restore");
		return;
	}
	printf("One snapshot per backend (`pw_snapshot_take` once); each sample: a byte "
	       "written to each of the given share of random pages (untimed), then "
	       "`pw_snapshot_restore` (timed). **memcpy**: one memcpy of the whole %s "
	       "between two other populated ranges, in the same alternation. **copy only**: "
	       "the written pages copied back from such a copy, one memcpy per run of adjacent "
	       "pages, the pages known in advance: no tracking at all, the floor of any "
	       "restore. "
	       "Target: restore / memcpy <= %.2f at 1%% written.\n\n", sz, RESTORE_TARGET);
	printf("restore / memcpy of the whole range (ms of memcpy in its column):\n\n"
	       "| written | pages | memcpy, ms |");
	for (s = 1; s < NSS; s++)
		printf(" %s |", sside_name(s));
	printf("\n|---|---|---|");
	for (s = 1; s < NSS; s++)
		printf("---|");
	printf("\n");
	for (f = 0; f < NFRAC; f++) {
		printf("| %g%% | %zu |", fractions[f] * 100, res->written[f]);
		print_stat(&res->ms[f][SS_MEMCPY], 2);
		for (s = 1; s < NSS; s++) {
			if (!res->have[s])
				printf(" %s |", res->why[s]);
			else
				print_stat(&res->ratio[f][s], 4);
		}
		printf("\n");
	}
	printf("\nrestore, ms, and ns per page restored (memcpy: per page copied):\n\n"
	       "| written | memcpy ns/page |");
	for (s = 1; s < NSS; s++)
		printf(" %s ms | %s ns/page |", sside_name(s), sside_name(s));
	printf("\n|---|---|");
	for (s = 1; s < NSS; s++)
		printf("---|---|");
	printf("\n");
	for (f = 0; f < NFRAC; f++) {
		printf("| %g%% | %.0f |", fractions[f] * 100, res->ns_page[f][SS_MEMCPY].median);
		for (s = 1; s < NSS; s++) {
			if (!res->have[s]) {
				printf(" n/a | n/a |");
				continue;
			}
			print_stat(&res->ms[f][s], 3);
			printf(" %.0f |", res->ns_page[f][s].median);
		}
		printf("\n");
		snprintf(layout, sizeof(layout), "restore-%g%%", fractions[f] * 100);
		for (s = 0; s < NSS; s++) {
			const char *key = s == SS_COPY ? "copy-only" : sside_name(s);
			const char *v = NULL;

			if (!res->have[s])
				continue;
			snprintf(note, sizeof(note), "pages=%zu written=%zu", res->pages,
				 res->written[f]);
			csv_stat(b, layout, key, "ms", "ms", &res->ms[f][s], NULL, NULL, note);
			if (!s)
				continue;
			if (f == FRAC_JUDGED && s >= SS_FIRST_BE) {
				snprintf(what, sizeof(what), "3. restore at 1%%, %s / memcpy", key);
				v = judge(b, what, &res->ratio[f][s], RESTORE_TARGET, true, "x");
			}
			csv_stat(b, layout, key, "restore/memcpy", "x", &res->ratio[f][s],
				 v ? "<=0.03" : NULL, v ? v : "info",
				 "paired per repetition");
		}
	}
	if (res->have[SS_BARE] && res->have[SS_UA]) {
		printf("\npagewatch uffd-async / bare uffd-async, paired per repetition (what "
		       "losing no racing write costs, and the library around it):\n\n"
		       "| written | ratio |\n|---|---|\n");
		for (f = 0; f < NFRAC; f++) {
			printf("| %g%% |", fractions[f] * 100);
			print_stat(&res->vs_bare[f], 2);
			printf("\n");
			snprintf(layout, sizeof(layout), "restore-%g%%", fractions[f] * 100);
			csv_stat(b, layout, "uffd-async", "pw/bare", "x", &res->vs_bare[f], NULL,
				 "info", "paired per repetition");
		}
	}
	for (s = SS_FIRST_BE; s < NSS; s++)
		if (!res->have[s])
			summary_add(b, "- 3. restore, %s: %s\n", pw_backend_name(sside_be[s]),
				    res->why[s]);
	printf("\nPreempted samples taken again: %u; kept although preempted: %u.\n\n",
	       res->quiet.retried, res->quiet.disturbed);
}

#define COLLAPSE_LIMIT	2.0	/* 2 threads / 1 thread, ns per write */

static void print_threads(struct bench *b, const struct thr_result *res)
{
	char layout[16], note[64];
	unsigned nt;
	size_t i;
	int s;

	printf("### 4. One and two writer threads\n\n");
	if (!res->ran) {
		not_measured("4 threads");
		return;
	}
	printf("Each sample: the range reset (untimed), then %zu first writes to every other "
	       "page of %zu, split between the threads in contiguous halves (disjoint "
	       "pages); the threads spin until all are ready, then each times its own loop. "
	       "**ns per write**: each thread's loop time / its writes, averaged over the "
	       "threads (latency); **aggregate**: first start to last end / all writes "
	       "(the inverse of throughput); **on-CPU share**: each writer's CPU time / its "
	       "loop's wall time (below 1 with 2 threads on a machine with other work: the "
	       "threads did not really run side by side; uffd-sync writers wait for the "
	       "handler by design). Every (side, thread count) is its own side of "
	       "the alternation; the handler thread of uffd-sync shares the 2 CPUs. "
	       "A \"collapse\" is taken to be 2 threads / 1 thread > %.1f: two threads "
	       "writing less together than one alone.\n\n",
	       b->sz.thr_writes, 2 * b->sz.thr_writes, COLLAPSE_LIMIT);
	printf("| side | 1 thread, ns/write | 2 threads, ns/write | 2 threads, aggregate "
	       "ns/write | 2 threads / 1 thread | on-CPU share, 1 / 2 threads |\n"
	       "|---|---|---|---|---|---|\n");
	for (s = 0; s < NWS; s++) {
		printf("| %s |", wsides[s].title);
		if (!res->have[s]) {
			printf(" %s | | | | |\n", res->why[s]);
			continue;
		}
		print_stat(&res->t[s][0], 0);
		print_stat(&res->t[s][1], 0);
		print_stat(&res->agg[s][1], 0);
		print_stat(&res->scale[s], 2);
		printf(" %.2f / %.2f |\n", res->oncpu[s][0].median, res->oncpu[s][1].median);
		for (nt = 0; nt < MAXTHREADS; nt++) {
			snprintf(layout, sizeof(layout), "threads-%u", nt + 1);
			snprintf(note, sizeof(note), "writes=%zu", b->sz.thr_writes);
			csv_stat(b, layout, wsides[s].key, "ns/write", "ns", &res->t[s][nt], NULL,
				 NULL, note);
			csv_stat(b, layout, wsides[s].key, "aggregate-ns/write", "ns",
				 &res->agg[s][nt], NULL, NULL, note);
			csv_stat(b, layout, wsides[s].key, "on-cpu-share", "x",
				 &res->oncpu[s][nt], NULL, NULL, "thread CPU time / wall, mean");
		}
	}
	printf("\n| backend | pagewatch / bare, 1 thread | pagewatch / bare, 2 threads | "
	       "pagewatch 2 threads / 1 thread | verdict |\n|---|---|---|---|---|\n");
	for (i = 0; i < NBACKENDS; i++) {
		enum pw_backend be = backends[i];
		int ps = pw_side_of(be);
		const char *v = "info", *v2 = NULL;

		printf("| %s |", pw_backend_name(be));
		if (!res->have[ps]) {
			printf(" %s | | | |\n", res->why[ps]);
			if (be == PW_BACKEND_MPROTECT || b->be_ok[be])
				summary_add(b, "- 4. threads, %s: %s\n", pw_backend_name(be),
					    res->why[ps]);
			continue;
		}
		if (!res->have_pw_bare[be]) {
			printf(" no bare mechanism here | | | info |\n");
			continue;
		}
		print_stat(&res->pw_bare[be][0], 2);
		print_stat(&res->pw_bare[be][1], 2);
		print_stat(&res->scale[ps], 2);
		if (be == PW_BACKEND_MPROTECT) {
			v = judge(b, "4. mprotect, 2 threads / 1 thread (no collapse)",
				  &res->scale[ps], COLLAPSE_LIMIT, true, "x");
			v2 = judge(b, "4. mprotect at 2 threads, pagewatch / bare",
				   &res->pw_bare[be][1], fw_target[be], true, "x");
			printf(" no collapse: %s; pw/bare <= %.2f at 2 threads: %s |\n", v,
			       fw_target[be], v2);
		} else {
			printf(" info |\n");
		}
		for (nt = 0; nt < MAXTHREADS; nt++) {
			snprintf(layout, sizeof(layout), "threads-%u", nt + 1);
			csv_stat(b, layout, pw_backend_name(be), "pw/bare", "x",
				 &res->pw_bare[be][nt], v2 && nt ? "<=1.30" : NULL,
				 v2 && nt ? v2 : "info", "paired per repetition");
		}
		csv_stat(b, "threads", pw_backend_name(be), "2t/1t", "x", &res->scale[ps],
			 v2 ? "<=2.00" : NULL, v, "paired per repetition");
	}
	printf("\n");
}

static void print_accuracy(struct bench *b)
{
	struct acc tot = { 0 };
	struct bench_stats none = { 0 };
	char note[96];
	const char *v;
	size_t i;
	int t;

	printf("### 5. Accuracy\n\n");
	printf("After every timed sample (warm-up included): tests 1 and 4, `pw_watch_get` "
	       "without reset must return exactly the pages written; test 2, the pages "
	       "collected by the timed get with reset; test 3, every written page holds the "
	       "snapshot's byte again, the restore's count is the number written, and a "
	       "`pw_watch_get` right after reports nothing. False positive: reported, not "
	       "written; false negative: written, not reported.\n\n");
	printf("| test | backend | checks | pages written | false positives | false negatives "
	       "| errors |\n|---|---|---|---|---|---|---|\n");
	for (t = 0; t < NTESTS; t++) {
		for (i = 0; i < NBACKENDS; i++) {
			enum pw_backend be = backends[i];
			const struct acc *a = &b->acc[t][be];

			if (!b->be_ok[be]) {
				if (t == 0)
					printf("| all | %s | %s | | | | |\n", pw_backend_name(be),
					       b->be_why[be]);
				continue;
			}
			if (!a->checks)
				continue;
			printf("| %s | %s | %lu | %lu | %lu | %lu | %lu |\n", test_key[t],
			       pw_backend_name(be), a->checks, a->pages, a->fp, a->fn, a->errors);
			tot.checks += a->checks;
			tot.pages += a->pages;
			tot.fp += a->fp;
			tot.fn += a->fn;
			tot.errors += a->errors;
			snprintf(note, sizeof(note), "checks=%lu pages_written=%lu errors=%lu",
				 a->checks, a->pages, a->errors);
			none.median = none.p10 = none.p90 = none.min = none.max = (double)a->fp;
			none.n = 1;
			csv_stat(b, "accuracy", pw_backend_name(be), test_key[t], "false-positives",
				 &none, "0", a->fp ? "MISSED" : "met", note);
			none.median = none.p10 = none.p90 = none.min = none.max = (double)a->fn;
			bench_csv_row(b->csv, "watch", "accuracy", pw_backend_name(be), test_key[t],
				      "false-negatives", &none, "0", a->fn ? "MISSED" : "met", note);
		}
	}
	printf("| **total** | | %lu | %lu | **%lu** | **%lu** | %lu |\n\n", tot.checks, tot.pages,
	       tot.fp, tot.fn, tot.errors);
	v = tot.fp || tot.fn || tot.errors ? "MISSED" : "met";
	b->met += !strcmp(v, "met");
	b->missed += !strcmp(v, "MISSED");
	summary_add(b, "- 5. accuracy: %lu false positives, %lu false negatives, %lu errors in "
		    "%lu checks (%lu pages written), target 0/0: **%s**\n", tot.fp, tot.fn,
		    tot.errors, tot.checks, tot.pages, v);
}

static void write_env_csv(const struct bench *b, const struct bench_env *env)
{
	size_t i;

	if (!b->csv)
		return;
	fputs(BENCH_CSV_HEADER, b->csv);
	bench_csv_row(b->csv, "watch", "env", "", "cpu", "", NULL, NULL, NULL, env->cpu);
	bench_csv_row(b->csv, "watch", "env", "", "kernel", "", NULL, NULL, NULL, env->kernel);
	bench_csv_row(b->csv, "watch", "env", "", "vm", "", NULL, NULL, NULL,
		      env->vm ? "yes" : "no");
	bench_csv_row(b->csv, "watch", "env", "", "thp", "", NULL, NULL, NULL, env->thp);
	bench_csv_row(b->csv, "watch", "env", "", "smoke", "", NULL, NULL, NULL,
		      b->smoke ? "yes" : "no");
	for (i = 0; i < NBACKENDS; i++)
		bench_csv_row(b->csv, "watch", "env", pw_backend_name(backends[i]), "available", "",
			      NULL, NULL, NULL, b->be_ok[backends[i]] ? "yes" :
			      b->be_why[backends[i]]);
}

/* ---- main ---- */

int main(int argc, char **argv)
{
	static struct bench b;
	static struct fw_result fwr;
	static struct get_result getr;
	static struct restore_result rsr;
	static struct thr_result thr;
	struct bench_env env;
	uint64_t t;
	int r, failed = 0;

	r = bench_parse_opts(argc, argv, &b.o,
			     "pw_watch_* (uffd-async, uffd-sync, soft-dirty, mprotect) and "
			     "snapshots against the bare kernel mechanisms, side by side; "
			     "Markdown on stdout.");
	if (r)
		return r > 0 ? 0 : 2;
	b.t0 = bench_now_ns();
	b.smoke = b.o.smoke;
	b.reps = b.o.reps ? b.o.reps : b.smoke ? REPS_SMOKE : REPS_FULL;
	b.sz = b.smoke ? sizes_smoke : sizes_full;
	b.scratch = calloc((size_t)b.reps, sizeof(double));
	if (!b.scratch)
		return 1;
	if (b.o.csv) {
		b.csv = fopen(b.o.csv, "w");
		if (!b.csv) {
			fprintf(stderr, "watch_bench: %s: %s\n", b.o.csv, strerror(errno));
			return 1;
		}
	}
	bench_env_get(&env);
	bench_read_line("/proc/loadavg", b.loadavg, sizeof(b.loadavg));
	b.loadavg[strcspn(b.loadavg, "/")] = '\0';
	if (strrchr(b.loadavg, ' '))
		*strrchr(b.loadavg, ' ') = '\0';	/* drop the running/total field */
	probe_backends(&b);
	write_env_csv(&b, &env);

#define RUN(name, call) do {							\
		t = bench_now_ns();						\
		r = selected(name) ? (call) : 0;				\
		fprintf(stderr, "watch_bench: %s: %s, %.1f s\n", name,		\
			r ? strerror(-r) : "done", (double)(bench_now_ns() - t) / 1e9); \
		failed += r != 0;						\
	} while (0)
	RUN("1 first write", first_write(&b, &fwr));
	RUN("2 get with reset", get_reset(&b, &getr));
	RUN("3 restore", restore(&b, &rsr));
	RUN("4 threads", threads(&b, &thr));
#undef RUN

	print_header(&b, &env);
	print_first_write(&b, &fwr);
	print_get(&b, &getr);
	print_restore(&b, &rsr);
	print_threads(&b, &thr);
	print_accuracy(&b);
	if (b.smoke)
		printf("Targets: not judged with --smoke (tiny sizes, 3 repetitions).\n\n");
	else
		printf("Targets: %d met, %d missed (%.0f s in all).\n\n", b.met, b.missed,
		       (double)(bench_now_ns() - b.t0) / 1e9);
	printf("%.*s", (int)b.summary_len, b.summary);
	if (b.csv)
		fclose(b.csv);
	free(b.scratch);
	return failed ? 1 : 0;
}
