/* SPDX-License-Identifier: MIT */
/*
 * cost_bench: what write tracking costs, per page, on each write-watch
 * backend (through pw_watch_*) and on the bare kernel mechanism under it,
 * side by side in one process.
 *
 *  1. scan cost per page against the written fraction (0%, 1%, 50% of the
 *     pages alternating, 100%) of a range registered for uffd-wp async, on
 *     populated, never-touched (sparse) and THP memory: a pagemap read
 *     with the decoding of each entry, PAGEMAP_SCAN get (WRITTEN), the same
 *     through pw_scan on its native and its emulated backend, and
 *     PAGEMAP_SCAN get+protect (WP_MATCHING; the pages it protects are
 *     written again, untimed, after each sample);
 *  2. arm cost per page: mprotect(PROT_READ), UFFDIO_WRITEPROTECT,
 *     PAGEMAP_SCAN protect (WP_MATCHING, vec_len 0), clear_refs 4 (the
 *     soft-dirty reset; a no-op kernel here, measured anyway), and
 *     pw_watch_reset / pw_watch_start of every backend, on a populated
 *     range every page of which was just written, and on a never-touched
 *     one (a fresh mapping per sample);
 *  3. the full cycle -- write every page once, collect the written pages
 *     and arm again (pw_watch_get with PW_WATCH_RESET; the bare
 *     equivalents) -- per page, for ranges of 1 to 10^6 pages: fewer
 *     repetitions as the size grows, a side skipped at a size where its
 *     cycles would take too long, and from 10^5 pages one region shared by
 *     the sides (populating 4 GiB takes seconds on a VM), which each arm in
 *     turn, untimed; the biggest sizes start only within the run's time
 *     budget;
 *  4. tracking against copying: for 0.1% to 100% of a 32 MiB range
 *     written, the cycle of every tracker, plain writes, a memcpy of only
 *     the written pages and a memcpy of the whole range; the tracking
 *     overhead over the copying of the written pages, and the written
 *     fraction from which copying everything is cheaper than tracking
 *     (the break-even); pw_snapshot_restore against the full memcpy.
 *
 * The bare mechanisms are written here from the kernel's interfaces: a
 * userfaultfd in WP_ASYNC mode collected by PAGEMAP_SCAN; a sync
 * userfaultfd with a thread that reads each message and un-protects the
 * page (UFFDIO_WRITEPROTECT); mprotect with a SIGSEGV handler that
 * mprotects the page back (installed above pagewatch's own handler, to
 * which it hands every fault not its own).  soft-dirty is measured where
 * its reset can be (item 2): this kernel may lack CONFIG_MEM_SOFT_DIRTY.
 *
 * Every side of a comparison is sampled once per repetition, the sides in
 * a rotating order; ratios are medians of the per-repetition ratios.
 * Figures are medians with their spread: p10-p90 over 10 or more
 * repetitions, min-max below that.  A sample during which the thread was
 * preempted is taken again (up to QUIET_TRIES attempts), except where the
 * thread waits by design (uffd-sync) or the operation changes the state it
 * measures.
 *
 * Output: Markdown on stdout, progress on stderr, --csv PATH for the chart
 * program (bench/svg.c); --env prints only the environment table;
 * --smoke runs tiny sizes in a few seconds.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"
#include "kabi.h"
#include "pagewatch.h"

#define PAGE		4096UL
#define MIB		(1UL << 20)
#define PMD_SIZE	(2UL << 20)
#define MAXREPS		101
#define VEC_LEN		65536UL		/* regions per PAGEMAP_SCAN call */
#define READ_CHUNK	65536UL		/* bytes of pagemap per pread */

#define PM_PRESENT	(1ULL << PM_PRESENT_BIT)
#define PM_SWAP		(1ULL << PM_SWAP_BIT)
#define PM_UFFD_WP	(1ULL << PM_UFFD_WP_BIT)

/* ---- sizes and repetitions, full and --smoke ---- */

#define SCAN_PAGES	32768UL		/* 128 MiB per scan layout */
#define SCAN_PAGES_SMOKE 1024UL
#define SCAN_REPS	15
#define ARM_PAGES	8192UL		/* 32 MiB */
#define ARM_PAGES_SMOKE	256UL
#define ARM_REPS	11
#define TRACK_PAGES	8192UL		/* 32 MiB */
#define TRACK_PAGES_SMOKE 1024UL
#define TRACK_REPS	7
#define CYCLE_MAX_REPS	21
#define CYCLE_MIN_REPS	3
#define CYCLE_SIZE_BUDGET_NS 3000000000ULL  /* per region size, all sides */
#define CYCLE_SIDE_CAP_NS    5000000000ULL  /* per side and size, for CYCLE_MIN_REPS cycles */
#define CYCLE_SHARE_PAGES    100000UL       /* from here, the sides share one region */
#define MIN_SAMPLE_NS	2000000ULL
#define MIN_SAMPLE_TRACK_NS 1000000ULL
#define REPS_SMOKE	3
#define QUIET_TRIES	3		/* attempts at a sample without preemption */
#define QUIET_BUDGET	3000		/* attempts thrown away, at most, in all */
#define QUIET_MAX_NS	50000000ULL	/* a longer sample is kept as it is */
#define RUN_BUDGET_NS	58000000000ULL	/* the big cycle sizes only start within it */

/* ---- the run ---- */

struct run {
	struct bench_opts o;
	bool smoke;
	FILE *csv;
	int pagemap;			/* /proc/self/pagemap */
	int clear_refs;			/* /proc/self/clear_refs, or -1 */
	struct pw_space *native, *emu;
	bool have_scan, have_uffd, have_async;
	struct pw_probe probe;
	struct bench_env env;
	struct pw_region *vec;
	uint64_t *chunk;
	double scratch[MAXREPS];
	struct bench_quiet q;		/* samples taken again: preempted */
	int errors;			/* answers that disagree: exit 1 */
	uint64_t t0;
};

static struct run R;

struct tracker;
static int sample(bench_fn fn, void *ctx, unsigned long iters, bool blocks,
		  struct tracker *t, uint64_t *ns);

static int reps_or(int full)
{
	int r = R.o.reps ? R.o.reps : R.smoke ? REPS_SMOKE : full;

	return r > MAXREPS ? MAXREPS : r;
}

/* A figure: statistics over the repetitions. */
struct fig {
	struct bench_stats s;
	bool have;
};

static void fig_of(struct fig *f, const double *v, size_t n)
{
	double tmp[MAXREPS];

	memcpy(tmp, v, n * sizeof(*v));
	bench_stats_of(tmp, n, &f->s);
	f->have = n > 0;
}

/* The paired ratio num/den of each repetition. */
static void ratio_of(struct fig *f, const double *num, const double *den, size_t n)
{
	double v[MAXREPS];
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (den[i] > 0 && isfinite(num[i]))
			v[k++] = num[i] / den[i];
	fig_of(f, v, k);
}

/* The spread shown: p10-p90 over 10 or more repetitions, else min-max. */
static double fig_lo(const struct fig *f)
{
	return f->s.n >= 10 ? f->s.p10 : f->s.min;
}

static double fig_hi(const struct fig *f)
{
	return f->s.n >= 10 ? f->s.p90 : f->s.max;
}

static const char *num(char *buf, size_t n, double v)
{
	double a = fabs(v);

	if (!isfinite(v))
		snprintf(buf, n, "n/a");
	else if (a >= 100)
		snprintf(buf, n, "%.0f", v);
	else if (a >= 10)
		snprintf(buf, n, "%.1f", v);
	else if (a >= 1)
		snprintf(buf, n, "%.2f", v);
	else
		snprintf(buf, n, "%.3f", v);
	return buf;
}

static void cell(const struct fig *f)
{
	char a[32], b[32], c[32];

	if (!f->have) {
		printf(" n/a |");
		return;
	}
	printf(" %s [%s, %s] |", num(a, sizeof(a), f->s.median), num(b, sizeof(b), fig_lo(f)),
	       num(c, sizeof(c), fig_hi(f)));
}

/* A cell with a count after it ("ENOMEM 3×"). */
static void cell_note(const struct fig *f, const char *what, unsigned long count)
{
	char a[32], b[32], c[32];

	if (!f->have) {
		printf(" n/a |");
		return;
	}
	printf(" %s [%s, %s]", num(a, sizeof(a), f->s.median), num(b, sizeof(b), fig_lo(f)),
	       num(c, sizeof(c), fig_hi(f)));
	if (what)
		printf(", %s %lu×", what, count);
	printf(" |");
}

static void csv_fig(const char *layout, const char *query, const char *metric,
		    const char *unit, const struct fig *f, const char *note)
{
	if (f->have)
		bench_csv_row(R.csv, "cost", layout, query, metric, unit, &f->s, NULL, NULL, note);
}

static void csv_env(const char *metric, const char *value)
{
	bench_csv_row(R.csv, "cost", "env", "", metric, "", NULL, NULL, NULL, value);
}

static void progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void progress(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "cost_bench: %5.1f s: ", (double)(bench_now_ns() - R.t0) / 1e9);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- memory ---- */

/* A private anonymous mapping of pages pages, 2 MiB aligned, advised. */
static char *map_pages(size_t pages, bool noreserve, int advice)
{
	size_t len = pages * PAGE, total = len + PMD_SIZE;
	char *p = mmap(NULL, total, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | (noreserve ? MAP_NORESERVE : 0), -1, 0);
	uintptr_t a, end;

	if (p == MAP_FAILED)
		return NULL;
	a = ((uintptr_t)p + PMD_SIZE - 1) & ~(uintptr_t)(PMD_SIZE - 1);
	end = (uintptr_t)p + total;
	if (a > (uintptr_t)p)
		munmap(p, a - (uintptr_t)p);
	if (end > a + len)
		munmap((char *)(a + len), end - (a + len));
	/* Without THP in the kernel the advice fails: nothing to avoid. */
	madvise((char *)a, len, advice);
	return (char *)a;
}

static void unmap_pages(char *p, size_t pages)
{
	if (p)
		munmap(p, pages * PAGE);
}

/* MemAvailable in bytes, 0 unknown. */
static uint64_t mem_available(void)
{
	char line[256];
	uint64_t kib = 0;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %" SCNu64 " kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib * 1024;
}

/* The number a /proc or /sys file holds, -1 when unreadable. */
static long read_long(const char *path)
{
	char buf[32] = "";
	long v = -1;
	FILE *f = fopen(path, "r");

	if (f && fgets(buf, sizeof(buf), f))
		v = strtol(buf, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

/* One 8-byte store to every stride-th page from the first: the write
 * pattern of every measurement (stride 2: every other page). */
static uint64_t write_seq;

static void touch(char *base, size_t pages, size_t stride)
{
	uint64_t v = ++write_seq;
	size_t i;

	if (!stride)
		return;
	for (i = 0; i < pages; i += stride)
		*(volatile uint64_t *)(base + i * PAGE) = v;
}

/* Populate: write every page, and learn what a first touch costs here
 * (on a VM it includes the host's faults), for the time estimates. */
static double populate_ns = 3000;	/* per page, until measured */

static void populate(char *base, size_t pages)
{
	uint64_t t0 = bench_now_ns();

	touch(base, pages, 1);
	if (pages >= 16384)
		populate_ns = (double)(bench_now_ns() - t0) / (double)pages;
}

static size_t touched(size_t pages, size_t stride)
{
	return stride ? (pages + stride - 1) / stride : 0;
}

/* ---- the kernel's interfaces ---- */

static int uffd_open(uint64_t features)
{
	struct pw_uffdio_api api = { .api = PW_UFFD_API, .features = features };
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (fd < 0 && errno == EPERM)
		fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | PW_UFFD_USER_MODE_ONLY);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, PW_UFFDIO_API, &api)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static int uffd_register(int fd, void *p, size_t len)
{
	struct pw_uffdio_register reg = {
		.range = { .start = (uintptr_t)p, .len = len },
		.mode = PW_UFFDIO_REGISTER_MODE_WP,
	};

	return ioctl(fd, PW_UFFDIO_REGISTER, &reg) ? -errno : 0;
}

static int uffd_unregister(int fd, void *p, size_t len)
{
	struct pw_uffdio_range r = { .start = (uintptr_t)p, .len = len };

	return ioctl(fd, PW_UFFDIO_UNREGISTER, &r) ? -errno : 0;
}

static int uffd_wp(int fd, void *p, size_t len, bool on)
{
	struct pw_uffdio_writeprotect wp = {
		.range = { .start = (uintptr_t)p, .len = len },
		.mode = on ? PW_UFFDIO_WRITEPROTECT_MODE_WP : 0,
	};

	return ioctl(fd, PW_UFFDIO_WRITEPROTECT, &wp) ? -errno : 0;
}

static long pm_scan(struct pw_scan_arg *a)
{
	long n = ioctl(R.pagemap, PW_PAGEMAP_SCAN, a);

	return n < 0 ? -errno : n;
}

static void scan_arg(struct pw_scan_arg *a, const void *p, size_t len, uint64_t flags)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->flags = flags;
	a->start = (uintptr_t)p;
	a->end = (uintptr_t)p + len;
}

