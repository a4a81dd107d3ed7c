/* SPDX-License-Identifier: MIT */
/*
 * pw_scan_all: over layouts of thousands of regions (and hundreds of
 * mappings) it reports exactly the regions of one pw_scan with a vec big
 * enough for all, in order, each once, whatever buffer the caller gives;
 * max_pages limits the whole walk as one scan's would; the callback stops
 * it; errors are the backend's.  Cross-checked against a resume loop on
 * the raw ioctl (lesson 1: a full vec is not the end of the walk).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "testlib.h"

#define NPAGES	4096
#define BIG	16384

struct rlist {
	struct pw_region r[BIG];
	size_t n;
	long calls;
	long stop_at;		/* return stop_val on this call (1-based), 0: never */
	int stop_val;
	int disorder;		/* regions not ascending / malformed */
	uint64_t pages;
};

static struct rlist got, ref, raw;
static struct pw_region vecbuf[BIG];
static struct pw_space *sp;
static int have_raw;
static int full_vec1;	/* vec_len 1 even over a thousand regions */

static int collect(const struct pw_region *reg, void *ctx)
{
	struct rlist *l = ctx;

	l->calls++;
	if (reg->start >= reg->end || (reg->start | reg->end) % PAGE ||
	    (l->n && reg->start < l->r[l->n - 1].end))
		l->disorder++;
	if (l->n < BIG)
		l->r[l->n++] = *reg;
	l->pages += (reg->end - reg->start) / PAGE;
	return l->calls == l->stop_at ? l->stop_val : 0;
}

static void reset(struct rlist *l)
{
	l->n = 0;
	l->calls = 0;
	l->stop_at = 0;
	l->stop_val = 0;
	l->disorder = 0;
	l->pages = 0;
}

/* The masks of one test case, over [start, start + pages). */
struct masks {
	uint64_t inverted, mask, anyof, ret;
};

static struct pw_scan_arg mkarg(const char *start, size_t pages, const struct masks *m,
				uint64_t max_pages)
{
	struct pw_scan_arg a = t_arg(start, pages, NULL, 0);

	a.category_inverted = m->inverted;
	a.category_mask = m->mask;
	a.category_anyof_mask = m->anyof;
	a.return_mask = m->ret;
	a.max_pages = max_pages;
	return a;
}

/* One scan with room for everything; its walk_end is kept only when the
 * walk stopped at max_pages (a completed walk with vec_len > 512 leaves a
 * refill point there, not end). */
static long one_scan(struct rlist *l, struct pw_scan_arg a, int use_raw, uint64_t *walk_end)
{
	long n, i;

	reset(l);
	a.vec = (uintptr_t)l->r;
	a.vec_len = BIG;
	n = use_raw ? t_raw_scan(-1, &a) : pw_scan(sp, &a);
	for (i = 0; i < n; i++)
		l->pages += (l->r[i].end - l->r[i].start) / PAGE;
	l->n = n > 0 ? (size_t)n : 0;
	*walk_end = a.walk_end;
	return n;
}

static int same(const struct rlist *a, const struct rlist *b)
{
	size_t i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (a->r[i].start != b->r[i].start || a->r[i].end != b->r[i].end ||
		    a->r[i].categories != b->r[i].categories)
			return 0;
	return 1;
}

static void show_diff(const char *what, const struct rlist *a, const struct rlist *b)
{
	size_t i;

	fprintf(stderr, "%s: %zu regions vs %zu\n", what, a->n, b->n);
	for (i = 0; i < a->n || i < b->n; i++) {
		if (i < a->n && i < b->n && a->r[i].start == b->r[i].start &&
		    a->r[i].end == b->r[i].end && a->r[i].categories == b->r[i].categories)
			continue;
		fprintf(stderr, "  first difference at %zu: ", i);
		if (i < a->n)
			fprintf(stderr, "%#llx-%#llx %#llx", (unsigned long long)a->r[i].start,
				(unsigned long long)a->r[i].end,
				(unsigned long long)a->r[i].categories);
		fprintf(stderr, " vs ");
		if (i < b->n)
			fprintf(stderr, "%#llx-%#llx %#llx", (unsigned long long)b->r[i].start,
				(unsigned long long)b->r[i].end,
				(unsigned long long)b->r[i].categories);
		fputc('\n', stderr);
		break;
	}
}

