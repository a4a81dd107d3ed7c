/* SPDX-License-Identifier: MIT */
/*
 * scan_bench: pw_scan on both backends against the bare kernel mechanisms,
 * side by side in one process.
 *
 * For each layout (dense, mixed, sparse, THP) and each query (full census,
 * written only) five sides are timed, alternating within every repetition
 * (the starting side rotates from one repetition to the next):
 *
 *   raw      ioctl(PAGEMAP_SCAN) on /proc/self/pagemap, vec of VEC_LEN
 *            (resumed at walk_end when it fills: never, for these layouts)
 *   native   pw_scan on a PW_SPACE_NATIVE space, same arguments
 *   emulated pw_scan on a PW_SPACE_EMULATED space, same arguments
 *   bare     pread of the same pagemap entries, 64 KiB per call, into one
 *            reused buffer: the floor the emulation cannot go below
 *   pread8   one 8-byte pread per page, on the first PREAD8_BYTES only,
 *            PREAD8_STEP of it per call, cycling
 *
 * Every side reports ns per page; the ratios are per repetition (paired),
 * summarised by their median and p10/p90.  A sample during which the
 * thread was preempted is taken again, within a budget
 * (bench_sample_quiet).  Before timing, the regions of raw, native and
 * emulated are compared: a benchmark of two backends that disagree
 * measures nothing, so a disagreement is an error (exit 1).
 *
 * Output: Markdown on stdout, progress on stderr, --csv PATH for machines.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"
#include "pagewatch.h"

#define PAGE		4096UL
#define PMD_SIZE	(2UL << 20)
#define MIB		(1UL << 20)
#define GIB		(1UL << 30)
#define VEC_LEN		65536UL		/* regions: 1.5 MiB, one call for every layout here */
#define BARE_CHUNK	65536UL		/* bytes of pagemap per bare pread */
#define PREAD8_BYTES	(64 * MIB)	/* range of the one-pread-per-page side */
#define PREAD8_STEP	(4 * MIB)	/* ... covered 1024 preads per call */

#define REPS_FULL	21
#define REPS_SMOKE	3
#define MIN_SAMPLE_NS	2000000ULL	/* a sample lasts at least 2 ms */
#define QUIET_TRIES	3		/* attempts at a sample without preemption, */
#define QUIET_BUDGET	1		/* ... and retries per sample on average, */
#define QUIET_UNTIL_NS	60000000000ULL	/* ... in the first 60 s of the run only */

/* The kernel's PAGEMAP_SCAN, spelled from the public struct (96 bytes). */
#define PAGEMAP_SCAN_IOCTL	_IOWR('f', 16, struct pw_scan_arg)
_Static_assert(PAGEMAP_SCAN_IOCTL == 0xc0606610UL, "PAGEMAP_SCAN ioctl number");

#define CENSUS_MASK	(PW_PAGE_PRESENT | PW_PAGE_WRITTEN | PW_PAGE_FILE | PW_PAGE_SWAPPED)

enum side { S_RAW, S_NATIVE, S_EMU, S_BARE, S_PREAD8, NSIDES };

static const char *const side_key[NSIDES] = {
	"raw_ioctl", "pw_native", "pw_emulated", "bare_read", "pread8",
};

enum ratio {
	R_NAT_RAW, R_EMU_RAW, R_EMU_BARE, R_PREAD8_EMU,
	R_BARE_RAW, R_PREAD8_BARE,	/* no target: the bounds of the two above */
	NRATIOS
};

struct ratio_def {
	const char *key;	/* CSV metric */
	const char *title;	/* Markdown column */
	enum side num, den;
	double target;		/* 0: none, for information */
	bool at_most;		/* target is a ceiling, else a floor */
};

static const struct ratio_def ratios[NRATIOS] = {
	[R_NAT_RAW]    = { "native/raw", "native / raw (<= 1.05)", S_NATIVE, S_RAW, 1.05, true },
	[R_EMU_RAW]    = { "emulated/raw", "emulated / raw (<= 2.0, dense)", S_EMU, S_RAW, 2.0, true },
	[R_EMU_BARE]   = { "emulated/bare", "emulated / bare read (<= 1.5, dense+sparse)",
			   S_EMU, S_BARE, 1.5, true },
	[R_PREAD8_EMU] = { "pread8/emulated", "pread8 / emulated (>= 20)", S_PREAD8, S_EMU,
			   20.0, false },
	/* What the emulation could reach at best: it reads what bare reads. */
	[R_BARE_RAW]   = { "bare/raw", "bare / raw (best emulated / raw)", S_BARE, S_RAW,
			   0, true },
	[R_PREAD8_BARE] = { "pread8/bare", "pread8 / bare (best pread8 / emulated)",
			    S_PREAD8, S_BARE, 0, false },
};

struct query {
	const char *key;
	const char *what;
	uint64_t category_mask, return_mask;
};

static const struct query queries[] = {
	{ "census", "all pages, return PRESENT|WRITTEN|FILE|SWAPPED", 0, CENSUS_MASK },
	{ "written", "mask = return = WRITTEN (kernel fast path)", PW_PAGE_WRITTEN,
	  PW_PAGE_WRITTEN },
};
#define NQUERIES (sizeof(queries) / sizeof(queries[0]))