/* Every page of the range protected, empty ones with a marker (S33). */
static int scan_protect_all(void *p, size_t len)
{
	struct pw_scan_arg a;
	long n;

	scan_arg(&a, p, len, PW_SCAN_WP_MATCHING);
	n = pm_scan(&a);
	return n < 0 ? (int)n : 0;
}

/* Pages of the range with every bit of mask (category_mask = return_mask
 * = mask), optionally protected again as they are reported (WP_MATCHING);
 * through space when not NULL, else the raw ioctl.  -errno on failure. */
static long scan_count(struct pw_space *space, const void *p, size_t len, uint64_t mask,
		       bool wp, long *regions)
{
	struct pw_scan_arg a;
	long total = 0, nreg = 0, n, i;

	scan_arg(&a, p, len, wp ? PW_SCAN_WP_MATCHING : 0);
	a.vec = (uintptr_t)R.vec;
	a.vec_len = VEC_LEN;
	a.category_mask = a.return_mask = mask;
	for (;;) {
		n = space ? pw_scan(space, &a) : pm_scan(&a);
		if (n < 0)
			return n;
		for (i = 0; i < n; i++)
			total += (long)((R.vec[i].end - R.vec[i].start) / PAGE);
		nreg += n;
		/* Resume only when vec filled (see scan_bench.c on walk_end). */
		if (n < (long)a.vec_len || a.walk_end >= a.end || a.walk_end <= a.start)
			break;
		a.start = a.walk_end;
	}
	if (regions)
		*regions = nreg;
	return total;
}

/* The bare read: the range's pagemap entries, READ_CHUNK per pread, each
 * decoded as the emulation does: written = (present or swapped) and not
 * uffd-wp. */
static long pagemap_written(const void *p, size_t len)
{
	off_t off = (off_t)((uintptr_t)p / PAGE * 8);
	uint64_t left = len / PAGE * 8;
	long written = 0;

	while (left) {
		size_t want = left < READ_CHUNK ? (size_t)left : READ_CHUNK, i;
		ssize_t n = pread(R.pagemap, R.chunk, want, off);

		if (n <= 0 || n % 8)
			return n < 0 ? -errno : -EIO;
		for (i = 0; i < (size_t)n / 8; i++) {
			uint64_t e = R.chunk[i];

			written += (e & (PM_PRESENT | PM_SWAP)) && !(e & PM_UFFD_WP);
		}
		off += n;
		left -= (uint64_t)n;
	}
	return written;
}

/* ==== 1. scan cost per page against the written fraction ==== */

enum scan_side { SS_READ, SS_GET, SS_NATIVE, SS_EMU, SS_GETWP, NSS };

static const char *const ss_key[NSS] = {
	"pagemap_read", "scan_get", "pw_native", "pw_emulated", "scan_get_protect",
};
static const char *const ss_title[NSS] = {
	"pagemap read + decode", "PAGEMAP_SCAN get", "pw_scan native", "pw_scan emulated",
	"PAGEMAP_SCAN get+protect",
};

enum scan_ratio { SR_GETWP_GET, SR_EMU_NATIVE, SR_READ_GET, NSR };
static const char *const sr_key[NSR] = { "get_protect/get", "emulated/native",
					 "pagemap_read/get" };
static const enum scan_side sr_num[NSR] = { SS_GETWP, SS_EMU, SS_READ };
static const enum scan_side sr_den[NSR] = { SS_GET, SS_NATIVE, SS_GET };

enum scan_layout { SL_POPULATED, SL_SPARSE, SL_THP, NSL };
static const char *const sl_key[NSL] = { "populated", "sparse", "thp" };
static const char *const sl_what[NSL] = {
	"every page written before arming (MADV_NOHUGEPAGE)",
	("never touched before arming: the unwritten pages hold uffd-wp markers, the written "
	 "ones are the only pages present"),
	"MADV_HUGEPAGE, every page written before arming (PMD-mapped THPs), protected whole",
};

static const size_t scan_strides[] = { 0, 100, 2, 1 };	/* 0%, 1%, 50%, 100% */
#define NSF (sizeof(scan_strides) / sizeof(scan_strides[0]))
static const char *const sf_key[NSF] = { "0%", "1%", "50%", "100%" };

struct scan_ctx {
	char *base;
	size_t pages;
	size_t stride;
	enum scan_side side;
	long found;
};

static int scan_call(void *arg)
{
	struct scan_ctx *c = arg;
	size_t len = c->pages * PAGE;
	long n;

	switch (c->side) {
	case SS_READ:
		n = pagemap_written(c->base, len);
		break;
	case SS_GET:
		n = scan_count(NULL, c->base, len, PW_PAGE_WRITTEN, false, NULL);
		break;
	case SS_NATIVE:
		n = scan_count(R.native, c->base, len, PW_PAGE_WRITTEN, false, NULL);
		break;
	case SS_EMU:
		n = scan_count(R.emu, c->base, len, PW_PAGE_WRITTEN, false, NULL);
		break;
	default:
		n = scan_count(NULL, c->base, len, PW_PAGE_WRITTEN, true, NULL);
		break;
	}
	if (n < 0)
		return (int)n;
	c->found = n;
	return 0;
}

struct scan_result {
	struct fig t[NSS];
	struct fig r[NSR];
	size_t written;
	long huge;			/* PMD-mapped pages while measured */
	long regions;
};

static struct scan_result scan_res[NSL][NSF];
static int scan_reps;

static int scan_fraction(enum scan_layout l, char *base, size_t pages, unsigned fi)
{
	struct scan_result *res = &scan_res[l][fi];
	size_t stride = scan_strides[fi], len = pages * PAGE;
	double v[NSS][MAXREPS];
	struct scan_ctx ctx[NSS];
	unsigned long iters[NSS];
	long expect = (long)touched(pages, stride), huge;
	int rep, err, i, s;

	/* Arm everything, then write the pattern. */
	err = scan_protect_all(base, len);
	if (err)
		return err;
	touch(base, pages, stride);
	res->written = (size_t)expect;
	huge = scan_count(NULL, base, len, PW_PAGE_HUGE, false, NULL);
	res->huge = huge;
	scan_count(NULL, base, len, PW_PAGE_WRITTEN, false, &res->regions);

	for (s = 0; s < NSS; s++) {
		ctx[s] = (struct scan_ctx){ .base = base, .pages = pages, .stride = stride,
					    .side = (enum scan_side)s };
		if ((s == SS_NATIVE && !R.native) || (s == SS_EMU && !R.emu))
			continue;
		/* Every side must find exactly the pages written. */
		err = scan_call(&ctx[s]);
		if (s == SS_GETWP)
			touch(base, pages, stride);
		if (err)
			return err;
		if (ctx[s].found != expect) {
			fprintf(stderr, "cost_bench: scan %s %s: %s finds %ld written pages, "
				"%ld were written\n", sl_key[l], sf_key[fi], ss_key[s],
				ctx[s].found, expect);
			R.errors++;
		}
		iters[s] = 1;
		if (s != SS_GETWP) {
			err = bench_calibrate(scan_call, &ctx[s], R.smoke ? 0 : MIN_SAMPLE_NS,
					      &iters[s]);
			if (err)
				return err;
		}
	}
	for (rep = 0; rep < scan_reps; rep++) {
		for (i = 0; i < NSS; i++) {
			uint64_t ns;

			s = (rep + i) % NSS;
			if ((s == SS_NATIVE && !R.native) || (s == SS_EMU && !R.emu))
				continue;
			err = sample(scan_call, &ctx[s], iters[s], s == SS_GETWP, NULL, &ns);
			if (err)
				return err;
			if (s == SS_GETWP)
				touch(base, pages, stride);	/* written again, untimed */
			v[s][rep] = (double)ns / ((double)iters[s] * (double)pages);
		}
	}
	for (s = 0; s < NSS; s++)
		if (!((s == SS_NATIVE && !R.native) || (s == SS_EMU && !R.emu)))
			fig_of(&res->t[s], v[s], (size_t)scan_reps);
	for (i = 0; i < NSR; i++)
		if (res->t[sr_num[i]].have && res->t[sr_den[i]].have)
			ratio_of(&res->r[i], v[sr_num[i]], v[sr_den[i]], (size_t)scan_reps);
	progress("scan %s %s: read %.2f, get %.2f, emulated %.2f, get+protect %.2f ns/page",
		 sl_key[l], sf_key[fi], res->t[SS_READ].s.median, res->t[SS_GET].s.median,
		 res->t[SS_EMU].s.median, res->t[SS_GETWP].s.median);
	return 0;
}

static int scan_layout(enum scan_layout l, size_t pages)
{
	size_t len = pages * PAGE;
	char *base = map_pages(pages, l == SL_SPARSE, l == SL_THP ? MADV_HUGEPAGE :
			       MADV_NOHUGEPAGE);
	int fd, err;
	unsigned fi;

	if (!base)
		return -errno;
	if (l != SL_SPARSE)
		populate(base, pages);
	fd = uffd_open(PW_UFFD_FEATURE_WP_ASYNC | PW_UFFD_FEATURE_WP_UNPOPULATED);
	err = fd < 0 ? fd : uffd_register(fd, base, len);
	for (fi = 0; !err && fi < NSF; fi++)
		err = scan_fraction(l, base, pages, fi);
	if (fd >= 0)
		close(fd);
	unmap_pages(base, pages);
	return err;
}

static void scan_report(size_t pages)
{
	unsigned l, fi, s, i;
	char sz[32];

	printf("### Scan cost per page against the written fraction\n\n");
	printf("A %s MiB range (%zu pages) registered on a userfaultfd in WP_ASYNC mode and "
	       "protected, then written: one 8-byte store to every page (100%%), every other "
	       "page (50%%), every 100th page (1%%) or none (0%%). **pagemap read + decode**: "
	       "`pread` of the range's /proc/self/pagemap entries, 64 KiB per call, each "
	       "entry decoded (written = present or swapped, and not uffd-wp); "
	       "**PAGEMAP_SCAN get**: the raw ioctl, category_mask = return_mask = WRITTEN; "
	       "**pw_scan native / emulated**: the same query through pw_scan; "
	       "**get+protect**: the raw ioctl with WP_MATCHING, which protects what it "
	       "reports (the pages are written again, untimed, after each sample). Every side "
	       "found exactly the pages written before it was timed. %d repetitions, sides "
	       "alternated; ns per page of the range, median [p10, p90].\n\n",
	       num(sz, sizeof(sz), (double)(pages * PAGE) / MIB), pages, scan_reps);
	printf("| layout | contents |\n|---|---|\n");
	for (l = 0; l < NSL; l++)
		printf("| %s | %s |\n", sl_key[l], sl_what[l]);
	printf("\n| layout | written | regions | PMD-mapped pages |");
	for (s = 0; s < NSS; s++)
		printf(" %s |", ss_title[s]);
	for (i = 0; i < NSR; i++)
		printf(" %s |", sr_key[i]);
	printf("\n|---|---|---|---|");
	for (s = 0; s < NSS + NSR; s++)
		printf("---|");
	printf("\n");
	for (l = 0; l < NSL; l++) {
		for (fi = 0; fi < NSF; fi++) {
			const struct scan_result *r = &scan_res[l][fi];

			printf("| %s | %s | %ld | %ld |", sl_key[l], sf_key[fi], r->regions, r->huge);
			for (s = 0; s < NSS; s++)
				cell(&r->t[s]);
			for (i = 0; i < NSR; i++)
				cell(&r->r[i]);
			printf("\n");
		}
	}
	printf("\n");
	for (l = 0; l < NSL; l++) {
		char layout[32];

		snprintf(layout, sizeof(layout), "scan-%s", sl_key[l]);
		for (fi = 0; fi < NSF; fi++) {
			const struct scan_result *r = &scan_res[l][fi];
			char note[96];

			snprintf(note, sizeof(note), "pages=%zu written=%zu regions=%ld pmd_pages=%ld",
				 pages, r->written, r->regions, r->huge);
			for (s = 0; s < NSS; s++)
				csv_fig(layout, sf_key[fi], ss_key[s], "ns/page", &r->t[s], note);
			for (i = 0; i < NSR; i++)
				csv_fig(layout, sf_key[fi], sr_key[i], "x", &r->r[i],
					"paired per repetition");
		}
	}
}