/*
 * What one scan with max_pages gives, derived from the unlimited walk
 * (S26): the first max_pages matching pages, the last run cut to fit;
 * walk_end where it was cut, or at the next match when the limit was
 * reached exactly at a region's end, or end when no match is left.
 * Checks ref (one scan with the limit) against it; returns that walk_end.
 */
static uint64_t limited(const struct rlist *l, struct pw_scan_arg a, uint64_t max_pages,
			const char *name)
{
	static struct rlist all;
	uint64_t left = max_pages, dummy, we;
	size_t i;
	int cut = 0;
	long n;

	a.max_pages = 0;
	n = one_scan(&all, a, 0, &dummy);
	CHECK(n >= 0, "%s: unlimited scan %ld", name, n);
	for (i = 0; i < all.n && left; i++) {
		uint64_t pages = (all.r[i].end - all.r[i].start) / PAGE;

		if (pages > left) {
			all.r[i].end = all.r[i].start + left * PAGE;
			pages = left;
			cut = 1;
		}
		left -= pages;
	}
	if (cut)
		we = all.r[i - 1].end;
	else if (!left && i < all.n)
		we = all.r[i].start;
	else
		we = (a.end + PAGE - 1) & ~(uint64_t)(PAGE - 1);
	all.n = i;
	CHECK(same(l, &all), "%s: one scan with max_pages %llu is not the prefix", name,
	      (unsigned long long)max_pages);
	return we;
}

/* vec configurations: 0 = no vec, -1 = vec set but vec_len 0, else vec_len. */
static const long vecs[] = { 0, -1, 1, 3, 600 };
#define NVECS (sizeof(vecs) / sizeof(vecs[0]))

static long walk(struct pw_scan_arg *a, long vcfg)
{
	if (vcfg > 0) {
		a->vec = (uintptr_t)vecbuf;
		a->vec_len = (uint64_t)vcfg;
	} else if (vcfg < 0) {
		a->vec = (uintptr_t)vecbuf;
		a->vec_len = 0;
	}
	return pw_scan_all(sp, a, collect, &got);
}

/* Everything about one case: scan_all with each buffer against one scan. */
static void case_all(const char *name, const char *start, size_t pages, const struct masks *m,
		     uint64_t max_pages, uint64_t trim)
{
	struct pw_scan_arg a0 = mkarg(start, pages, m, max_pages), a, b;
	uint64_t ref_we, raw_we, end = a0.end;

	a0.end -= trim;		/* an unaligned end is rounded up */
	long nref, nraw, r;
	unsigned v;

	nref = one_scan(&ref, a0, 0, &ref_we);
	CHECK(nref >= 0, "%s: reference scan %ld", name, nref);
	if (nref < 0)
		return;
	if (have_raw) {
		nraw = one_scan(&raw, a0, 1, &raw_we);
		CHECK(nraw == nref && same(&raw, &ref), "%s: pw_scan differs from the ioctl", name);
		if (!same(&raw, &ref))
			show_diff(name, &ref, &raw);
		if (max_pages)
			CHECK_EQ(ref_we, raw_we);
	}
	if (max_pages) {
		uint64_t we = limited(&ref, a0, max_pages, name);

		/* A walk stopped by the limit: the kernel's own walk_end. */
		if (we != end)
			CHECK(ref_we == we, "%s: one scan's walk_end %#llx, expected %#llx", name,
			      (unsigned long long)ref_we, (unsigned long long)we);
		ref_we = we;
	}
	for (v = 0; v < NVECS; v++) {
		/* Each emulated scan reads maps again: the smallest buffers
		 * only where the walk has at most a thousand or two regions. */
		if ((vecs[v] == 1 && nref > 300 && !full_vec1) || (vecs[v] == 3 && nref > 2100))
			continue;
		reset(&got);
		a = a0;
		a.walk_end = 0xdead000;
		r = walk(&a, vecs[v]);
		CHECK(r == nref, "%s vec %ld: %ld regions, one scan gives %ld", name, vecs[v], r, nref);
		CHECK(r < 0 || got.calls == r, "%s vec %ld: %ld calls for %ld regions", name, vecs[v],
		      got.calls, r);
		CHECK(got.disorder == 0, "%s vec %ld: regions out of order", name, vecs[v]);
		CHECK(same(&got, &ref), "%s vec %ld: regions differ from one scan", name, vecs[v]);
		if (!same(&got, &ref))
			show_diff(name, &got, &ref);
		if (!max_pages || ref_we == end) {
			CHECK(a.walk_end == end, "%s vec %ld: walk_end %#llx, end %#llx", name,
			      vecs[v], (unsigned long long)a.walk_end, (unsigned long long)end);
		} else {
			CHECK(got.pages == max_pages, "%s vec %ld: %llu pages for max_pages %llu",
			      name, vecs[v], (unsigned long long)got.pages,
			      (unsigned long long)max_pages);
			CHECK(a.walk_end == ref_we, "%s vec %ld: walk_end %#llx, one scan %#llx",
			      name, vecs[v], (unsigned long long)a.walk_end,
			      (unsigned long long)ref_we);
		}
		/* walk_end is the only field written back. */
		b = a0;
		if (vecs[v] > 0) {
			b.vec = (uintptr_t)vecbuf;
			b.vec_len = (uint64_t)vecs[v];
		} else if (vecs[v] < 0) {
			b.vec = (uintptr_t)vecbuf;
		}
		b.walk_end = a.walk_end;
		CHECK(!memcmp(&a, &b, sizeof(a)), "%s vec %ld: arg fields changed", name, vecs[v]);
	}
}