/* The last two are one written page: the cost of a call, without and
 * with many mappings below it (the emulation reads /proc/PID/maps from
 * the start at every call). */
enum layout_kind { L_DENSE, L_MIXED, L_SPARSE, L_THP, L_CALL, L_CALL_VMAS, NLAYOUTS };
#define NBULK		L_CALL		/* layouts of many pages */
#define CALL_VMAS	10000		/* mappings below the page of L_CALL_VMAS */

struct layout {
	const char *key;
	char *base;		/* the scanned range */
	size_t len;
	char *map;		/* the whole mapping */
	size_t map_len;
	uint64_t written, zero, untouched;	/* pages, as set up */
	uint64_t huge;		/* pages the kernel reports HUGE; -1 unknown */
	unsigned targets;	/* bit per enum ratio: the target applies here */
	char what[160];
};

struct result {
	const struct layout *l;
	const struct query *q;
	uint64_t pages, pread8_pages;
	long regions;
	unsigned calls;
	bool have[NSIDES];
	unsigned long iters[NSIDES];
	struct bench_quiet quiet;		/* preempted samples, all sides */
	struct bench_stats t[NSIDES];		/* ns/page */
	struct bench_stats r[NRATIOS];		/* paired, per repetition */
	bool have_r[NRATIOS];
};

struct memcheck {
	const char *layout;
	size_t len;
	bool reset;		/* VmHWM could be reset first */
	long hwm0, hwm1, rss0, maxrss0, maxrss1;
};

#define MAX_RESULTS	(NLAYOUTS * NQUERIES)

struct bench {
	struct bench_opts o;
	FILE *csv;
	int fd;				/* /proc/self/pagemap: raw, bare, pread8 */
	struct pw_space *native, *emu;
	bool have_raw;
	struct pw_region *vec;
	uint64_t *chunk;		/* the bare read's buffer */
	double *samples[NSIDES];	/* ns/page per repetition */
	double *scratch;
	int reps;
	uint64_t min_ns;
	struct result res[MAX_RESULTS];
	unsigned nres;
	uint64_t t0;			/* start of the run */
	struct layout layouts[NLAYOUTS];
	struct memcheck mem[NBULK];
	unsigned nmem;
	int disagreements;
};

/* One side of one query, the context of bench_fn. */
struct run {
	struct bench *b;
	enum side side;
	struct pw_scan_arg arg;		/* the query over the layout's range */
	uint64_t pread8_len, pread8_step, pread8_pos;
	uint64_t *digest;		/* not NULL: fold the regions in (untimed) */
	long regions;
	unsigned calls;
	uint64_t sink;
};

/* ---- the sides ---- */

static void digest_regions(uint64_t *h, const struct pw_region *v, long n)
{
	const unsigned char *p = (const unsigned char *)v;
	size_t i, len = (size_t)n * sizeof(*v);

	for (i = 0; i < len; i++) {
		*h ^= p[i];
		*h *= 0x100000001b3ULL;		/* FNV-1a */
	}
}


/* A whole walk of the query, resuming at walk_end whenever vec fills. */
static int scan_walk(struct run *r)
{
	struct bench *b = r->b;
	struct pw_scan_arg a = r->arg;
	long total = 0;
	unsigned calls = 0;

	for (;;) {
		long n;

		if (r->side == S_RAW) {
			n = ioctl(b->fd, PAGEMAP_SCAN_IOCTL, &a);
			if (n < 0)
				n = -errno;
		} else {
			n = pw_scan(r->side == S_NATIVE ? b->native : b->emu, &a);
		}
		if (n < 0)
			return (int)n;
		calls++;
		total += n;
		if (r->digest)
			digest_regions(r->digest, b->vec, n);
		/* Resume only when vec filled: on 6.18 a walk that completes
		 * after more than 512 regions leaves walk_end at the kernel's
		 * last bounce-buffer refill, short of end (see scan_all.c). */
		if (n < (long)a.vec_len || a.walk_end >= a.end)
			break;
		if (a.walk_end <= a.start)
			return -EIO;	/* no progress: would loop for ever */
		a.start = a.walk_end;
	}
	r->regions = total;
	r->calls = calls;
	return 0;
}

/* The same pagemap entries, 64 KiB per pread, into one reused buffer. */
static int bare_read(struct run *r)
{
	const struct bench *b = r->b;
	off_t off = (off_t)(r->arg.start / PAGE * 8);
	uint64_t left = (r->arg.end - r->arg.start) / PAGE * 8;

	while (left) {
		size_t want = left < BARE_CHUNK ? (size_t)left : BARE_CHUNK;
		ssize_t n = pread(b->fd, b->chunk, want, off);

		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		off += n;
		left -= (uint64_t)n;
	}
	r->sink += b->chunk[0];
	return 0;
}

/* The naive way: one 8-byte pread per page, pread8_step of the sub-range
 * per call, the next step at the next call. */
static int pread_each(struct run *r)
{
	off_t off = (off_t)((r->arg.start + r->pread8_pos) / PAGE * 8);
	uint64_t i, e, acc = 0, n = r->pread8_step / PAGE;

	r->pread8_pos += r->pread8_step;
	if (r->pread8_pos >= r->pread8_len)
		r->pread8_pos = 0;
	for (i = 0; i < n; i++) {
		if (pread(r->b->fd, &e, sizeof(e), off + (off_t)(i * 8)) != (ssize_t)sizeof(e))
			return -EIO;
		acc |= e;
	}
	r->sink += acc;
	return 0;
}