static int bench_scan(void)
{
	size_t pages = R.smoke ? SCAN_PAGES_SMOKE : SCAN_PAGES;
	int l, err;

	if (!R.have_async) {
		printf("### Scan cost per page against the written fraction\n\nNot run: this "
		       "kernel has no PAGEMAP_SCAN with uffd-wp async.\n\n");
		return 0;
	}
	scan_reps = reps_or(SCAN_REPS);
	for (l = 0; l < NSL; l++) {
		err = scan_layout((enum scan_layout)l, pages);
		if (err) {
			fprintf(stderr, "cost_bench: scan %s: %s\n", sl_key[l], strerror(-err));
			return err;
		}
	}
	scan_report(pages);
	return 0;
}

/* ==== 2. arm cost per page ==== */

enum arm_side {
	A_MPROT, A_UFFD_WP, A_SCAN_WP, A_CLEAR_REFS,
	A_RESET_ASYNC, A_RESET_SYNC, A_RESET_MPROT,
	A_START_ASYNC, A_START_SYNC, A_START_MPROT,
	NARM
};

static const char *const arm_key[NARM] = {
	"mprotect", "uffdio_writeprotect", "scan_protect", "clear_refs",
	"pw_reset/uffd-async", "pw_reset/uffd-sync", "pw_reset/mprotect",
	"pw_start/uffd-async", "pw_start/uffd-sync", "pw_start/mprotect",
};
static const char *const arm_title[NARM] = {
	"mprotect(PROT_READ) (under mprotect)",
	"UFFDIO_WRITEPROTECT (under uffd-sync)",
	"PAGEMAP_SCAN WP_MATCHING, vec_len 0 (under uffd-async)",
	"clear_refs 4 (under soft-dirty)",
	"pw_watch_reset, uffd-async", "pw_watch_reset, uffd-sync", "pw_watch_reset, mprotect",
	"pw_watch_start, uffd-async", "pw_watch_start, uffd-sync", "pw_watch_start, mprotect",
};
/* The bare mechanism each pw_watch_* side is compared with. */
static const int arm_bare[NARM] = {
	-1, -1, -1, -1, A_SCAN_WP, A_UFFD_WP, A_MPROT, A_SCAN_WP, A_UFFD_WP, A_MPROT,
};

static enum pw_backend arm_backend(enum arm_side s)
{
	switch (s) {
	case A_RESET_ASYNC:
	case A_START_ASYNC:
		return PW_BACKEND_UFFD_ASYNC;
	case A_RESET_SYNC:
	case A_START_SYNC:
		return PW_BACKEND_UFFD_SYNC;
	default:
		return PW_BACKEND_MPROTECT;
	}
}

struct arm_ctx {
	enum arm_side side;
	bool fresh;		/* never touched: a new mapping per sample */
	char *base;
	size_t pages;
	int uffd;
	struct pw_watch *w;
	bool ok;
};

static bool arm_available(enum arm_side s)
{
	switch (s) {
	case A_UFFD_WP:
		return R.have_uffd;
	case A_SCAN_WP:
		return R.have_async;
	case A_CLEAR_REFS:
		return R.clear_refs >= 0;
	case A_RESET_ASYNC:
	case A_START_ASYNC:
		return R.have_async && R.probe.uffd_wp_unpopulated;
	case A_RESET_SYNC:
	case A_START_SYNC:
		return R.have_uffd;
	default:
		return true;
	}
}

/* Untimed: the state the arm starts from. */
static int arm_prep(struct arm_ctx *c)
{
	size_t len = c->pages * PAGE;
	int err = 0;

	if (c->fresh && c->side != A_CLEAR_REFS) {
		c->base = map_pages(c->pages, true, MADV_NOHUGEPAGE);
		if (!c->base)
			return -errno;
		if (c->side == A_UFFD_WP || c->side == A_SCAN_WP)
			err = uffd_register(c->uffd, c->base, len);
		return err;
	}
	switch (c->side) {
	case A_MPROT:
		return mprotect(c->base, len, PROT_READ | PROT_WRITE) ? -errno : 0;
	case A_UFFD_WP:
	case A_SCAN_WP:
		return uffd_wp(c->uffd, c->base, len, false);
	case A_RESET_ASYNC:
	case A_RESET_SYNC:
	case A_RESET_MPROT:
		touch(c->base, c->pages, 1);	/* every page written since */
		return 0;
	default:
		return 0;
	}
}

/* Timed. */
static int arm_do(struct arm_ctx *c)
{
	size_t len = c->pages * PAGE;

	switch (c->side) {
	case A_MPROT:
		return mprotect(c->base, len, PROT_READ) ? -errno : 0;
	case A_UFFD_WP:
		return uffd_wp(c->uffd, c->base, len, true);
	case A_SCAN_WP:
		return scan_protect_all(c->base, len);
	case A_CLEAR_REFS:
		return write(R.clear_refs, "4", 1) == 1 ? 0 : -errno;
	case A_RESET_ASYNC:
	case A_RESET_SYNC:
	case A_RESET_MPROT:
		return pw_watch_reset(c->w, c->base, len);
	default:
		return pw_watch_start(&c->w, c->base, len, arm_backend(c->side));
	}
}

/* Untimed: undo what the sample left behind. */
static void arm_post(struct arm_ctx *c)
{
	size_t len = c->pages * PAGE;

	if (c->side >= A_START_ASYNC) {
		pw_watch_stop(c->w);
		c->w = NULL;
	}
	if (c->fresh && c->side != A_CLEAR_REFS) {
		if (c->side == A_UFFD_WP || c->side == A_SCAN_WP)
			uffd_unregister(c->uffd, c->base, len);
		unmap_pages(c->base, c->pages);
		c->base = NULL;
	}
}

static int arm_setup(struct arm_ctx *c)
{
	size_t len = c->pages * PAGE;
	int err = 0;

	c->uffd = -1;
	if (c->side == A_UFFD_WP || c->side == A_SCAN_WP) {
		c->uffd = uffd_open(PW_UFFD_FEATURE_WP_UNPOPULATED |
				    (c->side == A_SCAN_WP ? PW_UFFD_FEATURE_WP_ASYNC : 0));
		if (c->uffd < 0)
			return c->uffd;
	}
	if (c->fresh || c->side == A_CLEAR_REFS)
		return 0;
	c->base = map_pages(c->pages, false, MADV_NOHUGEPAGE);
	if (!c->base)
		return -errno;
	touch(c->base, c->pages, 1);
	if (c->side == A_UFFD_WP || c->side == A_SCAN_WP)
		err = uffd_register(c->uffd, c->base, len);
	if (!err && c->side >= A_RESET_ASYNC && c->side <= A_RESET_MPROT)
		err = pw_watch_start(&c->w, c->base, len, arm_backend(c->side));
	return err;
}

static void arm_teardown(struct arm_ctx *c)
{
	if (c->w)
		pw_watch_stop(c->w);
	c->w = NULL;
	if (c->uffd >= 0)
		close(c->uffd);
	if (!c->fresh)
		unmap_pages(c->base, c->pages);
	c->base = NULL;
}

static struct fig arm_res[2][NARM], arm_ratio[2][NARM];
static double arm_rss_pages, arm_clear_refs_us[2];

static int bench_arm(void)
{
	size_t pages = R.smoke ? ARM_PAGES_SMOKE : ARM_PAGES;
	int reps = reps_or(ARM_REPS), col, rep, i, s, err = 0;
	static double v[NARM][MAXREPS];
	struct arm_ctx ctx[NARM];
	long rss;

	for (col = 0; col < 2 && !err; col++) {
		bool fresh = col == 1;

		memset(ctx, 0, sizeof(ctx));
		for (s = 0; s < NARM; s++) {
			ctx[s].side = (enum arm_side)s;
			ctx[s].fresh = fresh;
			ctx[s].pages = pages;
			ctx[s].uffd = -1;
			ctx[s].ok = arm_available((enum arm_side)s) &&
				    !(fresh && s >= A_RESET_ASYNC && s <= A_RESET_MPROT);
			if (!ctx[s].ok)
				continue;
			err = arm_setup(&ctx[s]);
			if (err) {
				fprintf(stderr, "cost_bench: arm %s: set-up: %s\n", arm_key[s],
					strerror(-err));
				break;
			}
		}
		rss = bench_status_kib("VmRSS");
		if (!fresh && rss > 0)
			arm_rss_pages = (double)rss * 1024 / PAGE;
		for (rep = 0; rep < reps && !err; rep++) {
			for (i = 0; i < NARM && !err; i++) {
				double best = -1;
				unsigned a;

				s = (rep + i) % NARM;
				if (!ctx[s].ok)
					continue;
				/* Set up, arm (timed), clean up; all of it again
				 * while the arm was preempted, as sample() does. */
				for (a = 0;; a++) {
					uint64_t t0, t1, c0, c1;
					double share;

					err = arm_prep(&ctx[s]);
					if (err)
						break;
					c0 = bench_thread_cpu_ns();
					t0 = bench_now_ns();
					err = arm_do(&ctx[s]);
					t1 = bench_now_ns();
					c1 = bench_thread_cpu_ns();
					arm_post(&ctx[s]);
					if (err)
						break;
					share = t1 > t0 ? (double)(c1 - c0) / (double)(t1 - t0) : 1;
					if (share > best) {
						best = share;
						v[s][rep] = (double)(t1 - t0) / (double)pages;
					}
					if (best >= BENCH_QUIET_SHARE)
						break;
					if (a + 1 >= QUIET_TRIES || R.q.retried >= R.q.budget) {
						R.q.disturbed++;
						break;
					}
					R.q.retried++;
				}
			}
			if (err)
				fprintf(stderr, "cost_bench: arm %s: %s\n", arm_key[s], strerror(-err));
		}
		for (s = 0; s < NARM; s++) {
			if (ctx[s].ok && !err) {
				fig_of(&arm_res[col][s], v[s], (size_t)reps);
				if (arm_bare[s] >= 0 && ctx[arm_bare[s]].ok)
					ratio_of(&arm_ratio[col][s], v[s], v[arm_bare[s]],
						 (size_t)reps);
			}
			arm_teardown(&ctx[s]);
		}
		if (arm_res[col][A_CLEAR_REFS].have)
			arm_clear_refs_us[col] = arm_res[col][A_CLEAR_REFS].s.median *
						 (double)pages / 1000;
		progress("arm %s: mprotect %.2f, UFFDIO_WRITEPROTECT %.2f, PAGEMAP_SCAN %.2f ns/page",
			 fresh ? "never-touched" : "populated", arm_res[col][A_MPROT].s.median,
			 arm_res[col][A_UFFD_WP].s.median, arm_res[col][A_SCAN_WP].s.median);
	}
	if (err)
		return err;

	printf("### Arm cost per page\n\n");
	printf("Protecting a %zu-page (%zu MiB) range from which every write is to be "
	       "tracked. **populated**: every page present and written since the last arm "
	       "(the bare sides are un-protected by the matching call, the pw_watch_reset "
	       "sides by writing every page: untimed); **never touched**: a fresh mapping per "
	       "sample (MAP_NORESERVE), registered on the userfaultfd first where the side "
	       "needs it (untimed), so the uffd-wp sides install a marker in every entry "
	       "(WP_UNPOPULATED). pw_watch_start includes its checks of /proc/self/maps, the "
	       "userfaultfd set-up and registration, and is followed by an untimed "
	       "pw_watch_stop. clear_refs 4 resets soft-dirty for the whole process, whatever "
	       "the range: its cost is per call (%s) and grows with the process's resident "
	       "pages (%.0f at the time), not with the range; %s. %d repetitions, sides "
	       "alternated; ns per page, median [p10, p90]; ratio: pw_watch_* over the bare "
	       "mechanism under it, paired per repetition.\n\n",
	       pages, pages * PAGE / MIB,
	       arm_res[0][A_CLEAR_REFS].have ? "see below" : "not measured", arm_rss_pages,
	       R.probe.soft_dirty ? "soft-dirty works on this kernel" :
	       "**this kernel has no soft-dirty (no CONFIG_MEM_SOFT_DIRTY): the write is "
	       "accepted and walks the page tables, but clears nothing**", reps);
	printf("| mechanism | populated | never touched | ratio to bare, populated | "
	       "ratio to bare, never touched |\n|---|---|---|---|---|\n");
	for (s = 0; s < NARM; s++) {
		printf("| %s |", arm_title[s]);
		cell(&arm_res[0][s]);
		cell(&arm_res[1][s]);
		if (arm_bare[s] >= 0) {
			cell(&arm_ratio[0][s]);
			cell(&arm_ratio[1][s]);
		} else {
			printf(" — | — |");
		}
		printf("\n");
	}
	if (arm_res[0][A_CLEAR_REFS].have)
		printf("\nclear_refs 4: %.1f µs per call beside the populated ranges, %.1f µs "
		       "beside the never-touched ones; %.3f ns per resident page of the process.\n",
		       arm_clear_refs_us[0], arm_clear_refs_us[1],
		       arm_rss_pages > 0 ? arm_clear_refs_us[0] * 1000 / arm_rss_pages : NAN);
	printf("\n");
	for (col = 0; col < 2; col++) {
		char q[32];

		snprintf(q, sizeof(q), "%zu", pages);
		for (s = 0; s < NARM; s++) {
			char note[64];

			snprintf(note, sizeof(note), "pages=%zu rss_pages=%.0f", pages, arm_rss_pages);
			csv_fig(col ? "arm-untouched" : "arm-populated", q, arm_key[s], "ns/page",
				&arm_res[col][s], note);
			csv_fig(col ? "arm-ratio-untouched" : "arm-ratio-populated", q, arm_key[s],
				"x", &arm_ratio[col][s], "over the bare mechanism, paired");
		}
	}
	return 0;
}