/* A manual resume loop, as lesson 1 says, on the raw ioctl or on pw_scan. */
static void resume_loop(struct rlist *l, struct pw_scan_arg a, uint64_t vec_len, int use_raw)
{
	struct pw_region v[512];
	uint64_t end = a.end;
	long n, i;
	int rounds = 0;

	reset(l);
	a.vec = (uintptr_t)v;
	a.vec_len = vec_len;
	for (;;) {
		n = use_raw ? t_raw_scan(-1, &a) : pw_scan(sp, &a);
		CHECK(n >= 0 && (uint64_t)n <= vec_len, "resume loop: %ld", n);
		if (n < 0)
			return;
		for (i = 0; i < n; i++)
			collect(&v[i], l);
		rounds++;
		if (a.walk_end >= end)
			break;
		CHECK((uint64_t)n == vec_len, "a walk that stopped early had room left");
		CHECK(a.walk_end > a.start, "no progress at %#llx", (unsigned long long)a.start);
		if (a.walk_end <= a.start)
			return;
		a.start = a.walk_end;
	}
	CHECK(rounds > 1 || vec_len >= l->n, "one round for %zu regions in %llu", l->n,
	      (unsigned long long)vec_len);
}

static void check_resume(const char *start, size_t pages, const struct masks *m, unsigned first)
{
	static const uint64_t lens[] = { 1, 3, 512 };
	struct pw_scan_arg a0 = mkarg(start, pages, m, 0), a;
	struct pw_region v[3];
	unsigned i;
	long n;

	reset(&got);
	a = a0;
	CHECK(pw_scan_all(sp, &a, collect, &got) > 3, "too few regions for this check");

	/* A full vec is not the end of the walk. */
	a = a0;
	a.vec = (uintptr_t)v;
	a.vec_len = 3;
	n = pw_scan(sp, &a);
	CHECK(n == 3 && a.walk_end < a.end && a.walk_end == got.r[3].start,
	      "vec of 3: %ld regions, walk_end %#llx, fourth region at %#llx", n,
	      (unsigned long long)a.walk_end, (unsigned long long)got.r[3].start);

	for (i = first; i < 3; i++) {
		resume_loop(&ref, a0, lens[i], 0);
		CHECK(same(&ref, &got), "pw_scan resume loop (vec %llu) differs from pw_scan_all",
		      (unsigned long long)lens[i]);
		if (have_raw) {
			resume_loop(&raw, a0, lens[i], 1);
			CHECK(same(&raw, &got),
			      "raw ioctl resume loop (vec %llu) differs from pw_scan_all",
			      (unsigned long long)lens[i]);
			if (!same(&raw, &got))
				show_diff("resume", &raw, &got);
		}
	}
}

