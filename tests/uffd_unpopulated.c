/* SPDX-License-Identifier: MIT */
/*
 * Pages without a page of their own: never touched, the shared zero page
 * (read only), dropped with MADV_DONTNEED.  A first write to any of them
 * is reported, with WP_UNPOPULATED markers (uffd-async, uffd-sync on 6.4+)
 * and on uffd-sync's prefault path (PAGEWATCH_UFFD_PREFAULT=1, the only
 * path before 6.4), where pagewatch reads pages to give them entries.
 *
 * A page dropped with MADV_DONTNEED counts as written on both backends
 * (S36: the kernel keeps no protection for a dropped anonymous page, and
 * PAGEMAP_SCAN reports the empty entry WRITTEN; uffd-sync reads the same
 * from pagemap's uffd-wp bit), whether it was clean or written before, and
 * is tracked again once reported.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "testlib.h"

#define N 32

/* get (with flags) returns exactly the one page p, or none when !p. */
static void expect(const struct t_uffd_cfg *c, const char *what, struct pw_watch *w, char *m,
		   unsigned flags, const char *p)
{
	void *pages[N];
	size_t n = N;
	int r = pw_watch_get(w, m, N * PAGE, flags, pages, &n);

	CHECK(r == 0, "%s: %s: pw_watch_get %d", c->name, what, r);
	if (p)
		CHECK(n == 1 && pages[0] == p, "%s: %s: %zu pages, first +%ld", c->name, what,
		      n, n ? (long)(((char *)pages[0] - m) / (long)PAGE) : -1L);
	else
		CHECK(n == 0, "%s: %s: %zu pages, expected none", c->name, what, n);
}

static void one(const struct t_uffd_cfg *c)
{
	char *m = t_map(N), before;
	struct pw_watch *w;

	memset(m, 'a', 8 * PAGE);		/* [0, 8) populated */
	before = m[20 * PAGE];			/* 20: the zero page before */
	CHECK_EQ(before, 0);
	CHECK_EQ(t_uffd_start(&w, m, N * PAGE, c), 0);
	expect(c, "fresh", w, m, 0, NULL);

	m[12 * PAGE + 5] = 1;
	expect(c, "never touched", w, m, PW_WATCH_RESET, m + 12 * PAGE);
	CHECK_EQ(m[21 * PAGE], 0);		/* a read after the start */
	expect(c, "a read of a never-touched page", w, m, 0, NULL);
	m[21 * PAGE] = 1;
	expect(c, "zero page read after the start", w, m, PW_WATCH_RESET, m + 21 * PAGE);
	m[20 * PAGE] = 1;
	expect(c, "zero page read before the start", w, m, PW_WATCH_RESET, m + 20 * PAGE);

	/* Written, dropped, reported: then tracked again. */
	m[3 * PAGE] = 'b';
	t_dontneed(m, 3, 4);
	expect(c, "written then dropped", w, m, PW_WATCH_RESET, m + 3 * PAGE);
	CHECK_EQ(m[3 * PAGE], 0);
	expect(c, "a read of the dropped page", w, m, 0, NULL);
	m[3 * PAGE + 1] = 'c';
	expect(c, "the dropped page written again", w, m, PW_WATCH_RESET, m + 3 * PAGE);

	/* Clean, dropped: that counts as a write, and the page is tracked
	 * again once reported. */
	t_dontneed(m, 5, 6);
	expect(c, "dropping a clean page", w, m, PW_WATCH_RESET, m + 5 * PAGE);
	CHECK_EQ(m[5 * PAGE], 0);
	m[5 * PAGE] = 'd';
	expect(c, "a clean dropped page written", w, m, PW_WATCH_RESET, m + 5 * PAGE);
	CHECK_EQ(m[6 * PAGE], 'a');

	/* Clean, dropped and written before anyone asks. */
	t_dontneed(m, 6, 7);
	m[6 * PAGE + 2] = 'e';
	expect(c, "dropped then written", w, m, PW_WATCH_RESET, m + 6 * PAGE);
	m[6 * PAGE + 3] = 'f';
	expect(c, "and written again", w, m, 0, m + 6 * PAGE);
	CHECK(m[6 * PAGE] == 0 && m[6 * PAGE + 2] == 'e', "%s: contents", c->name);
	pw_watch_stop(w);
	t_unmap(m, N);
}

int main(void)
{
	size_t i, ran = 0;
	struct pw_watch *w;
	char *m = t_map(1);

	for (i = 0; i < T_N(t_uffd_cfgs); i++) {
		if (t_uffd_start(&w, m, PAGE, &t_uffd_cfgs[i])) {
			fprintf(stderr, "%s: not available here\n", t_uffd_cfgs[i].name);
			continue;
		}
		pw_watch_stop(w);
		one(&t_uffd_cfgs[i]);
		ran++;
	}
	if (!ran)
		t_skip("no uffd write-watch backend on this kernel");
	t_done();
}