/* ==== trackers: a backend through pw_watch_*, or its bare mechanism ==== */

enum tk_kind { TK_ASYNC, TK_SYNC, TK_MPROT, NTK };
#define NTRK (2 * NTK)			/* index: kind * 2 + pw */

static const char *const tk_name[NTK] = { "uffd-async", "uffd-sync", "mprotect" };
static const enum pw_backend tk_backend[NTK] = {
	PW_BACKEND_UFFD_ASYNC, PW_BACKEND_UFFD_SYNC, PW_BACKEND_MPROTECT,
};

struct tracker {
	enum tk_kind kind;
	bool pw;
	char *base;
	size_t pages;
	size_t stride;			/* the pages a cycle writes */
	bool shared;			/* base belongs to the caller */
	/* bare */
	int uffd, stopfd;
	pthread_t thread;
	bool thread_started;
	_Atomic uint64_t *bits;		/* sync, mprotect: written since collected */
	size_t nwords;
	/* pw_watch */
	struct pw_watch *w;
	void **out;
	struct pw_snapshot *snap;
	/* accounting, summed over the cycles of a sample */
	uint64_t write_ns, collect_ns;
	size_t collected;
	unsigned long enomem;		/* mprotect's whole-watch fallback answers */
	unsigned long mismatches;
};

static const char *tk_impl(const struct tracker *t)
{
	return t->pw ? "pw" : "bare";
}

static bool tk_available(enum tk_kind k, bool pw)
{
	switch (k) {
	case TK_ASYNC:
		return R.have_async && (!pw || R.probe.uffd_wp_unpopulated);
	case TK_SYNC:
		return R.have_uffd;
	default:
		(void)pw;
		return true;
	}
}

/* -- bare mprotect: our handler, above pagewatch's -- */

static _Atomic(struct tracker *) mp_bare;
static struct sigaction mp_prev;

static void mp_bare_segv(int sig, siginfo_t *si, void *uc)
{
	struct tracker *t = atomic_load(&mp_bare);
	uintptr_t a = (uintptr_t)si->si_addr;

	if (t && si->si_code == SEGV_ACCERR && a >= (uintptr_t)t->base &&
	    a < (uintptr_t)t->base + t->pages * PAGE) {
		size_t i = (a - (uintptr_t)t->base) / PAGE;
		int saved = errno;

		mprotect((void *)(a & ~(PAGE - 1)), PAGE, PROT_READ | PROT_WRITE);
		atomic_fetch_or(&t->bits[i / 64], 1ULL << (i % 64));
		errno = saved;
		return;
	}
	if (mp_prev.sa_flags & SA_SIGINFO) {
		mp_prev.sa_sigaction(sig, si, uc);
	} else if (mp_prev.sa_handler != SIG_DFL && mp_prev.sa_handler != SIG_IGN) {
		mp_prev.sa_handler(sig);
	} else {
		/* Not ours, nobody else's: the fault repeats and kills. */
		struct sigaction dfl = { .sa_handler = SIG_DFL };

		sigaction(sig, &dfl, NULL);
	}
}

/* pagewatch installs its handler with its first mprotect watch; ours goes
 * above it, so that both sides pay one handler and a range check. */
static int mp_install(void)
{
	struct pw_watch *w;
	struct sigaction sa;
	char *p = map_pages(1, false, MADV_NOHUGEPAGE);
	int err;

	if (!p)
		return -errno;
	err = pw_watch_start(&w, p, PAGE, PW_BACKEND_MPROTECT);
	if (!err)
		pw_watch_stop(w);
	unmap_pages(p, 1);
	if (err)
		return err;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = mp_bare_segv;
	sa.sa_flags = SA_SIGINFO;
	sigfillset(&sa.sa_mask);
	return sigaction(SIGSEGV, &sa, &mp_prev) ? -errno : 0;
}

/* -- bare uffd-sync: a thread resolves every write -- */

static void *sync_handler(void *arg)
{
	struct tracker *t = arg;
	struct pollfd pfd[2] = {
		{ .fd = t->uffd, .events = POLLIN },
		{ .fd = t->stopfd, .events = POLLIN },
	};
	struct pw_uffd_msg msg[16];

	for (;;) {
		ssize_t n;
		size_t i;

		if (poll(pfd, 2, -1) < 0)
			continue;
		if (pfd[1].revents)
			return NULL;
		while ((n = read(t->uffd, msg, sizeof(msg))) > 0) {
			for (i = 0; i < (size_t)n / sizeof(msg[0]); i++) {
				uint64_t a = msg[i].arg.pagefault.address & ~(uint64_t)(PAGE - 1);
				size_t pg = (size_t)((a - (uintptr_t)t->base) / PAGE);

				if (msg[i].event != PW_UFFD_EVENT_PAGEFAULT)
					continue;
				if (pg < t->pages)
					atomic_fetch_or(&t->bits[pg / 64], 1ULL << (pg % 64));
				uffd_wp(t->uffd, (void *)(uintptr_t)a, PAGE, false);  /* wakes it */
			}
		}
	}
}

static size_t harvest(struct tracker *t)
{
	size_t i, n = 0;

	for (i = 0; i < t->nwords; i++)
		if (atomic_load_explicit(&t->bits[i], memory_order_relaxed))
			n += (size_t)__builtin_popcountll(atomic_exchange(&t->bits[i], 0));
	return n;
}

/* A tracker of pages pages at base (populated by the caller), or of a new
 * mapping populated here (base NULL), armed. */
static int tk_setup(struct tracker *t, enum tk_kind k, bool pw, size_t pages, size_t stride,
		    char *base)
{
	size_t len = pages * PAGE;
	int err = 0;

	memset(t, 0, sizeof(*t));
	t->kind = k;
	t->pw = pw;
	t->pages = pages;
	t->stride = stride;
	t->uffd = t->stopfd = -1;
	t->shared = base != NULL;
	t->base = base ? base : map_pages(pages, false, MADV_NOHUGEPAGE);
	if (!t->base)
		return -errno;
	if (!base)
		populate(t->base, pages);	/* before it is armed */
	if (pw) {
		t->out = malloc(pages * sizeof(*t->out));
		if (!t->out)
			return -ENOMEM;
		return pw_watch_start(&t->w, t->base, len, tk_backend[k]);
	}
	t->nwords = (pages + 63) / 64;
	t->bits = calloc(t->nwords, sizeof(*t->bits));
	if (!t->bits)
		return -ENOMEM;
	switch (k) {
	case TK_ASYNC:
		t->uffd = uffd_open(PW_UFFD_FEATURE_WP_ASYNC | PW_UFFD_FEATURE_WP_UNPOPULATED);
		if (t->uffd < 0)
			return t->uffd;
		err = uffd_register(t->uffd, t->base, len);
		return err ? err : scan_protect_all(t->base, len);
	case TK_SYNC: {
		sigset_t all, old;

		t->uffd = uffd_open(PW_UFFD_FEATURE_WP_UNPOPULATED);
		if (t->uffd < 0)
			return t->uffd;
		err = uffd_register(t->uffd, t->base, len);
		if (!err)
			err = uffd_wp(t->uffd, t->base, len, true);
		if (err)
			return err;
		t->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (t->stopfd < 0)
			return -errno;
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		err = -pthread_create(&t->thread, NULL, sync_handler, t);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		t->thread_started = !err;
		return err;
	}
	default:
		if (atomic_load(&mp_bare))
			return -EBUSY;		/* one at a time */
		if (mprotect(t->base, len, PROT_READ))
			return -errno;
		atomic_store(&mp_bare, t);
		return 0;
	}
}

static void tk_teardown(struct tracker *t)
{
	uint64_t one = 1;

	if (t->snap)
		pw_snapshot_free(t->snap);
	if (t->w)
		pw_watch_stop(t->w);
	if (t->thread_started) {
		if (write(t->stopfd, &one, sizeof(one)) == sizeof(one))
			pthread_join(t->thread, NULL);
		else
			pthread_detach(t->thread);	/* cannot happen; never hang */
	}
	if (t->stopfd >= 0)
		close(t->stopfd);
	if (t->uffd >= 0)
		close(t->uffd);
	if (!t->pw && t->kind == TK_MPROT && atomic_load(&mp_bare) == t) {
		atomic_store(&mp_bare, NULL);
		mprotect(t->base, t->pages * PAGE, PROT_READ | PROT_WRITE);
	}
	if (!t->shared)
		unmap_pages(t->base, t->pages);
	free(t->out);
	free((void *)t->bits);
	memset(t, 0, sizeof(*t));
	t->uffd = t->stopfd = -1;
}

/* Collect the written pages and arm again; the count, or -errno. */
static long tk_collect(struct tracker *t)
{
	size_t len = t->pages * PAGE, n;
	int err;

	if (t->pw) {
		n = t->pages;
		err = pw_watch_get(t->w, t->base, len, PW_WATCH_RESET, t->out, &n);
		if (err == -ENOMEM && t->kind == TK_MPROT) {
			/* The budget of mappings ran out: the watch fell back to
			 * whole-watch granularity and says so once; ask again. */
			t->enomem++;
			n = t->pages;
			err = pw_watch_get(t->w, t->base, len, PW_WATCH_RESET, t->out, &n);
		}
		return err ? err : (long)n;
	}
	switch (t->kind) {
	case TK_ASYNC:
		return scan_count(NULL, t->base, len, PW_PAGE_WRITTEN, true, NULL);
	case TK_SYNC:
		n = harvest(t);
		err = uffd_wp(t->uffd, t->base, len, true);
		return err ? err : (long)n;
	default:
		n = harvest(t);
		return mprotect(t->base, len, PROT_READ) ? -errno : (long)n;
	}
}

/*
 * One sample of iters calls of fn, taken again (up to QUIET_TRIES
 * attempts, within the run's budget) while the thread ran less than
 * BENCH_QUIET_SHARE of it: preempted by another process.  blocks: the
 * operation waits for another thread by design (uffd-sync), so its CPU
 * share says nothing and one attempt is kept.  t: a tracker whose
 * write/collect times must be those of the attempt kept.
 */
static int sample(bench_fn fn, void *ctx, unsigned long iters, bool blocks,
		  struct tracker *t, uint64_t *ns)
{
	uint64_t wall, cpu, keep_w = 0, keep_c = 0;
	double best = -1;
	unsigned a;
	int err;

	for (a = 0;; a++) {
		double share;

		if (t)
			t->write_ns = t->collect_ns = 0;
		err = bench_sample(fn, ctx, iters, &wall, blocks ? NULL : &cpu);
		if (err)
			return err;
		share = blocks || !wall ? 1.0 : (double)cpu / (double)wall;
		if (share > best) {
			best = share;
			*ns = wall;
			if (t) {
				keep_w = t->write_ns;
				keep_c = t->collect_ns;
			}
		}
		if (best >= BENCH_QUIET_SHARE)
			break;
		if (a + 1 >= QUIET_TRIES || R.q.retried >= R.q.budget || wall > QUIET_MAX_NS) {
			R.q.disturbed++;
			break;
		}
		R.q.retried++;
	}
	if (t) {
		t->write_ns = keep_w;
		t->collect_ns = keep_c;
	}
	return 0;
}

/* One cycle: write the pattern, collect and arm again. */
static int tk_cycle(void *arg)
{
	struct tracker *t = arg;
	uint64_t t0 = bench_now_ns(), t1, t2;
	long n;

	touch(t->base, t->pages, t->stride);
	t1 = bench_now_ns();
	n = tk_collect(t);
	t2 = bench_now_ns();
	if (n < 0)
		return (int)n;
	t->write_ns += t1 - t0;
	t->collect_ns += t2 - t1;
	t->collected = (size_t)n;
	if ((size_t)n != touched(t->pages, t->stride) && !t->enomem)
		t->mismatches++;
	return 0;
}