static void check_layout_shapes(const char *a_base, const char *b_base)
{
	struct masks present = { 0, PW_PAGE_PRESENT, 0, PW_PAGE_PRESENT };
	struct pw_scan_arg a;
	size_t i;
	long r;

	/* A: every other page written: 2048 one-page regions. */
	reset(&got);
	a = mkarg(a_base, NPAGES, &present, 0);
	r = pw_scan_all(sp, &a, collect, &got);
	CHECK_EQ(r, NPAGES / 2);
	for (i = 0; i < got.n; i++)
		if (got.r[i].start != (uintptr_t)a_base + 2 * i * PAGE ||
		    got.r[i].end != got.r[i].start + PAGE || got.r[i].categories != PW_PAGE_PRESENT) {
			CHECK(0, "layout A region %zu: %#llx-%#llx %#llx", i,
			      (unsigned long long)got.r[i].start, (unsigned long long)got.r[i].end,
			      (unsigned long long)got.r[i].categories);
			break;
		}
	/* B: three of every four written: 1024 three-page regions. */
	reset(&got);
	a = mkarg(b_base, NPAGES, &present, 0);
	r = pw_scan_all(sp, &a, collect, &got);
	CHECK_EQ(r, NPAGES / 4);
	for (i = 0; i < got.n; i++)
		if (got.r[i].start != (uintptr_t)b_base + 4 * i * PAGE ||
		    got.r[i].end != got.r[i].start + 3 * PAGE ||
		    got.r[i].categories != PW_PAGE_PRESENT) {
			CHECK(0, "layout B region %zu", i);
			break;
		}
}

static void check_max_pages(const char *b_base)
{
	struct masks present = { 0, PW_PAGE_PRESENT, 0, PW_PAGE_PRESENT };
	struct masks all = { 0, 0, 0, PW_PAGE_PRESENT };
	static const uint64_t limits[] = { 1, 5, 999, 1000, 3071, 3072, 1000000 };
	static const uint64_t all_limits[] = { 5, 1000, 1000000 };
	uint64_t b = (uintptr_t)b_base;
	struct pw_scan_arg a;
	unsigned i;
	char name[64];
	long r;

	for (i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		snprintf(name, sizeof(name), "B present max %llu", (unsigned long long)limits[i]);
		case_all(name, b_base, NPAGES, &present, limits[i], 0);
	}
	for (i = 0; i < sizeof(all_limits) / sizeof(all_limits[0]); i++) {
		snprintf(name, sizeof(name), "B all max %llu", (unsigned long long)all_limits[i]);
		case_all(name, b_base, NPAGES, &all, all_limits[i], 0);
	}

	/* The kernel's answers, spelled out (S26): a cut region ends the walk
	 * where it was cut; reaching the limit exactly ends it at the next
	 * match. */
	reset(&got);
	a = mkarg(b_base, NPAGES, &present, 1000);
	a.vec = (uintptr_t)vecbuf;
	a.vec_len = 3;
	r = pw_scan_all(sp, &a, collect, &got);
	CHECK(r == 334 && got.pages == 1000, "max 1000: %ld regions, %llu pages", r,
	      (unsigned long long)got.pages);
	CHECK(got.n == 334 && got.r[333].start == b + 1332 * PAGE &&
	      got.r[333].end == b + 1333 * PAGE, "max 1000: the last region is not cut to one page");
	CHECK(a.walk_end == b + 1333 * PAGE, "max 1000: walk_end %#llx",
	      (unsigned long long)(a.walk_end - b));
	reset(&got);
	a = mkarg(b_base, NPAGES, &present, 999);
	r = pw_scan_all(sp, &a, collect, &got);
	CHECK(r == 333 && got.pages == 999, "max 999: %ld regions", r);
	CHECK(a.walk_end == b + 1332 * PAGE, "max 999: walk_end %#llx, expected the next match",
	      (unsigned long long)(a.walk_end - b));
	reset(&got);
	a = mkarg(b_base, NPAGES, &all, 5);
	a.vec = (uintptr_t)vecbuf;
	a.vec_len = 1;
	r = pw_scan_all(sp, &a, collect, &got);
	CHECK(r == 3 && got.r[0].end == b + 3 * PAGE && got.r[1].categories == 0 &&
	      got.r[2].start == b + 4 * PAGE && got.r[2].end == b + 5 * PAGE &&
	      a.walk_end == b + 5 * PAGE, "max 5 over everything: %ld regions, walk_end +%#llx",
	      r, (unsigned long long)(a.walk_end - b));
}