static int side_call(void *ctx)
{
	struct run *r = ctx;

	switch (r->side) {
	case S_BARE:
		return bare_read(r);
	case S_PREAD8:
		return pread_each(r);
	default:
		return scan_walk(r);
	}
}

/* ---- layouts ---- */

static uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;		/* xorshift64* */

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static const char *size_str(uint64_t bytes, char *buf, size_t n)
{
	if (bytes >= GIB && !(bytes % GIB))
		snprintf(buf, n, "%llu GiB", (unsigned long long)(bytes / GIB));
	else if (bytes >= MIB && !(bytes % MIB))
		snprintf(buf, n, "%llu MiB", (unsigned long long)(bytes / MIB));
	else
		snprintf(buf, n, "%llu KiB", (unsigned long long)(bytes >> 10));
	return buf;
}

/* A private anonymous mapping of len bytes, 2 MiB aligned, advised. */
static char *map_range(size_t len, int flags, int advice)
{
	size_t total = len + PMD_SIZE;
	char *p = mmap(NULL, total, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
	uintptr_t a, end;

	if (p == MAP_FAILED)
		return NULL;
	a = ((uintptr_t)p + PMD_SIZE - 1) & ~(uintptr_t)(PMD_SIZE - 1);
	end = (uintptr_t)p + total;
	if (a > (uintptr_t)p)
		munmap(p, a - (uintptr_t)p);
	if (end > a + len)
		munmap((char *)(a + len), end - (a + len));
	/* Without THP in the kernel the advice fails; that changes nothing
	 * for NOHUGEPAGE, and the THP layout reports its huge share. */
	if (madvise((char *)a, len, advice))
		fprintf(stderr, "scan_bench: madvise(%d): %s\n", advice, strerror(errno));
	return (char *)a;
}

/* Pages of the layout the kernel reports with all of mask, -1 unknown. */
static uint64_t count_pages(struct bench *b, const struct layout *l, uint64_t mask)
{
	struct run r;
	uint64_t pages = 0;
	long i, n;

	if (!b->have_raw)
		return UINT64_MAX;
	memset(&r, 0, sizeof(r));
	r.arg.size = sizeof(r.arg);
	r.arg.start = (uintptr_t)l->base;
	r.arg.end = r.arg.start + l->len;
	r.arg.vec = (uintptr_t)b->vec;
	r.arg.vec_len = VEC_LEN;
	r.arg.category_mask = r.arg.return_mask = mask;
	for (;;) {
		n = ioctl(b->fd, PAGEMAP_SCAN_IOCTL, &r.arg);
		if (n < 0)
			return UINT64_MAX;
		for (i = 0; i < n; i++)
			pages += (b->vec[i].end - b->vec[i].start) / PAGE;
		if (n < (long)r.arg.vec_len || r.arg.walk_end >= r.arg.end ||
		    r.arg.walk_end <= r.arg.start)
			break;
		r.arg.start = r.arg.walk_end;
	}
	return pages;
}

#define T(x) (1u << (x))

/* One written page, above nv separate mappings carved out of the same
 * reservation (pages alternately read-write and read-only). */
static int call_setup(struct bench *b, enum layout_kind kind, struct layout *l)
{
	size_t i, nv = kind == L_CALL ? 0 : b->o.smoke ? 200 : CALL_VMAS;
	size_t pages = nv + 1;

	l->key = kind == L_CALL ? "call" : "call-vmas";
	l->len = PAGE;
	l->targets = T(R_NAT_RAW);
	l->map_len = pages * PAGE;
	l->map = map_range(l->map_len, 0, MADV_NOHUGEPAGE);
	if (!l->map)
		return -errno;
	for (i = 1; i < nv; i += 2) {
		if (mprotect(l->map + i * PAGE, PAGE, PROT_READ)) {
			int err = -errno;

			munmap(l->map, l->map_len);
			l->map = NULL;
			return err;
		}
	}
	l->base = l->map + (pages - 1) * PAGE;
	l->base[0] = 1;
	l->written = 1;
	l->huge = UINT64_MAX;
	if (nv)
		snprintf(l->what, sizeof(l->what), "one written page above %zu mappings "
			 "(alternately rw and r pages): ns per page is ns per call", nv);
	else
		snprintf(l->what, sizeof(l->what), "one written page: ns per page is ns per call");
	fprintf(stderr, "scan_bench: layout %s: %s\n", l->key, l->what);
	return 0;
}

static int layout_setup(struct bench *b, enum layout_kind kind, struct layout *l)
{
	bool smoke = b->o.smoke;
	uint64_t seed = 0x9e3779b97f4a7c15ULL, i, pages;
	char sz[32];
	unsigned sink = 0;

	memset(l, 0, sizeof(*l));
	switch (kind) {
	case L_DENSE:
		l->key = "dense";
		l->len = smoke ? 8 * MIB : GIB;
		l->targets = T(R_NAT_RAW) | T(R_EMU_RAW) | T(R_EMU_BARE) | T(R_PREAD8_EMU);
		l->base = map_range(l->len, 0, MADV_NOHUGEPAGE);
		break;
	case L_MIXED:
		l->key = "mixed";
		l->len = smoke ? 16 * MIB : GIB;
		l->targets = T(R_NAT_RAW) | T(R_EMU_BARE) | T(R_PREAD8_EMU);
		l->base = map_range(l->len, 0, MADV_NOHUGEPAGE);
		break;
	case L_SPARSE:
		l->key = "sparse";
		l->len = smoke ? 64 * MIB : 4 * GIB;
		l->targets = T(R_NAT_RAW) | T(R_EMU_BARE) | T(R_PREAD8_EMU);
		l->base = map_range(l->len, MAP_NORESERVE, MADV_NOHUGEPAGE);
		break;
	case L_THP:
		l->key = "thp";
		l->len = smoke ? 8 * MIB : GIB;
		l->targets = T(R_NAT_RAW) | T(R_PREAD8_EMU);
		l->base = map_range(l->len, 0, MADV_HUGEPAGE);
		break;
	default:
		return call_setup(b, kind, l);
	}
	if (!l->base)
		return -errno;
	l->map = l->base;
	l->map_len = l->len;
	pages = l->len / PAGE;
	l->huge = UINT64_MAX;
	switch (kind) {
	case L_MIXED: {
		/* Runs of one kind: written, read only (the zero page),
		 * untouched; 1-511 pages (3 in 4) or 512-4095 pages, so whole
		 * 2 MiB blocks are sometimes left without a page table. */
		unsigned k = 0;

		for (i = 0; i < pages;) {
			uint64_t r = rng_next(&seed), run, j;

			run = (r & 3) ? 1 + (r >> 8) % 511 : 512 + (r >> 8) % 3584;
			k = (k + 1 + (unsigned)(r >> 4 & 1)) % 3;
			if (run > pages - i)
				run = pages - i;
			for (j = 0; j < run; j++, i++) {
				volatile char *p = l->base + i * PAGE;

				if (k == 0) {
					*p = 1;
					l->written++;
				} else if (k == 1) {
					sink += (unsigned)*p;
					l->zero++;
				} else {
					l->untouched++;
				}
			}
		}
		snprintf(l->what, sizeof(l->what),
			 "NOHUGEPAGE; runs of 1-4095 pages: %llu written, %llu read (zero page), "
			 "%llu untouched", (unsigned long long)l->written,
			 (unsigned long long)l->zero, (unsigned long long)l->untouched);
		break;
	}
	case L_SPARSE:
		for (i = 0; i < pages; i++) {
			if (rng_next(&seed) % 100)
				continue;
			l->base[i * PAGE] = 1;
			l->written++;
		}
		l->untouched = pages - l->written;
		snprintf(l->what, sizeof(l->what),
			 "MAP_NORESERVE, NOHUGEPAGE; %llu random pages written (%.2f%%)",
			 (unsigned long long)l->written, 100.0 * (double)l->written / (double)pages);
		break;
	default:
		for (i = 0; i < pages; i++)
			l->base[i * PAGE] = 1;
		l->written = pages;
		if (kind == L_DENSE) {
			snprintf(l->what, sizeof(l->what),
				 "NOHUGEPAGE; all %llu pages written", (unsigned long long)pages);
			break;
		}
		l->huge = count_pages(b, l, PW_PAGE_HUGE);
		if (l->huge == UINT64_MAX)
			snprintf(l->what, sizeof(l->what),
				 "MADV_HUGEPAGE; all %llu pages written; THP share unknown",
				 (unsigned long long)pages);
		else
			snprintf(l->what, sizeof(l->what),
				 "MADV_HUGEPAGE; all %llu pages written; %.1f%% in PMD-mapped THPs",
				 (unsigned long long)pages, 100.0 * (double)l->huge / (double)pages);
		break;
	}
	(void)sink;
	fprintf(stderr, "scan_bench: layout %s: %s, %s\n", l->key,
		size_str(l->len, sz, sizeof(sz)), l->what);
	return 0;
}

static void layout_teardown(struct layout *l)
{
	if (l->map)
		munmap(l->map, l->map_len);
	l->map = l->base = NULL;
}

/* ---- measuring ---- */

static void run_init(struct run *r, struct bench *b, enum side s, const struct layout *l,
		     const struct query *q, uint64_t pread8_len)
{
	memset(r, 0, sizeof(*r));
	r->b = b;
	r->side = s;
	r->arg.size = sizeof(r->arg);
	r->arg.start = (uintptr_t)l->base;
	r->arg.end = r->arg.start + l->len;
	r->arg.vec = (uintptr_t)b->vec;
	r->arg.vec_len = VEC_LEN;
	r->arg.category_mask = q->category_mask;
	r->arg.return_mask = q->return_mask;
	r->pread8_len = pread8_len;
	r->pread8_step = pread8_len < PREAD8_STEP ? pread8_len : PREAD8_STEP;
}

/* Peak RSS across one emulated census of the whole layout, before any
 * other scan of it: the vec is resident beforehand, so the growth is what
 * the scan itself allocates and touches. */
static int check_memory(struct bench *b, const struct layout *l)
{
	struct memcheck *m = &b->mem[b->nmem++];
	struct run r;
	int err;

	run_init(&r, b, S_EMU, l, &queries[0], 0);
	memset(b->vec, 0, VEC_LEN * sizeof(*b->vec));
	m->layout = l->key;
	m->len = l->len;
	m->reset = bench_reset_peak_rss();
	m->rss0 = bench_status_kib("VmRSS");
	m->hwm0 = bench_status_kib("VmHWM");
	m->maxrss0 = bench_maxrss_kib();
	err = scan_walk(&r);
	m->hwm1 = bench_status_kib("VmHWM");
	m->maxrss1 = bench_maxrss_kib();
	if (err)
		fprintf(stderr, "scan_bench: %s: emulated scan: %s\n", l->key, strerror(-err));
	return err;
}

/* The first region where side s and raw differ, when both fit in one call. */
static void explain_mismatch(struct bench *b, struct run *raw, struct run *other)
{
	struct pw_region *ref = malloc(VEC_LEN * sizeof(*ref));
	long i, n;

	if (!ref || raw->calls != 1 || other->calls != 1 || scan_walk(raw)) {
		free(ref);
		return;
	}
	n = raw->regions;
	memcpy(ref, b->vec, (size_t)n * sizeof(*ref));
	if (scan_walk(other))
		n = 0;
	for (i = 0; i < n && i < other->regions; i++)
		if (memcmp(&ref[i], &b->vec[i], sizeof(*ref)))
			break;
	if (i < n || i < other->regions)
		fprintf(stderr, "  first difference at region %ld: raw %#llx-%#llx cat %#llx, "
			"%s %#llx-%#llx cat %#llx\n", i,
			i < n ? (unsigned long long)ref[i].start : 0ULL,
			i < n ? (unsigned long long)ref[i].end : 0ULL,
			i < n ? (unsigned long long)ref[i].categories : 0ULL,
			side_key[other->side],
			i < other->regions ? (unsigned long long)b->vec[i].start : 0ULL,
			i < other->regions ? (unsigned long long)b->vec[i].end : 0ULL,
			i < other->regions ? (unsigned long long)b->vec[i].categories : 0ULL);
	free(ref);
}

/* The regions of raw, native and emulated must agree before timing them. */
static int verify(struct bench *b, struct result *res, struct run *runs)
{
	uint64_t h[NSIDES];
	enum side s, ref = b->have_raw ? S_RAW : S_EMU;
	int err;

	for (s = S_RAW; s <= S_EMU; s++) {
		if (!res->have[s])
			continue;
		h[s] = 0xcbf29ce484222325ULL;
		runs[s].digest = &h[s];
		err = scan_walk(&runs[s]);
		runs[s].digest = NULL;
		if (err) {
			fprintf(stderr, "scan_bench: %s/%s: %s: %s\n", res->l->key, res->q->key,
				side_key[s], strerror(-err));
			return err;
		}
	}
	res->regions = runs[ref].regions;
	res->calls = runs[ref].calls;
	for (s = S_NATIVE; s <= S_EMU; s++) {
		if (!res->have[s] || s == ref)
			continue;
		if (runs[s].regions == runs[ref].regions && h[s] == h[ref])
			continue;
		b->disagreements++;
		fprintf(stderr, "scan_bench: %s/%s: %s gives %ld regions, %s %ld%s\n",
			res->l->key, res->q->key, side_key[s], runs[s].regions, side_key[ref],
			runs[ref].regions, runs[s].regions == runs[ref].regions ?
			" (same count, different regions)" : "");
		explain_mismatch(b, &runs[ref], &runs[s]);
	}
	return 0;
}

static int measure(struct bench *b, const struct layout *l, const struct query *q)
{
	struct result *res = &b->res[b->nres++];
	struct run runs[NSIDES];
	uint64_t pread8_len = l->len < PREAD8_BYTES ? l->len : PREAD8_BYTES;
	unsigned s, i;
	int rep, err;

	if (b->o.smoke && pread8_len > MIB)
		pread8_len = MIB;
	memset(res, 0, sizeof(*res));
	res->l = l;
	res->q = q;
	res->pages = l->len / PAGE;
	res->pread8_pages = (pread8_len < PREAD8_STEP ? pread8_len : PREAD8_STEP) / PAGE;
	for (s = 0; s < NSIDES; s++) {
		run_init(&runs[s], b, (enum side)s, l, q, pread8_len);
		res->have[s] = b->have_raw || (s != S_RAW && s != S_NATIVE);
	}
	err = verify(b, res, runs);
	if (err)
		return err;
	res->quiet.tries = QUIET_TRIES;
	res->quiet.budget = QUIET_BUDGET * NSIDES * (unsigned)b->reps;

	for (s = 0; s < NSIDES; s++) {
		if (!res->have[s])
			continue;
		err = bench_calibrate(side_call, &runs[s], b->min_ns, &res->iters[s]);
		if (err)
			goto fail;
	}
	/* A B C D E, B C D E A, ...: alternated, and no side always first. */
	for (rep = 0; rep < b->reps; rep++) {
		/* On a machine so loaded that retries would make the run
		 * long, stop retrying: the spread will show it. */
		if (bench_now_ns() - b->t0 > QUIET_UNTIL_NS)
			res->quiet.budget = res->quiet.retried;
		for (i = 0; i < NSIDES; i++) {
			uint64_t ns = 0, pages;

			s = (rep + i) % NSIDES;
			if (!res->have[s])
				continue;
			err = bench_sample_quiet(side_call, &runs[s], res->iters[s],
						 &res->quiet, &ns);
			if (err)
				goto fail;
			pages = s == S_PREAD8 ? res->pread8_pages : res->pages;
			b->samples[s][rep] = (double)ns / ((double)res->iters[s] * (double)pages);
		}
	}
	for (i = 0; i < NRATIOS; i++) {
		const struct ratio_def *d = &ratios[i];

		if (!res->have[d->num] || !res->have[d->den])
			continue;
		for (rep = 0; rep < b->reps; rep++)
			b->scratch[rep] = b->samples[d->num][rep] / b->samples[d->den][rep];
		bench_stats_of(b->scratch, (size_t)b->reps, &res->r[i]);
		res->have_r[i] = true;
	}
	for (s = 0; s < NSIDES; s++)
		if (res->have[s])
			bench_stats_of(b->samples[s], (size_t)b->reps, &res->t[s]);
	fprintf(stderr, "scan_bench: %s/%s: raw %.2f, emulated %.2f, bare %.2f ns/page\n",
		l->key, q->key, res->t[S_RAW].median, res->t[S_EMU].median,
		res->t[S_BARE].median);
	return 0;
fail:
	s = s < NSIDES ? s : 0;
	fprintf(stderr, "scan_bench: %s/%s: %s: %s\n", l->key, q->key, side_key[s],
		strerror(-err));
	return err;
}

/* ---- reporting ---- */

static bool smoke;	/* --smoke: sizes too small to judge targets */

static const char *verdict(const struct result *res, unsigned i)
{
	const struct ratio_def *d = &ratios[i];
	double m = res->r[i].median;

	if (!res->have_r[i])
		return "n/a";
	if (!d->target || !(res->l->targets & T(i)))
		return "info";
	if (smoke)
		return "smoke";
	if (d->at_most ? m <= d->target : m >= d->target)
		return "met";
	return "MISSED";
}

static bool mem_conclusive(const struct memcheck *m)
{
	/* Without a reset, an earlier peak above the current RSS hides growth. */
	return m->reset || m->hwm0 - m->rss0 < 1024;
}

static const char *mem_verdict(const struct memcheck *m)
{
	if (m->hwm0 < 0 || m->hwm1 < 0)
		return "n/a";
	if (!mem_conclusive(m))
		return "inconclusive";
	if (smoke)
		return "smoke";
	return m->hwm1 - m->hwm0 < 1024 ? "met" : "MISSED";
}

/* A missed target; for the two bounded by the bare pagemap read, the
 * emulated / bare that would meet it (below 1: no emulation can). */
static void print_missed(const struct result *r, unsigned k)
{
	const struct ratio_def *d = &ratios[k];
	int bound = k == R_EMU_RAW ? R_BARE_RAW : k == R_PREAD8_EMU ? R_PREAD8_BARE : -1;

	printf("- missed: %s on %s/%s: %.2f, target %s %.2f", d->key, r->l->key, r->q->key,
	       r->r[k].median, d->at_most ? "<=" : ">=", d->target);
	if (bound >= 0 && r->have_r[bound] && r->r[bound].median > 0) {
		double v = r->r[bound].median;
		double need = k == R_EMU_RAW ? d->target / v : v / d->target;

		printf("; %s is %.2f, so it needs emulated/bare <= %.2f (now %.2f)%s",
		       ratios[bound].key, v, need, r->r[R_EMU_BARE].median,
		       need < 1.0 ? ": out of reach, the pagemap read alone misses it" : "");
	}
	printf("\n");
}

static void print_markdown(const struct bench *b, const struct bench_env *env)
{
	unsigned i, k, total;
	int met = 0, missed = 0;
	char sz[32], sz2[32];

	printf("## Scan: pw_scan against the kernel's own mechanisms (scan_bench%s)\n\n",
	       b->o.smoke ? " --smoke: tiny sizes, not for citing" : "");
	bench_env_print(stdout, env);
	printf("| PAGEMAP_SCAN | %s |\n\n", b->have_raw ? "yes" : "no (raw and native not run)");
	printf("Sides, alternated within each of %d repetitions (the first side rotates), after "
	       "one warm-up call each; a sample is enough back-to-back calls to last %.0f ms "
	       "or more, timed by CLOCK_MONOTONIC; it is taken again (up to %d attempts, at most "
	       "%d retry per sample on average) when the thread ran less than %.0f%% of it: "
	       "preempted, on a shared machine. "
	       "**raw**: `ioctl(PAGEMAP_SCAN)` on /proc/self/pagemap, vec of %lu "
	       "regions, resumed at walk_end only if it fills (calls per walk below); **native** / "
	       "**emulated**: `pw_scan` with the same arguments; **bare**: `pread` of the same "
	       "pagemap entries, %lu KiB per call, into one reused buffer; **pread8**: one 8-byte "
	       "`pread` per page over the first %s of the range, %s per call. "
	       "Queries: **census** = masks 0, "
	       "return_mask PRESENT|WRITTEN|FILE|SWAPPED; **written** = category_mask = "
	       "return_mask = WRITTEN. The regions of raw, native and emulated were compared "
	       "before timing%s.\n\n",
	       b->reps, (double)b->min_ns / 1e6, QUIET_TRIES, QUIET_BUDGET,
	       BENCH_QUIET_SHARE * 100,
	       VEC_LEN, BARE_CHUNK >> 10,
	       size_str(b->o.smoke ? MIB : PREAD8_BYTES, sz, sizeof(sz)),
	       size_str(b->o.smoke ? MIB : PREAD8_STEP, sz2, sizeof(sz2)),
	       b->disagreements ? ": **THEY DISAGREE** (see stderr)" : " and agree");

	printf("| layout | size | contents |\n|---|---|---|\n");
	for (i = 0; i < b->nres; i += NQUERIES)
		printf("| %s | %s | %s |\n", b->res[i].l->key,
		       size_str(b->res[i].l->len, sz, sizeof(sz)), b->res[i].l->what);

	printf("\nns per page, median [p10, p90]:\n\n");
	printf("| layout | query | regions (calls) | raw ioctl | pw_scan native | "
	       "pw_scan emulated | bare read | pread8 | retries (samples kept preempted) |\n"
	       "|---|---|---|---|---|---|---|---|---|\n");
	for (i = 0; i < b->nres; i++) {
		const struct result *r = &b->res[i];

		printf("| %s | %s | %ld (%u) |", r->l->key, r->q->key, r->regions, r->calls);
		for (k = 0; k < NSIDES; k++) {
			if (!r->have[k])
				printf(" n/a |");
			else
				printf(" %.2f [%.2f, %.2f] |", r->t[k].median, r->t[k].p10,
				       r->t[k].p90);
		}
		for (k = 0, total = 0; k < NSIDES; k++)
			total += r->have[k] ? (unsigned)b->reps : 0;
		printf(" %u (%u of %u kept preempted) |\n", r->quiet.retried,
		       r->quiet.disturbed, total);
	}

	printf("\nRatios: median of the per-repetition ratios [p10, p90], and the verdict "
	       "where the target applies to the layout (\"info\" where it does not):\n\n");
	printf("| layout | query |");
	for (k = 0; k < NRATIOS; k++)
		printf(" %s |", ratios[k].title);
	printf("\n|---|---|");
	for (k = 0; k < NRATIOS; k++)
		printf("---|");
	printf("\n");
	for (i = 0; i < b->nres; i++) {
		const struct result *r = &b->res[i];

		printf("| %s | %s |", r->l->key, r->q->key);
		for (k = 0; k < NRATIOS; k++) {
			const char *v = verdict(r, k);

			if (!r->have_r[k]) {
				printf(" n/a |");
				continue;
			}
			printf(" %.2f [%.2f, %.2f] %s |", r->r[k].median, r->r[k].p10,
			       r->r[k].p90, v);
			met += !strcmp(v, "met");
			missed += !strcmp(v, "MISSED");
		}
		printf("\n");
	}

	printf("\nMemory: peak RSS (VmHWM%s) across the first emulated census of each "
	       "layout; the %lu KiB vec was resident before. Target: growth < 1 MiB.\n\n",
	       b->nmem && b->mem[0].reset ? ", reset by clear_refs 5 before the scan" : "",
	       (unsigned long)(VEC_LEN * sizeof(struct pw_region) >> 10));
	printf("| layout | range scanned | VmHWM growth | ru_maxrss growth | verdict |\n"
	       "|---|---|---|---|---|\n");
	for (i = 0; i < b->nmem; i++) {
		const struct memcheck *m = &b->mem[i];
		const char *v = mem_verdict(m);

		printf("| %s | %s | %ld KiB | %ld KiB | %s |\n", m->layout,
		       size_str(m->len, sz, sizeof(sz)), m->hwm1 - m->hwm0,
		       m->maxrss1 - m->maxrss0, v);
		met += !strcmp(v, "met");
		missed += !strcmp(v, "MISSED");
	}

	if (b->o.smoke)
		printf("\nTargets: not judged with --smoke (fixed costs dominate tiny ranges).\n");
	else
		printf("\nTargets: %d met, %d missed.\n", met, missed);
	for (i = 0; i < b->nres; i++)
		for (k = 0; k < NRATIOS; k++)
			if (!strcmp(verdict(&b->res[i], k), "MISSED"))
				print_missed(&b->res[i], k);
}

static void write_csv(const struct bench *b, const struct bench_env *env)
{
	FILE *f = b->csv;
	char note[160], target[16];
	unsigned i, k;

	if (!f)
		return;
	fputs(BENCH_CSV_HEADER, f);
	bench_csv_row(f, "scan", "env", "", "cpu", "", NULL, NULL, NULL, env->cpu);
	bench_csv_row(f, "scan", "env", "", "kernel", "", NULL, NULL, NULL, env->kernel);
	bench_csv_row(f, "scan", "env", "", "vm", "", NULL, NULL, NULL, env->vm ? "yes" : "no");
	bench_csv_row(f, "scan", "env", "", "thp", "", NULL, NULL, NULL, env->thp);
	bench_csv_row(f, "scan", "env", "", "smoke", "", NULL, NULL, NULL,
		      b->o.smoke ? "yes" : "no");
	for (i = 0; i < b->nres; i++) {
		const struct result *r = &b->res[i];

		for (k = 0; k < NSIDES; k++) {
			if (!r->have[k])
				continue;
			snprintf(note, sizeof(note),
				 "pages_per_call=%llu iters=%lu regions=%ld calls=%u "
				 "query_retries=%u query_kept_preempted=%u",
				 (unsigned long long)(k == S_PREAD8 ? r->pread8_pages : r->pages),
				 r->iters[k], r->regions, r->calls, r->quiet.retried,
				 r->quiet.disturbed);
			bench_csv_row(f, "scan", r->l->key, r->q->key, side_key[k], "ns/page",
				      &r->t[k], NULL, NULL, note);
		}
		for (k = 0; k < NRATIOS; k++) {
			if (!r->have_r[k])
				continue;
			target[0] = '\0';
			if (ratios[k].target)
				snprintf(target, sizeof(target), "%s%.2f",
					 ratios[k].at_most ? "<=" : ">=", ratios[k].target);
			bench_csv_row(f, "scan", r->l->key, r->q->key, ratios[k].key, "x",
				      &r->r[k], target, verdict(r, k), "paired per repetition");
		}
	}
	for (i = 0; i < b->nmem; i++) {
		const struct memcheck *m = &b->mem[i];
		struct bench_stats s = { .n = 1 };

		s.median = s.p10 = s.p90 = s.min = s.max = (double)(m->hwm1 - m->hwm0);
		snprintf(note, sizeof(note), "bytes=%zu reset=%s ru_maxrss_growth_kib=%ld",
			 m->len, m->reset ? "yes" : "no", m->maxrss1 - m->maxrss0);
		bench_csv_row(f, "scan", m->layout, "census", "emulated_peak_rss_growth", "KiB",
			      &s, "<1024", mem_verdict(m), note);
	}
}

/* ---- main ---- */

static int bench_open(struct bench *b)
{
	struct pw_scan_arg probe;
	unsigned s;
	int r;

	b->fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (b->fd < 0) {
		fprintf(stderr, "scan_bench: /proc/self/pagemap: %s\n", strerror(errno));
		return -errno;
	}
	memset(&probe, 0, sizeof(probe));
	probe.size = sizeof(probe);
	b->have_raw = ioctl(b->fd, PAGEMAP_SCAN_IOCTL, &probe) == 0;
	if (b->have_raw) {
		r = pw_space_open(&b->native, 0, PW_SPACE_NATIVE);
		if (r) {
			fprintf(stderr, "scan_bench: native space: %s\n", strerror(-r));
			return r;
		}
	}
	r = pw_space_open(&b->emu, 0, PW_SPACE_EMULATED);
	if (r) {
		fprintf(stderr, "scan_bench: emulated space: %s\n", strerror(-r));
		return r;
	}
	b->vec = malloc(VEC_LEN * sizeof(*b->vec));
	b->chunk = malloc(BARE_CHUNK);
	b->scratch = malloc((size_t)b->reps * sizeof(double));
	if (!b->vec || !b->chunk || !b->scratch)
		return -ENOMEM;
	for (s = 0; s < NSIDES; s++) {
		b->samples[s] = calloc((size_t)b->reps, sizeof(double));
		if (!b->samples[s])
			return -ENOMEM;
	}
	memset(b->vec, 0, VEC_LEN * sizeof(*b->vec));
	memset(b->chunk, 0, BARE_CHUNK);
	return 0;
}

static void bench_close(struct bench *b)
{
	unsigned s;

	pw_space_close(b->native);
	pw_space_close(b->emu);
	if (b->fd >= 0)
		close(b->fd);
	free(b->vec);
	free(b->chunk);
	free(b->scratch);
	for (s = 0; s < NSIDES; s++)
		free(b->samples[s]);
	if (b->csv)
		fclose(b->csv);
}

int main(int argc, char **argv)
{
	static struct bench b;
	struct bench_env env;
	unsigned k, q;
	int r;

	r = bench_parse_opts(argc, argv, &b.o,
			     "pw_scan (native, emulated) against ioctl(PAGEMAP_SCAN) and pagemap "
			     "reads, side by side; Markdown on stdout.");
	if (r)
		return r > 0 ? 0 : 2;
	b.fd = -1;
	b.t0 = bench_now_ns();
	b.reps = b.o.reps ? b.o.reps : b.o.smoke ? REPS_SMOKE : REPS_FULL;
	smoke = b.o.smoke;
	b.min_ns = b.o.smoke ? 0 : MIN_SAMPLE_NS;
	if (b.o.csv) {
		b.csv = fopen(b.o.csv, "w");
		if (!b.csv) {
			fprintf(stderr, "scan_bench: %s: %s\n", b.o.csv, strerror(errno));
			return 1;
		}
	}
	bench_env_get(&env);
	r = bench_open(&b);
	for (k = 0; !r && k < NLAYOUTS; k++) {
		struct layout *l = &b.layouts[k];

		r = layout_setup(&b, (enum layout_kind)k, l);
		if (r) {
			fprintf(stderr, "scan_bench: layout %u: %s\n", k, strerror(-r));
			break;
		}
		if (k < NBULK)
			r = check_memory(&b, l);
		for (q = 0; !r && q < NQUERIES; q++)
			r = measure(&b, l, &queries[q]);
		layout_teardown(l);
	}
	if (!r) {
		print_markdown(&b, &env);
		write_csv(&b, &env);
	}
	bench_close(&b);
	if (r)
		return 1;
	return b.disagreements ? 1 : 0;
}