/* ==== 3. the full cycle against the region size ==== */

static const size_t cycle_sizes[] = { 1, 10, 100, 1000, 10000, 100000, 1000000 };
#define NCS (sizeof(cycle_sizes) / sizeof(cycle_sizes[0]))
#define NCS_SMOKE 4

struct cycle_result {
	bool ran[NTRK];
	char why[NTRK][96];		/* why not run */
	struct fig cyc[NTRK], wr[NTRK], col[NTRK];
	struct fig ratio[NTK];		/* pw / bare, paired */
	unsigned long enomem[NTRK], cycles[NTRK];
	int reps;
};

static struct cycle_result cyc_res[NCS];

static int cycle_size(unsigned si, const double *prev_pp)
{
	struct cycle_result *res = &cyc_res[si];
	size_t pages = cycle_sizes[si];
	static struct tracker tk[NTRK];
	static double vc[NTRK][MAXREPS], vw[NTRK][MAXREPS], vcol[NTRK][MAXREPS];
	unsigned long iters[NTRK] = { 0 }, enomem[NTRK] = { 0 }, mism[NTRK] = { 0 };
	uint64_t avail = mem_available(), need = 0, est_rep = 0;
	/* The biggest size: one region, populated once (seconds, on this VM)
	 * and armed by each side in turn, untimed, at every repetition. */
	bool shared = pages >= CYCLE_SHARE_PAGES;
	char *sbase = NULL;
	int i, rep, err = 0, reps;

	/* The big sizes start only if the run stays within its budget. */
	if (pages >= CYCLE_SHARE_PAGES) {
		double est = populate_ns * (double)pages, left;

		for (i = 0; i < NTRK; i++)
			if (tk_available((enum tk_kind)(i / 2), i % 2) && prev_pp[i] > 0 &&
			    prev_pp[i] * (double)pages * CYCLE_MIN_REPS <= (double)CYCLE_SIDE_CAP_NS)
				est += CYCLE_MIN_REPS * (prev_pp[i] + 300) * (double)pages;
		left = (double)RUN_BUDGET_NS - (double)(bench_now_ns() - R.t0);
		if (est > left) {
			for (i = 0; i < NTRK; i++)
				snprintf(res->why[i], sizeof(res->why[i]), "skipped: ~%.0f s left of "
					 "the run's %.0f s, this size needs ~%.0f s", left > 0 ? left / 1e9 : 0,
					 (double)RUN_BUDGET_NS / 1e9, est / 1e9);
			progress("cycle %zu pages: skipped (time budget)", pages);
			return 0;
		}
	}
	if (shared) {
		if (avail && (double)(pages * PAGE) > 0.6 * (double)avail) {
			for (i = 0; i < NTRK; i++)
				snprintf(res->why[i], sizeof(res->why[i]), "skipped: memory");
			return 0;
		}
		sbase = map_pages(pages, false, MADV_NOHUGEPAGE);
		if (!sbase)
			return -errno;
		populate(sbase, pages);
		need = pages * PAGE;
	}

	for (i = 0; i < NTRK; i++) {
		enum tk_kind k = (enum tk_kind)(i / 2);
		bool pw = i % 2;
		double est_ns = prev_pp[i] * (double)pages;

		if (!tk_available(k, pw)) {
			snprintf(res->why[i], sizeof(res->why[i]), "not available here");
			continue;
		}
		/* Skipped at the size below: skipped here, for the same reason. */
		if (si > 0 && pages > 1000 && !cyc_res[si - 1].ran[i]) {
			snprintf(res->why[i], sizeof(res->why[i]), "skipped, as at %zu",
				 cycle_sizes[si - 1]);
			continue;
		}
		if (prev_pp[i] > 0 && est_ns * CYCLE_MIN_REPS > (double)CYCLE_SIDE_CAP_NS) {
			snprintf(res->why[i], sizeof(res->why[i]),
				 "skipped: %d cycles would take ~%.0f s", CYCLE_MIN_REPS,
				 est_ns * CYCLE_MIN_REPS / 1e9);
			continue;
		}
		if (shared) {
			res->ran[i] = true;
			continue;
		}
		if (avail && (double)(need + pages * PAGE) > 0.6 * (double)avail) {
			snprintf(res->why[i], sizeof(res->why[i]), "skipped: memory");
			continue;
		}
		need += pages * PAGE;
		err = tk_setup(&tk[i], k, pw, pages, 1, NULL);
		if (err) {
			fprintf(stderr, "cost_bench: cycle %zu pages: %s %s: %s\n", pages,
				tk_name[k], pw ? "pw" : "bare", strerror(-err));
			tk_teardown(&tk[i]);
			return err;
		}
		res->ran[i] = true;
	}
	for (i = 0; i < NTRK && !res->ran[i]; i++)
		;
	if (i == NTRK) {
		unmap_pages(sbase, pages);
		progress("cycle %zu pages: no side runs", pages);
		return 0;
	}
	/* Small regions: a warm-up cycle, and a timed one to size the
	 * samples; from 10^4 pages: one cycle per sample, and the time of a
	 * repetition estimated from the smaller sizes (every region was
	 * populated before it was armed). */
	for (i = 0; i < NTRK && !err; i++) {
		uint64_t t0, ns;

		if (!res->ran[i])
			continue;
		iters[i] = 1;
		if (pages >= 10000 || shared) {
			/* Estimated from the smaller sizes' medians: one noisy
			 * cycle is no estimate. */
			est_rep += (uint64_t)(prev_pp[i] * (double)pages);
			if (pages == 10000 && !shared)
				err = tk_cycle(&tk[i]);
			continue;
		}
		err = tk_cycle(&tk[i]);
		t0 = bench_now_ns();
		if (!err)
			err = tk_cycle(&tk[i]);
		ns = bench_now_ns() - t0;
		if (!ns)
			ns = 1;
		if (ns < MIN_SAMPLE_NS && !R.smoke)
			iters[i] = (unsigned long)(MIN_SAMPLE_NS / ns) + 1;
		est_rep += ns * iters[i];
	}
	reps = est_rep ? (int)(CYCLE_SIZE_BUDGET_NS / est_rep) : CYCLE_MAX_REPS;
	if (reps > CYCLE_MAX_REPS)
		reps = CYCLE_MAX_REPS;
	if (reps < CYCLE_MIN_REPS)
		reps = CYCLE_MIN_REPS;
	if (R.o.reps)
		reps = reps_or(reps);
	if (R.smoke)
		reps = REPS_SMOKE;
	res->reps = reps;
	for (i = 0; i < NTRK; i++) {
		tk[i].enomem = 0;
		tk[i].mismatches = 0;
	}
	if (pages >= 100000)
		progress("cycle %zu pages: set up, %d repetitions", pages, reps);
	for (rep = 0; rep < reps && !err; rep++) {
		int j;

		for (j = 0; j < NTRK && !err; j++) {
			struct tracker *t;
			uint64_t ns;
			double div;

			i = (rep + j) % NTRK;
			if (!res->ran[i])
				continue;
			t = &tk[i];
			if (shared) {
				err = tk_setup(t, (enum tk_kind)(i / 2), i % 2, pages, 1, sbase);
				if (err) {
					fprintf(stderr, "cost_bench: cycle %zu pages: %s %s: %s\n",
						pages, tk_name[i / 2], i % 2 ? "pw" : "bare",
						strerror(-err));
					tk_teardown(t);
					break;
				}
			}
			err = sample(tk_cycle, t, iters[i], t->kind == TK_SYNC, t, &ns);
			if (err)
				fprintf(stderr, "cost_bench: cycle %zu pages: %s %s: %s\n", pages,
					tk_name[t->kind], tk_impl(t), strerror(-err));
			div = (double)iters[i] * (double)pages;
			vc[i][rep] = (double)ns / div;
			vw[i][rep] = (double)t->write_ns / div;
			vcol[i][rep] = (double)t->collect_ns / div;
			res->cycles[i] += iters[i];
			enomem[i] += t->enomem;
			mism[i] += t->mismatches;
			t->enomem = t->mismatches = 0;
			if (shared)
				tk_teardown(t);
		}
	}
	if (pages >= 100000)
		progress("cycle %zu pages: measured", pages);
	for (i = 0; i < NTRK; i++) {
		if (res->ran[i] && !err) {
			fig_of(&res->cyc[i], vc[i], (size_t)reps);
			fig_of(&res->wr[i], vw[i], (size_t)reps);
			fig_of(&res->col[i], vcol[i], (size_t)reps);
			res->enomem[i] = enomem[i];
			if (mism[i]) {
				fprintf(stderr, "cost_bench: cycle %zu pages: %s %s: %lu cycles "
					"collected another count than written\n", pages,
					tk_name[i / 2], i % 2 ? "pw" : "bare", mism[i]);
				R.errors++;
			}
		}
		if (res->ran[i] && !shared)
			tk_teardown(&tk[i]);
	}
	unmap_pages(sbase, pages);
	for (i = 0; i < NTK && !err; i++)
		if (res->ran[2 * i] && res->ran[2 * i + 1])
			ratio_of(&res->ratio[i], vc[2 * i + 1], vc[2 * i], (size_t)reps);
	progress("cycle %zu pages (%d reps): async %.0f/%.0f, sync %.0f/%.0f, mprotect %.0f/%.0f "
		 "ns/page (bare/pw)", pages, reps,
		 res->cyc[0].s.median, res->cyc[1].s.median, res->cyc[2].s.median,
		 res->cyc[3].s.median, res->cyc[4].s.median, res->cyc[5].s.median);
	return err;
}

static void trk_label(char *buf, size_t n, int i)
{
	snprintf(buf, n, "%s %s", tk_name[i / 2], i % 2 ? "pw_watch" : "bare");
}