static void check_stop(const char *b_base)
{
	struct masks present = { 0, PW_PAGE_PRESENT, 0, PW_PAGE_PRESENT };
	static const struct {
		long vec, at;
		int val;
	} cases[] = {
		{ 3, 5, 42 }, { 3, 1, -1 }, { 0, 1, 1 }, { 0, 600, 7 }, { 0, 1024, 9 },
		{ 1, 2, -EIO }, { 600, 513, 3 }, { 600, 1024, INT32_MIN },
	};
	struct pw_scan_arg a;
	unsigned i;
	long r;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		reset(&got);
		got.stop_at = cases[i].at;
		got.stop_val = cases[i].val;
		a = mkarg(b_base, NPAGES, &present, 0);
		r = walk(&a, cases[i].vec);
		CHECK(r == cases[i].val && got.calls == cases[i].at,
		      "stop on call %ld with %d (vec %ld): returned %ld after %ld calls",
		      cases[i].at, cases[i].val, cases[i].vec, r, got.calls);
		CHECK(got.n == 0 || got.r[got.n - 1].start == (uintptr_t)b_base + 4 * (got.n - 1) * PAGE,
		      "stop: the regions before it are wrong");
	}
}

static long plain_scan(struct pw_scan_arg a)
{
	if (!a.vec && !a.vec_len) {
		a.vec = (uintptr_t)vecbuf;
		a.vec_len = 512;
	}
	return pw_scan(sp, &a);
}

static void check_errors(const char *a_base)
{
	struct masks all = { 0, 0, 0, PW_PAGE_PRESENT };
	struct pw_scan_arg a0 = mkarg(a_base, 64, &all, 0), a;
	char *ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct {
		const char *what;
		struct pw_scan_arg a;
		long want;	/* 1: whatever pw_scan says, but an error */
	} c[12];
	unsigned i, n = 0;
	long r;

	CHECK(ro != MAP_FAILED, "mmap");
	reset(&got);
	CHECK_EQ(pw_scan_all(sp, &a0, NULL, &got), -EINVAL);
	CHECK_EQ(pw_scan_all(NULL, &a0, collect, &got), -EINVAL);
	CHECK_EQ(pw_scan_all(sp, NULL, collect, &got), -EFAULT);
	CHECK_EQ(pw_scan_all(NULL, NULL, NULL, NULL), -EINVAL);
	CHECK_EQ(got.calls, 0);

	a = a0; a.size = sizeof(a) - 1;
	c[n].what = "size - 1"; c[n].a = a; c[n++].want = -EINVAL;
	a = a0; a.size = sizeof(a) + 8;
	c[n].what = "size + 8"; c[n].a = a; c[n++].want = -EINVAL;
	a = a0; a.flags = 1ULL << 7;
	c[n].what = "unknown flag"; c[n].a = a; c[n++].want = -EINVAL;
	a = a0; a.start += 1;
	c[n].what = "unaligned start"; c[n].a = a; c[n++].want = -EINVAL;
	a = a0; a.return_mask = 1ULL << 9;
	c[n].what = "unknown category"; c[n].a = a; c[n++].want = -EINVAL;
	a = a0; a.category_anyof_mask = 1ULL << 40;
	c[n].what = "unknown anyof category"; c[n].a = a; c[n++].want = -EINVAL;
	a = a0; a.end = a.start - PAGE;
	c[n].what = "end below start"; c[n].a = a; c[n++].want = -EFAULT;
	a = a0; a.end = 1ULL << 63;
	c[n].what = "end above user space"; c[n].a = a; c[n++].want = -EFAULT;
	a = a0; a.vec = (uintptr_t)ro; a.vec_len = 3;
	c[n].what = "read-only vec"; c[n].a = a; c[n++].want = -EFAULT;
	a = a0; a.vec = 8; a.vec_len = 3;
	c[n].what = "vec at 8"; c[n].a = a; c[n++].want = -EFAULT;
	a = a0; a.flags = PW_SCAN_CHECK_WPASYNC;
	c[n].what = "CHECK_WPASYNC"; c[n].a = a; c[n++].want = 1;
	a = a0; a.flags = PW_SCAN_WP_MATCHING;
	c[n].what = "WP_MATCHING"; c[n].a = a; c[n++].want = 2;

	for (i = 0; i < n; i++) {
		long ps = plain_scan(c[i].a);

		reset(&got);
		a = c[i].a;
		r = pw_scan_all(sp, &a, collect, &got);
		if (c[i].want < 0) {
			CHECK(ps == c[i].want, "%s: pw_scan %ld, expected %ld", c[i].what, ps,
			      c[i].want);
			CHECK(r == c[i].want, "%s: pw_scan_all %ld, expected %ld", c[i].what, r,
			      c[i].want);
		} else if (c[i].want == 1) {
			/* Not WP-allowed: EPERM natively, unsupported emulated. */
			CHECK(ps == -EPERM || ps == -EOPNOTSUPP, "%s: pw_scan %ld", c[i].what, ps);
			CHECK(r == ps, "%s: pw_scan_all %ld, pw_scan %ld", c[i].what, r, ps);
		} else {
			/* Skipped mappings natively (0), unsupported emulated. */
			CHECK(ps == 0 || ps == -EOPNOTSUPP, "%s: pw_scan %ld", c[i].what, ps);
			CHECK(r == ps, "%s: pw_scan_all %ld, pw_scan %ld", c[i].what, r, ps);
		}
		CHECK(got.calls == 0, "%s: %ld callbacks", c[i].what, got.calls);
	}
	munmap(ro, PAGE);
}

