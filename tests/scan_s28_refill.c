/* SPDX-License-Identifier: MIT */
/*
 * S28, the kernel's refill quirk: the kernel gathers regions in a bounce
 * buffer of min(512, vec_len) entries.  When it fills, the walk stops with
 * walk_end = the address that did not fit, the buffer is copied out, and
 * the walk restarts there.  A walk that then completes keeps that
 * walk_end: with more than 512 regions and room for all of them, walk_end
 * is the start of the region that began the last refill -- not end.
 * pw_scan must reproduce the kernel's walk_end exactly.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "testlib.h"

static struct pw_region vec[4000];

static void check(struct pw_space *sp, char *p, size_t pages, uint64_t mask,
		  uint64_t vec_len, uint64_t max_pages, long ret, uint64_t walk_end_page,
		  int line)
{
	struct pw_scan_arg a = t_arg(p, pages, vec, vec_len);
	long r;

	a.category_mask = mask;
	a.return_mask = T_P | T_W;
	a.max_pages = max_pages;
	r = t_scan_at(__FILE__, line, sp, &a);
	CHECK(r == ret, "line %d: %ld regions, expected %ld", line, r, ret);
	CHECK(a.walk_end == T_PG(p, walk_end_page), "line %d: walk_end at page %lld, expected %llu",
	      line, (long long)(a.walk_end - T_PG(p, 0)) / (long long)PAGE,
	      (unsigned long long)walk_end_page);
}

#define CHECK_SCAN(pages, mask, len, max, ret, we) \
	check(sp, p, (pages), (mask), (len), (max), (ret), (we), __LINE__)

int main(void)
{
	struct pw_space *sp = t_space(0);
	char *p = t_map_small(6144);
	size_t i;

	/* Every other page written: with return P|W every page is a region
	 * of its own (PW, W, PW ...); with mask P, every even page is. */
	for (i = 0; i < 6000; i += 2)
		t_write_pages(p, i, i + 1);

	/* 3000 regions, room for 4000: refills at 512, 1024 ... 2560. */
	CHECK_SCAN(3000, 0, 4000, 0, 3000, 2560);
	/* The regions themselves are all there. */
	CHECK(vec[0].start == T_PG(p, 0) && vec[2999].end == T_PG(p, 3000) &&
	      vec[2999].categories == T_W && vec[2560].start == T_PG(p, 2560),
	      "regions");
	/* Room for exactly 3000: the same. */
	CHECK_SCAN(3000, 0, 3000, 0, 3000, 2560);
	/* One short: the last region does not fit; walk_end = its start. */
	CHECK_SCAN(3000, 0, 2999, 0, 2999, 2999);
	/* 512 regions: no refill, walk_end = end. */
	CHECK_SCAN(512, 0, 4000, 0, 512, 512);
	CHECK_SCAN(511, 0, 4000, 0, 511, 511);
	/* 513: one refill, at region 512. */
	CHECK_SCAN(513, 0, 4000, 0, 513, 512);
	/* 1024 in 1024: refill at 512 only. */
	CHECK_SCAN(1024, 0, 1024, 0, 1024, 512);
	/* 600 regions, room for 513: refill at 512, then full at 513. */
	CHECK_SCAN(600, 0, 513, 0, 513, 513);
	/* 1025 regions, room for 2000: refills at 512 and 1024. */
	CHECK_SCAN(1025, 0, 2000, 0, 1025, 1024);
	/* max_pages reached exactly decides instead: the next match. */
	CHECK_SCAN(3000, 0, 4000, 2600, 2600, 2600);
	/* ...or cut (here the limit falls on a refill point). */
	CHECK_SCAN(3000, 0, 4000, 1024, 1024, 1024);
	/* vec_len 512 or less: never a refill. */
	CHECK_SCAN(3000, 0, 512, 0, 512, 512);
	CHECK_SCAN(3000, 0, 100, 0, 100, 100);
	/* Sparse: 3000 present pages among 6000, mask PRESENT: the region
	 * that began the last refill is number 2560, at page 5120. */
	CHECK_SCAN(6000, T_P, 4000, 0, 3000, 5120);
	CHECK_SCAN(6000, T_P, 3001, 0, 3000, 5120);
	CHECK_SCAN(6000, T_P, 2999, 0, 2999, 5998);
	/* Sparse, up to the end of the mapping: the same. */
	CHECK_SCAN(6144, T_P, 4000, 0, 3000, 5120);
	pw_space_close(sp);
	t_done();
}