static int bench_cycle(void)
{
	double prev_pp[NTRK] = { 0 };
	unsigned si, ns = R.smoke ? NCS_SMOKE : NCS;
	int i, err;
	char lbl[64];
	bool any_enomem = false, any_skip = false;

	for (si = 0; si < ns; si++) {
		err = cycle_size(si, prev_pp);
		if (err)
			return err;
		/* The estimate for the bigger sizes: the least median from
		 * 10^3 pages on (the cost per page is flat there; the least is
		 * the one noise inflated least); a side skipped stays so. */
		for (i = 0; i < NTRK; i++) {
			double m = cyc_res[si].cyc[i].s.median;

			if (cycle_sizes[si] < 1000)
				continue;
			if (cyc_res[si].ran[i] && (!prev_pp[i] || m < prev_pp[i]))
				prev_pp[i] = m;
		}
	}

	printf("### Full cycle per page against the region size\n\n");
	printf("One cycle writes every page of the region once (an 8-byte store), then "
	       "collects the written pages and arms again: pw_watch_get with PW_WATCH_RESET "
	       "into an array of every page, on each backend; the bare mechanisms: "
	       "PAGEMAP_SCAN get+protect (WP_MATCHING) on a WP_ASYNC userfaultfd; a sync "
	       "userfaultfd whose thread reads each message, marks a bitmap and un-protects "
	       "the page, collected by reading the bitmap and one UFFDIO_WRITEPROTECT of the "
	       "range; mprotect + a SIGSEGV handler that marks a bitmap and mprotects the page "
	       "back, collected by reading the bitmap and one mprotect(PROT_READ) of the "
	       "range. soft-dirty is %s. Every region is populated before it is armed; up to "
	       "10^4 pages an untimed cycle warms it up, and the cycle is repeated to fill a "
	       "%.0f ms sample. The repetitions shrink with the size (a %.0f s budget per "
	       "size, %d at least), and a side whose %d cycles would take more than %.0f s "
	       "(estimated from the previous size) is not run. ns per page per cycle, median "
	       "[p10, p90] (min-max under 10 repetitions).\n\n",
	       R.probe.soft_dirty ? "not measured here (its reset is process-wide)" :
	       "missing from this kernel (no CONFIG_MEM_SOFT_DIRTY)",
	       (double)MIN_SAMPLE_NS / 1e6, (double)CYCLE_SIZE_BUDGET_NS / 1e9, CYCLE_MIN_REPS,
	       CYCLE_MIN_REPS, (double)CYCLE_SIDE_CAP_NS / 1e9);
	printf("| pages | reps |");
	for (i = 0; i < NTRK; i++) {
		trk_label(lbl, sizeof(lbl), i);
		printf(" %s |", lbl);
	}
	for (i = 0; i < NTK; i++)
		printf(" %s pw/bare |", tk_name[i]);
	printf("\n|---|---|");
	for (i = 0; i < NTRK + NTK; i++)
		printf("---|");
	printf("\n");
	for (si = 0; si < ns; si++) {
		const struct cycle_result *r = &cyc_res[si];

		printf("| %zu | %d |", cycle_sizes[si], r->reps);
		for (i = 0; i < NTRK; i++) {
			if (!r->ran[i]) {
				printf(" %s |", r->why[i]);
				any_skip = true;
				continue;
			}
			cell_note(&r->cyc[i], r->enomem[i] ? "ENOMEM" : NULL, r->enomem[i]);
			any_enomem |= r->enomem[i] > 0;
		}
		for (i = 0; i < NTK; i++)
			cell(&r->ratio[i]);
		printf("\n");
	}
	printf("\nThe same cycles split: the write phase (the faults, and the store) | the "
	       "collect phase (get and arm again), ns per page, medians:\n\n");
	printf("| pages |");
	for (i = 0; i < NTRK; i++) {
		trk_label(lbl, sizeof(lbl), i);
		printf(" %s |", lbl);
	}
	printf("\n|---|");
	for (i = 0; i < NTRK; i++)
		printf("---|");
	printf("\n");
	for (si = 0; si < ns; si++) {
		const struct cycle_result *r = &cyc_res[si];
		char a[32], b[32];

		printf("| %zu |", cycle_sizes[si]);
		for (i = 0; i < NTRK; i++)
			if (r->ran[i])
				printf(" %s / %s |", num(a, sizeof(a), r->wr[i].s.median),
				       num(b, sizeof(b), r->col[i].s.median));
			else
				printf(" — |");
		printf("\n");
	}
	printf("\n");
	if (any_enomem)
		printf("ENOMEM: the mprotect backend budgets vm.max_map_count (two mappings per "
		       "page it un-protects, %ld here); past it the handler un-protects the whole "
		       "watch and marks every page written, and the next pw_watch_get answers "
		       "-ENOMEM once (counted in the cell, N× over all cycles of the size) before "
		       "reporting every page. Its later writes take no fault, so its cost per page "
		       "drops: a loss of precision, not a faster mechanism.\n\n",
		       read_long("/proc/sys/vm/max_map_count"));
	if (any_skip)
		printf("Skipped sides are not measured at that size: their cost per page is flat "
		       "from 10^3 pages on (the table shows it), so the time is better spent "
		       "elsewhere; `--reps` does not change this.\n\n");
	for (si = 0; si < ns; si++) {
		const struct cycle_result *r = &cyc_res[si];
		char q[32], note[96];

		snprintf(q, sizeof(q), "%zu", cycle_sizes[si]);
		for (i = 0; i < NTRK; i++) {
			char metric[32];

			if (!r->ran[i])
				continue;
			snprintf(metric, sizeof(metric), "%s/%s", tk_name[i / 2], i % 2 ? "pw" : "bare");
			snprintf(note, sizeof(note), "cycles=%lu enomem=%lu", r->cycles[i],
				 r->enomem[i]);
			csv_fig("cycle", q, metric, "ns/page", &r->cyc[i], note);
			csv_fig("cycle-write", q, metric, "ns/page", &r->wr[i], note);
			csv_fig("cycle-collect", q, metric, "ns/page", &r->col[i], note);
		}
		for (i = 0; i < NTK; i++)
			csv_fig("cycle-ratio", q, tk_name[i], "x", &r->ratio[i], "pw/bare, paired");
	}
	return 0;
}

/* ==== 3b. uffd-sync: where its handler thread runs ==== */

/*
 * A write to a page under sync uffd-wp is a round trip: the writer stops in
 * the kernel, the handler thread wakes, reads the message and un-protects
 * the page, which wakes the writer.  Where the two threads run decides its
 * cost on a VM: measured here with the writer pinned to one CPU and the
 * handler thread created pinned to the same CPU, or to another one (a new
 * thread inherits the affinity of the thread that creates it; pagewatch
 * creates its handler in pw_watch_start).
 */
#define PLACE_PAGES	1000UL
#define PLACE_PAGES_SMOKE 100UL
#define PLACE_REPS	7

enum { PL_SAME_BARE, PL_SAME_PW, PL_OTHER_BARE, PL_OTHER_PW, NPL };
static struct fig pl_res[NPL], pl_ratio[2];
static int pl_cpu[2] = { -1, -1 };

static int pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return -pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static int bench_placement(void)
{
	size_t pages = R.smoke ? PLACE_PAGES_SMOKE : PLACE_PAGES;
	static struct tracker tk[NPL];
	static double v[NPL][MAXREPS];
	int reps = reps_or(PLACE_REPS), i, k, rep, err = 0;
	cpu_set_t saved;

	if (!R.have_uffd)
		return 0;
	if (pthread_getaffinity_np(pthread_self(), sizeof(saved), &saved))
		return 0;
	for (i = 0, k = 0; i < CPU_SETSIZE && k < 2; i++)
		if (CPU_ISSET(i, &saved))
			pl_cpu[k++] = i;
	if (k < 2)
		return 0;		/* one CPU: nothing to compare */
	/* Handlers on the second CPU first, then on the writer's. */
	err = pin_self(pl_cpu[1]);
	for (i = PL_OTHER_BARE; !err && i <= PL_OTHER_PW; i++)
		err = tk_setup(&tk[i], TK_SYNC, i == PL_OTHER_PW, pages, 1, NULL);
	if (!err)
		err = pin_self(pl_cpu[0]);
	for (i = PL_SAME_BARE; !err && i <= PL_SAME_PW; i++)
		err = tk_setup(&tk[i], TK_SYNC, i == PL_SAME_PW, pages, 1, NULL);
	for (i = 0; !err && i < NPL; i++)
		err = tk_cycle(&tk[i]);			/* warm-up */
	for (rep = 0; rep < reps && !err; rep++) {
		for (k = 0; k < NPL && !err; k++) {
			uint64_t ns;

			i = (rep + k) % NPL;
			err = sample(tk_cycle, &tk[i], 1, true, &tk[i], &ns);
			v[i][rep] = (double)tk[i].write_ns / (double)pages;
		}
	}
	for (i = 0; i < NPL; i++) {
		if (!err)
			fig_of(&pl_res[i], v[i], (size_t)reps);
		if (tk[i].base)
			tk_teardown(&tk[i]);
	}
	pthread_setaffinity_np(pthread_self(), sizeof(saved), &saved);
	if (err) {
		fprintf(stderr, "cost_bench: uffd-sync placement: %s\n", strerror(-err));
		return err;
	}
	ratio_of(&pl_ratio[0], v[PL_OTHER_BARE], v[PL_SAME_BARE], (size_t)reps);
	ratio_of(&pl_ratio[1], v[PL_OTHER_PW], v[PL_SAME_PW], (size_t)reps);
	progress("uffd-sync placement: one CPU %.0f/%.0f, two CPUs %.0f/%.0f ns/write (bare/pw)",
		 pl_res[0].s.median, pl_res[1].s.median, pl_res[2].s.median, pl_res[3].s.median);

	printf("### uffd-sync: where the handler thread runs\n\n");
	printf("The write phase of the cycle above (%zu pages, every page written), per write, "
	       "with the writing thread pinned to CPU %d and the handler thread (bare, or "
	       "pagewatch's: a new thread inherits the affinity of the thread creating it) "
	       "pinned to the same CPU or to CPU %d. Unpinned, the scheduler decides, and the "
	       "tables above show whichever it chose. %d repetitions, sides alternated; ns per "
	       "write, median [min, max].\n\n| handler on | bare | pw_watch |\n|---|---|---|\n",
	       pages, pl_cpu[0], pl_cpu[1], reps);
	printf("| the writer's CPU |");
	cell(&pl_res[PL_SAME_BARE]);
	cell(&pl_res[PL_SAME_PW]);
	printf("\n| another CPU |");
	cell(&pl_res[PL_OTHER_BARE]);
	cell(&pl_res[PL_OTHER_PW]);
	printf("\n| another / the writer's (paired) |");
	cell(&pl_ratio[0]);
	cell(&pl_ratio[1]);
	printf("\n\n");
	for (i = 0; i < NPL; i++) {
		char note[64];

		snprintf(note, sizeof(note), "pages=%zu cpus=%d,%d", pages, pl_cpu[0], pl_cpu[1]);
		csv_fig("sync-placement", i < PL_OTHER_BARE ? "one-cpu" : "two-cpus",
			i % 2 ? "pw" : "bare", "ns/write", &pl_res[i], note);
	}
	return 0;
}

/* ==== 4. tracking against copying ==== */

static const size_t track_strides[] = { 1000, 100, 20, 10, 4, 2, 1 };
#define NTF (sizeof(track_strides) / sizeof(track_strides[0]))

enum track_side {
	TS_TRK0,			/* NTRK trackers */
	TS_PLAIN = TS_TRK0 + NTRK,	/* the writes alone, unwatched */
	TS_COPYW,			/* memcpy of the written pages */
	TS_COPYALL,			/* memcpy of the whole range */
	TS_RESTORE0,			/* NTK pw_snapshot_restore */
	NTS = TS_RESTORE0 + NTK
};

struct copy_ctx {
	char *dst, *src, *plain;
	size_t pages, stride;
	enum track_side side;
};

static int copy_call(void *arg)
{
	struct copy_ctx *c = arg;
	size_t i;

	switch (c->side) {
	case TS_PLAIN:
		touch(c->plain, c->pages, c->stride);
		break;
	case TS_COPYW:
		for (i = 0; i < c->pages; i += c->stride)
			memcpy(c->dst + i * PAGE, c->src + i * PAGE, PAGE);
		break;
	default:
		memcpy(c->dst, c->src, c->pages * PAGE);
		break;
	}
	__asm__ volatile("" : : "r"(c->dst) : "memory");
	return 0;
}

struct track_result {
	size_t written;
	double fraction;		/* percent */
	struct fig t[NTS];		/* ns per page of the range */
	struct fig wr[NTRK];		/* write phase per written page: the fault */
	struct fig th[NTRK];		/* (cycle - plain) / copy of the written pages */
	struct fig tha[NTRK];		/* (cycle - plain + copy written) / copy all */
	struct fig rest[NTK];		/* restore / copy all */
};

static struct track_result trk_res[NTF];
static double breakeven[NTRK], restore_breakeven[NTK];
static int track_reps;

/* Where the median ratio first reaches 1 going up the fractions, by
 * log-linear interpolation; 0: below the smallest, INFINITY: never. */
static double crossing(const struct fig *const *r, const double *frac, size_t n)
{
	size_t i;

	if (!n || !r[0]->have)
		return NAN;
	if (r[0]->s.median >= 1)
		return 0;
	for (i = 1; i < n; i++) {
		double a = r[i - 1]->s.median, b = r[i]->s.median, la, lb;

		if (!r[i]->have)
			return NAN;
		if (b < 1)
			continue;
		la = log(frac[i - 1]);
		lb = log(frac[i]);
		return exp(la + (1 - a) / (b - a) * (lb - la));
	}
	return INFINITY;
}