int main(void)
{
	struct masks present = { 0, PW_PAGE_PRESENT, 0, PW_PAGE_PRESENT };
	struct masks present_r0 = { 0, PW_PAGE_PRESENT, 0, 0 };
	struct masks all = { 0, 0, 0, PW_PAGE_PRESENT };
	struct masks absent = { PW_PAGE_PRESENT, PW_PAGE_PRESENT, 0,
				PW_PAGE_PRESENT | PW_PAGE_WRITTEN };
	struct masks anyof = { 0, 0, PW_PAGE_PRESENT | PW_PAGE_SWAPPED, PW_PAGE_PRESENT };
	char *la, *lb, *lc;
	size_t i;

	sp = t_space(0);
	have_raw = t_have_pagemap_scan();

	la = t_map(NPAGES);
	lb = t_map(NPAGES);
	madvise(la, NPAGES * PAGE, MADV_NOHUGEPAGE);
	madvise(lb, NPAGES * PAGE, MADV_NOHUGEPAGE);
	for (i = 0; i < NPAGES; i++) {
		if (i % 2 == 0)
			la[i * PAGE] = 1;
		if (i % 4 != 3)
			lb[i * PAGE] = 1;
	}

	check_layout_shapes(la, lb);

	case_all("A all", la, NPAGES, &all, 0, 0);
	case_all("A present", la, NPAGES, &present, 0, 0);
	case_all("A present return 0", la, NPAGES, &present_r0, 0, 0);
	case_all("A absent", la, NPAGES, &absent, 0, 0);
	case_all("B all", lb, NPAGES, &all, 0, 0);
	full_vec1 = 1;
	case_all("B present", lb, NPAGES, &present, 0, 0);
	full_vec1 = 0;
	case_all("B anyof", lb, NPAGES, &anyof, 0, 0);
	check_max_pages(lb);
	check_stop(lb);
	check_resume(la, NPAGES, &present, 1);
	check_errors(la);

	/* C: every other page written, a hole every eight pages, so hundreds
	 * of mappings (and each emulated scan reads them all again: the
	 * smallest buffers only over part of it). */
	lc = t_map(NPAGES);
	madvise(lc, NPAGES * PAGE, MADV_NOHUGEPAGE);
	for (i = 0; i < NPAGES; i += 2)
		lc[i * PAGE] = 1;
	for (i = 7; i < NPAGES; i += 8)
		munmap(lc + i * PAGE, PAGE);
	case_all("C all", lc, NPAGES, &all, 0, 0);
	case_all("C present", lc, NPAGES, &present, 0, 0);
	case_all("C present, 1024 pages", lc, 1024, &present_r0, 0, 0);
	/* Ranges that start and end inside holes and mappings. */
	case_all("C from a hole", lc + 7 * PAGE, 1000, &all, 0, 0);
	case_all("C unaligned end", lc + 3 * PAGE, 1000, &all, 0, 100);
	case_all("C unaligned end, max", lc + 3 * PAGE, 1000, &all, 999, PAGE - 1);
	check_resume(lc, 1024, &all, 0);

	t_unmap(la, NPAGES);
	t_unmap(lb, NPAGES);
	t_unmap(lc, NPAGES);
	pw_space_close(sp);
	t_done();
}
