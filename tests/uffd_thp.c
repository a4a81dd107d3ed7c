/* SPDX-License-Identifier: MIT */
/*
 * THP in a uffd watch (lesson 7): starting a watch splits every PMD-mapped
 * THP of the range to 4 KiB entries (PAGEMAP_SCAN finds no HUGE page
 * afterwards), keeps the data, and one write reports exactly one page:
 *   1. a fully written 4 MiB THP area, watched whole;
 *   2. a watch that starts and ends inside THPs;
 *   3. a never-touched MADV_HUGEPAGE area inside the watch: the first
 *      write after the start must not fault in a 2 MiB page.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "testlib.h"

#define N 1024			/* two 2 MiB blocks */

/* Pages of [m, m + n pages) in PMD-mapped THPs, as smaps counts them:
 * AnonHugePages of every mapping that overlaps the range (for kernels
 * without PAGEMAP_SCAN; the watch's madvise cuts mappings at its edges). */
static long smaps_huge_pages(const char *m, size_t n)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	unsigned long s, e, a = (unsigned long)(uintptr_t)m, z = a + n * PAGE;
	char line[512];
	long kb, total = 0;
	int in = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &s, &e) == 2 && strchr(line, '-') < strchr(line, ' '))
			in = s < z && a < e;
		else if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			total += kb / 4;
	}
	fclose(f);
	return total;
}

/* Pages of [m, m + n pages) that are PMD-mapped THP. */
static long huge_pages(const char *m, size_t n)
{
	struct pw_region v[64];
	struct pw_scan_arg a = t_arg(m, n, v, 64);
	long r, i, pages = 0;

	if (!t_have_pagemap_scan())
		return smaps_huge_pages(m, n);
	a.category_mask = a.return_mask = PW_PAGE_HUGE;
	r = t_raw_scan(-1, &a);
	if (r < 0)
		return r;
	for (i = 0; i < r; i++)
		pages += (long)((v[i].end - v[i].start) / PAGE);
	return pages;
}

static char *thp_area(void)
{
	char *m = t_map(N);
	size_t i;

	if (madvise(m, N * PAGE, MADV_HUGEPAGE))
		t_skip("MADV_HUGEPAGE: %s", strerror(errno));
	for (i = 0; i < N * PAGE; i++)
		m[i] = (char)(i % 251);
	if (huge_pages(m, N) != N)
		t_skip("no THP here (%ld huge pages of %d)", huge_pages(m, N), N);
	return m;
}

static int intact(const char *m, size_t from, size_t to)
{
	size_t i;

	for (i = from * PAGE; i < to * PAGE; i++)
		if (m[i] != (char)(i % 251))
			return 0;
	return 1;
}

static void whole(const struct t_uffd_cfg *c)
{
	char *m = thp_area();
	void *pages[N];
	struct pw_watch *w;
	size_t n;

	CHECK_EQ(t_uffd_start(&w, m, N * PAGE, c), 0);
	CHECK(huge_pages(m, N) == 0, "%s: %ld huge pages left after start", c->name,
	      huge_pages(m, N));
	CHECK(intact(m, 0, N), "%s: data changed by the split", c->name);
	CHECK_EQ(t_written(w, m, N * PAGE, pages, N), 0);
	m[700 * PAGE + 3] = 2;
	n = N;
	CHECK_EQ(pw_watch_get(w, m, N * PAGE, PW_WATCH_RESET, pages, &n), 0);
	CHECK(n == 1 && pages[0] == m + 700 * PAGE, "%s: whole: %zu pages", c->name, n);
	m[3 * PAGE] = 1;
	m[511 * PAGE + PAGE - 1] = 1;
	m[512 * PAGE] = 1;
	n = t_written(w, m, N * PAGE, pages, N);
	CHECK(n == 3 && pages[0] == m + 3 * PAGE && pages[1] == m + 511 * PAGE &&
	      pages[2] == m + 512 * PAGE, "%s: whole: %zu pages after three writes", c->name, n);
	pw_watch_stop(w);
	CHECK(intact(m, 513, 700) && intact(m, 701, N), "%s: data", c->name);
	t_unmap(m, N);
}

/* The watch [256, 768) begins and ends inside THPs: the THPs it touches are
 * split, the pages outside keep their data. */
static void partial(const struct t_uffd_cfg *c)
{
	char *m = thp_area();
	void *pages[N];
	struct pw_watch *w;
	size_t n;

	CHECK_EQ(t_uffd_start(&w, m + 256 * PAGE, 512 * PAGE, c), 0);
	CHECK(huge_pages(m + 256 * PAGE, 512) == 0, "%s: partial: HUGE left", c->name);
	CHECK(intact(m, 0, N), "%s: partial: data changed", c->name);
	m[10 * PAGE] = 1;		/* outside the watch */
	m[300 * PAGE] = 1;
	m[900 * PAGE] = 1;		/* outside */
	n = t_written(w, m + 256 * PAGE, 512 * PAGE, pages, N);
	CHECK(n == 1 && pages[0] == m + 300 * PAGE, "%s: partial: %zu pages", c->name, n);
	pw_watch_stop(w);
	t_unmap(m, N);
}

/* Untouched memory that asked for THP before the watch started. */
static void untouched(const struct t_uffd_cfg *c)
{
	char *m = t_map(N);
	void *pages[N];
	struct pw_watch *w;
	size_t n;

	if (madvise(m, N * PAGE, MADV_HUGEPAGE))
		t_skip("MADV_HUGEPAGE: %s", strerror(errno));
	m[0] = 1;			/* the first block only */
	CHECK_EQ(t_uffd_start(&w, m, N * PAGE, c), 0);
	CHECK(huge_pages(m, 512) == 0, "%s: untouched: the first block is still a THP", c->name);
	m[600 * PAGE + 5] = 1;
	CHECK(huge_pages(m + 512 * PAGE, 512) == 0, "%s: untouched: a write faulted in a THP",
	      c->name);
	n = t_written(w, m, N * PAGE, pages, N);
	CHECK(n == 1 && pages[0] == m + 600 * PAGE, "%s: untouched: %zu pages", c->name, n);
	CHECK_EQ(m[600 * PAGE + 6], 0);
	pw_watch_stop(w);
	t_unmap(m, N);
}

int main(void)
{
	size_t i, ran = 0;
	struct pw_watch *w;

	for (i = 0; i < T_N(t_uffd_cfgs); i++) {
		char *m = t_map(1);

		if (t_uffd_start(&w, m, PAGE, &t_uffd_cfgs[i]) == -EOPNOTSUPP) {
			fprintf(stderr, "%s: not available here\n", t_uffd_cfgs[i].name);
			t_unmap(m, 1);
			continue;
		}
		pw_watch_stop(w);
		t_unmap(m, 1);
		ran++;
		whole(&t_uffd_cfgs[i]);
		partial(&t_uffd_cfgs[i]);
		untouched(&t_uffd_cfgs[i]);
	}
	if (!ran)
		t_skip("no uffd write-watch backend on this kernel");
	t_done();
}