static int track_fraction(unsigned fi, struct tracker *tk, struct copy_ctx *cc)
{
	struct track_result *res = &trk_res[fi];
	size_t stride = track_strides[fi], pages = cc->pages, w = touched(pages, stride);
	static double v[NTS][MAXREPS], vw[NTRK][MAXREPS], r1[MAXREPS], r2[MAXREPS];
	unsigned long iters[NTS];
	struct copy_ctx ctx[NTS];
	bool on[NTS];
	int s, i, rep, err = 0;

	res->written = w;
	res->fraction = 100.0 * (double)w / (double)pages;
	for (s = 0; s < NTS; s++) {
		on[s] = s < TS_PLAIN ? tk[s].base != NULL :
			s >= TS_RESTORE0 ? tk[2 * (s - TS_RESTORE0) + 1].snap != NULL : true;
		ctx[s] = *cc;
		ctx[s].stride = stride;
		ctx[s].side = (enum track_side)s;
		iters[s] = 1;
		if (!on[s])
			continue;
		if (s < TS_PLAIN) {
			tk[s].stride = stride;
			err = bench_calibrate(tk_cycle, &tk[s], R.smoke ? 0 : MIN_SAMPLE_TRACK_NS,
					      &iters[s]);
			tk[s].mismatches = 0;
		} else if (s < TS_RESTORE0) {
			err = bench_calibrate(copy_call, &ctx[s], R.smoke ? 0 : MIN_SAMPLE_TRACK_NS,
					      &iters[s]);
		}
		if (err)
			return err;
	}
	for (rep = 0; rep < track_reps && !err; rep++) {
		for (i = 0; i < NTS && !err; i++) {
			uint64_t ns = 0;

			s = (rep + i) % NTS;
			if (!on[s])
				continue;
			if (s < TS_PLAIN) {
				err = sample(tk_cycle, &tk[s], iters[s], tk[s].kind == TK_SYNC,
					     &tk[s], &ns);
				vw[s][rep] = (double)tk[s].write_ns / ((double)iters[s] * (double)w);
			} else if (s < TS_RESTORE0) {
				err = sample(copy_call, &ctx[s], iters[s], false, NULL, &ns);
			} else {
				struct tracker *t = &tk[2 * (s - TS_RESTORE0) + 1];
				uint64_t t0;
				long n;

				touch(t->base, pages, stride);		/* untimed */
				t0 = bench_now_ns();
				n = pw_snapshot_restore(t->snap);
				ns = bench_now_ns() - t0;
				if (n < 0) {
					err = (int)n;
				} else if ((size_t)n != w) {
					fprintf(stderr, "cost_bench: restore %s: %ld pages restored, "
						"%zu written\n", tk_name[t->kind], n, w);
					R.errors++;
				}
			}
			if (err) {
				fprintf(stderr, "cost_bench: track %zu: side %d: %s\n", stride, s,
					strerror(-err));
				break;
			}
			v[s][rep] = (double)ns / ((double)iters[s] * (double)pages);
		}
	}
	if (err)
		return err;
	for (s = 0; s < NTS; s++)
		if (on[s])
			fig_of(&res->t[s], v[s], (size_t)track_reps);
	for (i = 0; i < NTRK; i++) {
		if (!on[i])
			continue;
		if (tk[i].mismatches) {
			fprintf(stderr, "cost_bench: track %zu: %s %s: collected another count "
				"than written\n", stride, tk_name[i / 2], tk_impl(&tk[i]));
			R.errors++;
		}
		fig_of(&res->wr[i], vw[i], (size_t)track_reps);
		for (rep = 0; rep < track_reps; rep++) {
			double over = v[i][rep] - v[TS_PLAIN][rep];

			r1[rep] = over / v[TS_COPYW][rep];
			r2[rep] = (over + v[TS_COPYW][rep]) / v[TS_COPYALL][rep];
		}
		fig_of(&res->th[i], r1, (size_t)track_reps);
		fig_of(&res->tha[i], r2, (size_t)track_reps);
	}
	for (i = 0; i < NTK; i++)
		if (on[TS_RESTORE0 + i])
			ratio_of(&res->rest[i], v[TS_RESTORE0 + i], v[TS_COPYALL],
				 (size_t)track_reps);
	progress("track %.3g%%: copy all %.1f, copy written %.2f, async pw %.2f, sync pw %.2f, "
		 "mprotect pw %.2f ns/page", res->fraction, res->t[TS_COPYALL].s.median,
		 res->t[TS_COPYW].s.median, res->t[TS_TRK0 + 1].s.median,
		 res->t[TS_TRK0 + 3].s.median, res->t[TS_TRK0 + 5].s.median);
	return 0;
}

static void track_report(size_t pages)
{
	unsigned fi;
	int i;
	char lbl[64], a[32];
	const struct fig *col[NTF];
	double frac[NTF];

	for (fi = 0; fi < NTF; fi++)
		frac[fi] = trk_res[fi].fraction;
	for (i = 0; i < NTRK; i++) {
		for (fi = 0; fi < NTF; fi++)
			col[fi] = &trk_res[fi].tha[i];
		breakeven[i] = crossing(col, frac, NTF);
	}
	for (i = 0; i < NTK; i++) {
		for (fi = 0; fi < NTF; fi++)
			col[fi] = &trk_res[fi].rest[i];
		restore_breakeven[i] = crossing(col, frac, NTF);
	}

	printf("### Tracking against copying\n\n");
	printf("A %zu-page (%zu MiB) range, of which every k-th page is written (k = 1000 "
	       "... 1: 0.1%% to 100%%). Per repetition, alternated: the cycle of every "
	       "tracker (write the pages, collect and arm again, as above); **plain writes**: "
	       "the same stores to an unwatched range; **copy written**: a 4 KiB memcpy of "
	       "each written page, between two other populated ranges; **copy everything**: "
	       "one memcpy of the whole range; and pw_snapshot_restore of each backend's "
	       "watch, after the same pages were written (untimed). %d repetitions; ns per "
	       "page **of the range**, median [min, max].\n\n", pages, pages * PAGE / MIB,
	       track_reps);
	printf("| written | pages | copy everything | copy written | plain writes |");
	for (i = 0; i < NTRK; i++) {
		trk_label(lbl, sizeof(lbl), i);
		printf(" %s |", lbl);
	}
	for (i = 0; i < NTK; i++)
		printf(" restore %s |", tk_name[i]);
	printf("\n|---|---|---|---|---|");
	for (i = 0; i < NTRK + NTK; i++)
		printf("---|");
	printf("\n");
	for (fi = 0; fi < NTF; fi++) {
		const struct track_result *r = &trk_res[fi];

		printf("| %s%% | %zu |", num(a, sizeof(a), r->fraction), r->written);
		cell(&r->t[TS_COPYALL]);
		cell(&r->t[TS_COPYW]);
		cell(&r->t[TS_PLAIN]);
		for (i = 0; i < NTRK; i++)
			cell(&r->t[TS_TRK0 + i]);
		for (i = 0; i < NTK; i++)
			cell(&r->t[TS_RESTORE0 + i]);
		printf("\n");
	}
	printf("\n**Tracking overhead over the copying of the written pages**: (cycle − plain "
	       "writes) / copy written, paired per repetition. It is what tracking costs per "
	       "byte it saves from copying: below 1 only where arming and collecting a range "
	       "costs less than copying the pages written.\n\n");
	printf("| written |");
	for (i = 0; i < NTRK; i++) {
		trk_label(lbl, sizeof(lbl), i);
		printf(" %s |", lbl);
	}
	printf("\n|---|");
	for (i = 0; i < NTRK; i++)
		printf("---|");
	printf("\n");
	for (fi = 0; fi < NTF; fi++) {
		printf("| %s%% |", num(a, sizeof(a), trk_res[fi].fraction));
		for (i = 0; i < NTRK; i++)
			cell(&trk_res[fi].th[i]);
		printf("\n");
	}
	printf("\n**Track and copy the written pages, against copying everything**: (cycle − "
	       "plain writes + copy written) / copy everything, paired. Above 1, copying the "
	       "whole range without tracking is cheaper; the **break-even** is the written "
	       "fraction where the median crosses 1 (log-linear between the two fractions "
	       "around it).\n\n");
	printf("| written |");
	for (i = 0; i < NTRK; i++) {
		trk_label(lbl, sizeof(lbl), i);
		printf(" %s |", lbl);
	}
	printf("\n|---|");
	for (i = 0; i < NTRK; i++)
		printf("---|");
	printf("\n");
	for (fi = 0; fi < NTF; fi++) {
		printf("| %s%% |", num(a, sizeof(a), trk_res[fi].fraction));
		for (i = 0; i < NTRK; i++)
			cell(&trk_res[fi].tha[i]);
		printf("\n");
	}
	printf("| **break-even** |");
	for (i = 0; i < NTRK; i++) {
		if (isnan(breakeven[i]))
			printf(" n/a |");
		else if (breakeven[i] == 0)
			printf(" below %s%% |", num(a, sizeof(a), frac[0]));
		else if (isinf(breakeven[i]))
			printf(" never (tracking wins at 100%%) |");
		else
			printf(" **%s%%** |", num(a, sizeof(a), breakeven[i]));
	}
	printf("\n\nThe first write after arming (the write phase of the cycles above, per "
	       "written page, at 100%% written): the fault and its resolution, plus one store. "
	       "ns per write, median [min, max]:\n\n| |");
	for (i = 0; i < NTK; i++)
		printf(" %s |", tk_name[i]);
	printf("\n|---|");
	for (i = 0; i < NTK; i++)
		printf("---|");
	printf("\n| bare |");
	for (i = 0; i < NTK; i++)
		cell(&trk_res[NTF - 1].wr[2 * i]);
	printf("\n| pw_watch |");
	for (i = 0; i < NTK; i++)
		cell(&trk_res[NTF - 1].wr[2 * i + 1]);
	printf("\n\n**pw_snapshot_restore over a memcpy of the whole range** (paired): restore "
	       "finds the written pages (pw_watch_get), copies them back run by run and "
	       "collects each batch's span with a reset.\n\n| written |");
	for (i = 0; i < NTK; i++)
		printf(" %s |", tk_name[i]);
	printf("\n|---|");
	for (i = 0; i < NTK; i++)
		printf("---|");
	printf("\n");
	for (fi = 0; fi < NTF; fi++) {
		printf("| %s%% |", num(a, sizeof(a), trk_res[fi].fraction));
		for (i = 0; i < NTK; i++)
			cell(&trk_res[fi].rest[i]);
		printf("\n");
	}
	printf("| **break-even** |");
	for (i = 0; i < NTK; i++) {
		if (isnan(restore_breakeven[i]))
			printf(" n/a |");
		else if (restore_breakeven[i] == 0)
			printf(" below %s%% |", num(a, sizeof(a), frac[0]));
		else if (isinf(restore_breakeven[i]))
			printf(" never |");
		else
			printf(" **%s%%** |", num(a, sizeof(a), restore_breakeven[i]));
	}
	printf("\n\n");

	for (fi = 0; fi < NTF; fi++) {
		const struct track_result *r = &trk_res[fi];
		char q[32], note[64];

		snprintf(q, sizeof(q), "%.4g", r->fraction);
		snprintf(note, sizeof(note), "pages=%zu written=%zu", pages, r->written);
		csv_fig("track", q, "copy_all", "ns/page", &r->t[TS_COPYALL], note);
		csv_fig("track", q, "copy_written", "ns/page", &r->t[TS_COPYW], note);
		csv_fig("track", q, "plain_write", "ns/page", &r->t[TS_PLAIN], note);
		for (i = 0; i < NTRK; i++) {
			char metric[32];

			snprintf(metric, sizeof(metric), "%s/%s", tk_name[i / 2], i % 2 ? "pw" : "bare");
			csv_fig("track", q, metric, "ns/page", &r->t[TS_TRK0 + i], note);
			csv_fig("track-overhead/copy-written", q, metric, "x", &r->th[i], note);
			csv_fig("track-and-copy/copy-all", q, metric, "x", &r->tha[i], note);
			csv_fig("track-write", q, metric, "ns/write", &r->wr[i], note);
		}
		for (i = 0; i < NTK; i++) {
			char metric[32];

			snprintf(metric, sizeof(metric), "restore/%s", tk_name[i]);
			csv_fig("track", q, metric, "ns/page", &r->t[TS_RESTORE0 + i], note);
			csv_fig("restore/copy-all", q, tk_name[i], "x", &r->rest[i], note);
		}
	}
	for (i = 0; i < NTRK; i++) {
		struct fig f = { .have = !isnan(breakeven[i]) };
		char metric[32];

		snprintf(metric, sizeof(metric), "%s/%s", tk_name[i / 2], i % 2 ? "pw" : "bare");
		f.s.n = 1;
		f.s.median = f.s.p10 = f.s.p90 = f.s.min = f.s.max = breakeven[i];
		csv_fig("breakeven", "track-and-copy", metric, "%", &f,
			"0: below the smallest fraction; inf: never");
		f.s.median = f.s.p10 = f.s.p90 = f.s.min = f.s.max = trk_res[NTF - 1].wr[i].s.median;
		if (trk_res[NTF - 1].wr[i].have) {
			csv_fig("fault", tk_name[i / 2], i % 2 ? "pw" : "bare", "ns/write",
				&trk_res[NTF - 1].wr[i], "write phase per page at 100% written");
		}
	}
	for (i = 0; i < NTK; i++) {
		struct fig f = { .have = !isnan(restore_breakeven[i]) };

		f.s.n = 1;
		f.s.median = f.s.p10 = f.s.p90 = f.s.min = f.s.max = restore_breakeven[i];
		csv_fig("breakeven", "restore", tk_name[i], "%", &f,
			"0: below the smallest fraction; inf: never");
	}
}

static int bench_track(void)
{
	size_t pages = R.smoke ? TRACK_PAGES_SMOKE : TRACK_PAGES;
	static struct tracker tk[NTRK];
	struct copy_ctx cc = { .pages = pages };
	unsigned fi;
	int i, err = 0;

	track_reps = reps_or(TRACK_REPS);
	cc.dst = map_pages(pages, false, MADV_NOHUGEPAGE);
	cc.src = map_pages(pages, false, MADV_NOHUGEPAGE);
	cc.plain = map_pages(pages, false, MADV_NOHUGEPAGE);
	if (!cc.dst || !cc.src || !cc.plain)
		err = -ENOMEM;
	if (!err) {
		memset(cc.dst, 1, pages * PAGE);
		memset(cc.src, 2, pages * PAGE);
		memset(cc.plain, 3, pages * PAGE);
	}
	for (i = 0; i < NTRK && !err; i++) {
		if (!tk_available((enum tk_kind)(i / 2), i % 2))
			continue;
		err = tk_setup(&tk[i], (enum tk_kind)(i / 2), i % 2, pages, 1, NULL);
		if (!err)
			err = tk_cycle(&tk[i]);		/* warm-up */
		if (!err && tk[i].pw)
			err = pw_snapshot_take(tk[i].w, &tk[i].snap);
		if (err)
			fprintf(stderr, "cost_bench: track: %s %s: %s\n", tk_name[i / 2],
				i % 2 ? "pw" : "bare", strerror(-err));
	}
	for (fi = 0; fi < NTF && !err; fi++)
		err = track_fraction(fi, tk, &cc);
	for (i = 0; i < NTRK; i++)
		if (tk[i].base)
			tk_teardown(&tk[i]);
	unmap_pages(cc.dst, pages);
	unmap_pages(cc.src, pages);
	unmap_pages(cc.plain, pages);
	if (!err)
		track_report(pages);
	return err;
}

/* ==== the environment ==== */

static const char *yes(int v)
{
	return v ? "yes" : "no";
}

static void print_env(void)
{
	const struct pw_probe *p = &R.probe;
	char cats[256] = "";
	unsigned b;

	for (b = 0; b < 64; b++) {
		const char *n = (p->scan_categories >> b & 1) ? pw_category_name(1ULL << b) : NULL;

		if (n)
			snprintf(cats + strlen(cats), sizeof(cats) - strlen(cats), "%s%s",
				 cats[0] ? ", " : "", n);
	}
	printf("## Environment\n\n");
	printf("Every figure in these results comes from this machine%s.\n\n",
	       R.env.vm ? ": a **virtual machine** (the CPU reports the hypervisor flag) with "
	       "the CPUs below" : "");
	bench_env_print(stdout, &R.env);
	printf("| PAGEMAP_SCAN | %s%s%s%s |\n", yes(p->pagemap_scan), cats[0] ? " (categories: " : "",
	       cats, cats[0] ? ")" : "");
	printf("| userfaultfd | %s (features 0x%llx) |\n", yes(p->uffd),
	       (unsigned long long)p->uffd_features);
	printf("| uffd write-protect | %s; WP_UNPOPULATED %s; WP_ASYNC %s; SIGBUS %s; "
	       "WP_HUGETLBFS_SHMEM %s |\n", yes(p->uffd_wp), yes(p->uffd_wp_unpopulated),
	       yes(p->uffd_wp_async), yes(p->uffd_sigbus), yes(p->uffd_wp_hugetlbfs_shmem));
	printf("| soft-dirty | %s |\n", p->soft_dirty ? "yes (verified: clear_refs 4 cleans, a "
	       "write dirties)" : "**no** (clear_refs 4 is accepted but a write never sets "
	       "bit 55: no CONFIG_MEM_SOFT_DIRTY)");
	printf("| PFNs in pagemap / kpageflags | %s / %s |\n", yes(p->pfn_visible),
	       yes(p->kpageflags));
	printf("| guard regions / pagemap bit 58 | %s / %s |\n", yes(p->guard_regions),
	       yes(p->guard_bit));
	printf("| THP (pw_probe) | %s |\n", p->thp_mode[0] ? p->thp_mode : "unknown");
	printf("| hugetlb | %ld free pages of %ld KiB |\n", p->hugetlb_pages, p->hugetlb_page_kb);
	printf("| vm.max_map_count | %ld |\n", read_long("/proc/sys/vm/max_map_count"));
	printf("| write-watch backend chosen by PW_BACKEND_AUTO | %s |\n",
	       pw_backend_name((enum pw_backend)p->auto_backend));
	printf("| backends available | uffd-async %s, uffd-sync %s, soft-dirty %s, mprotect yes |\n\n",
	       yes(p->pagemap_scan && p->uffd_wp && p->uffd_wp_async && p->uffd_wp_unpopulated),
	       yes(p->uffd_wp), yes(p->soft_dirty));
}

/* ==== main ==== */

static int run_open(void)
{
	struct pw_scan_arg probe;
	int r;

	R.pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (R.pagemap < 0)
		return -errno;
	R.clear_refs = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
	r = pw_probe(&R.probe, sizeof(R.probe));
	if (r)
		return r;
	memset(&probe, 0, sizeof(probe));
	probe.size = sizeof(probe);
	R.have_scan = ioctl(R.pagemap, PW_PAGEMAP_SCAN, &probe) == 0;
	R.have_uffd = R.probe.uffd_wp;
	R.have_async = R.have_scan && R.probe.uffd_wp_async;
	if (R.have_scan && pw_space_open(&R.native, 0, PW_SPACE_NATIVE))
		R.native = NULL;
	if (pw_space_open(&R.emu, 0, PW_SPACE_EMULATED))
		R.emu = NULL;
	R.vec = calloc(VEC_LEN, sizeof(*R.vec));
	R.chunk = calloc(1, READ_CHUNK);
	if (!R.vec || !R.chunk)
		return -ENOMEM;
	return 0;
}

static void run_close(void)
{
	pw_space_close(R.native);
	pw_space_close(R.emu);
	if (R.clear_refs >= 0)
		close(R.clear_refs);
	if (R.pagemap >= 0)
		close(R.pagemap);
	free(R.vec);
	free(R.chunk);
	if (R.csv)
		fclose(R.csv);
}

static void summary(void)
{
	const struct scan_result *pop = &scan_res[SL_POPULATED][NSF - 1];
	const struct cycle_result *big = NULL;
	unsigned si, ns = R.smoke ? NCS_SMOKE : NCS;
	char a[32], b[32], c[32], d[32];
	int i;

	for (si = 0; si < ns; si++)
		if (cycle_sizes[si] == 10000)
			big = &cyc_res[si];
	printf("### Headlines (this VM)\n\n");
	if (pop->t[SS_GET].have)
		printf("- Scan, populated, 100%% written: pagemap read %s, PAGEMAP_SCAN get %s, "
		       "get+protect %s ns/page; pw_scan emulated %s ns/page.\n",
		       num(a, sizeof(a), pop->t[SS_READ].s.median),
		       num(b, sizeof(b), pop->t[SS_GET].s.median),
		       num(c, sizeof(c), pop->t[SS_GETWP].s.median),
		       num(d, sizeof(d), pop->t[SS_EMU].s.median));
	printf("- Arm, populated: mprotect %s, UFFDIO_WRITEPROTECT %s, PAGEMAP_SCAN protect %s "
	       "ns/page.\n", num(a, sizeof(a), arm_res[0][A_MPROT].s.median),
	       num(b, sizeof(b), arm_res[0][A_UFFD_WP].s.median),
	       num(c, sizeof(c), arm_res[0][A_SCAN_WP].s.median));
	if (big) {
		printf("- Full cycle at 10^4 pages, ns/page (bare / pw_watch):");
		for (i = 0; i < NTK; i++)
			printf(" %s %s / %s%s", tk_name[i], num(a, sizeof(a), big->cyc[2 * i].s.median),
			       num(b, sizeof(b), big->cyc[2 * i + 1].s.median), i + 1 < NTK ? ";" : ".\n");
	}
	if (pl_res[PL_SAME_PW].have)
		printf("- uffd-sync, ns per write with the handler thread on the writer's CPU / on "
		       "another CPU: bare %s / %s, pw_watch %s / %s.\n",
		       num(a, sizeof(a), pl_res[PL_SAME_BARE].s.median),
		       num(b, sizeof(b), pl_res[PL_OTHER_BARE].s.median),
		       num(c, sizeof(c), pl_res[PL_SAME_PW].s.median),
		       num(d, sizeof(d), pl_res[PL_OTHER_PW].s.median));
	printf("- Break-even (track + copy written = copy everything), pw_watch:");
	for (i = 0; i < NTK; i++) {
		double v = breakeven[2 * i + 1];

		if (isinf(v))
			printf(" %s never", tk_name[i]);
		else
			printf(" %s %s%%", tk_name[i], num(a, sizeof(a), v));
		printf("%s", i + 1 < NTK ? ";" : ".\n");
	}
	printf("\n");
}

static void part_done(const char *name, int r)
{
	if (!r)
		return;
	printf("_%s: not measured on this kernel (%s)._\n\n", name, strerror(-r));
	fprintf(stderr, "cost_bench: %s: %s\n", name, strerror(-r));
}

int main(int argc, char **argv)
{
	char *args[64];
	const char *only = NULL;
	bool env_only = false;
	int i, n = 0, r;

	for (i = 0; i < argc && n < 63; i++) {
		if (i && !strcmp(argv[i], "--env"))
			env_only = true;
		else if (i && !strcmp(argv[i], "--only") && i + 1 < argc)
			only = argv[++i];
		else
			args[n++] = argv[i];
	}
	args[n] = NULL;
	r = bench_parse_opts(n, args, &R.o,
			     "What write tracking costs per page: scan, arm, the full cycle, and "
			     "tracking against copying, on every write-watch backend and its bare "
			     "kernel mechanism; --env prints the environment table only, --only "
			     "scan|arm|track|cycle|placement runs one part. Markdown on stdout.");
	if (r)
		return r > 0 ? 0 : 2;
	R.smoke = R.o.smoke;
	R.t0 = bench_now_ns();
	R.q.tries = QUIET_TRIES;
	R.q.budget = QUIET_BUDGET;
	R.pagemap = R.clear_refs = -1;
	bench_env_get(&R.env);
	r = run_open();
	if (r) {
		fprintf(stderr, "cost_bench: %s\n", strerror(-r));
		run_close();
		return 1;
	}
	if (env_only) {
		print_env();
		run_close();
		return 0;
	}
	if (R.o.csv) {
		R.csv = fopen(R.o.csv, "w");
		if (!R.csv) {
			fprintf(stderr, "cost_bench: %s: %s\n", R.o.csv, strerror(errno));
			run_close();
			return 1;
		}
		fputs(BENCH_CSV_HEADER, R.csv);
		{
			char cpus[16], date[32];
			time_t now = time(NULL);

			snprintf(cpus, sizeof(cpus), "%ld", R.env.cpus);
			strftime(date, sizeof(date), "%Y-%m-%d", gmtime(&now));
			csv_env("cpu", R.env.cpu);
			csv_env("cpus", cpus);
			csv_env("kernel", R.env.kernel);
			csv_env("vm", R.env.vm ? "yes" : "no");
			csv_env("thp", R.env.thp);
			csv_env("date", date);
			csv_env("smoke", R.smoke ? "yes" : "no");
		}
	}
	r = mp_install();
	if (r) {
		fprintf(stderr, "cost_bench: SIGSEGV handler: %s\n", strerror(-r));
		run_close();
		return 1;
	}

	printf("## Costs per page: scan, arm, the full cycle, tracking against copying "
	       "(cost_bench%s)\n\n", R.smoke ? " --smoke: tiny sizes, not for citing" : "");
	printf("%s, %ld CPUs (%s), Linux %s, THP %s. One thread writes; the uffd-sync sides "
	       "add their handler thread.\n\n", R.env.vm ? "Virtual machine" : "Bare metal",
	       R.env.cpus, R.env.cpu, R.env.kernel, R.env.thp);

#define PART(name) (!only || !strcmp(only, name))
	/* A part this kernel cannot run (a mechanism it lacks) is reported,
	 * not fatal: the others still measure. */
	r = 0;
	if (PART("scan"))
		part_done("scan", bench_scan());
	if (PART("arm"))
		part_done("arm", bench_arm());
	if (PART("track"))
		part_done("track", bench_track());
	if (PART("cycle"))
		part_done("cycle", bench_cycle());
	if (PART("placement"))
		part_done("placement", bench_placement());
	if (!only)
		summary();
#undef PART
	printf("Samples taken again because the thread was preempted (another process ran): "
	       "%u; kept although preempted (after %d attempts, or with the budget of %d "
	       "spent): %u. Not checked: the uffd-sync sides (a write waits for another thread "
	       "by design), get+protect and restore (single timed calls that change what "
	       "they measure).\n\n", R.q.retried, QUIET_TRIES,
	       QUIET_BUDGET, R.q.disturbed);
	if (R.errors)
		printf("**%d answers disagreed with the pages written (see stderr).**\n\n", R.errors);
	progress("done");
	run_close();
	if (r) {
		fprintf(stderr, "cost_bench: %s\n", strerror(-r));
		return 1;
	}
	return R.errors ? 1 : 0;
}
