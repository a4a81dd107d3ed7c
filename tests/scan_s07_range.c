/* SPDX-License-Identifier: MIT */
/*
 * S7: [start, end) must be a valid user range: end below start, or above
 * the top of user space (0x7ffffffff000 with 4-level paging), is EFAULT.
 * end exactly at the top is valid.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "testlib.h"

int main(void)
{
	struct pw_space *sp = t_space(0);
	uint64_t top = t_user_top();
	char *p = t_map_small(512);
	struct pw_region vec[64];
	struct pw_scan_arg a;
	long r;

	t_write_pages(p, 0, 4);
	if (t_have_pagemap_scan()) {
		/* The kernel's own top agrees with t_user_top. */
		a = t_arg(NULL, 0, NULL, 0);
		a.start = a.end = top;
		CHECK_EQ(t_raw_scan(-1, &a), 0);
		a.start = a.end = top + PAGE;
		CHECK_EQ(t_raw_scan(-1, &a), -EFAULT);
	}

	/* end below start. */
	{
		uint64_t ends[] = { T_PG(p, 4) - PAGE * 5, T_PG(p, 4) - 1, T_PG(p, 3) + 1, 0 };
		size_t i;

		for (i = 0; i < T_N(ends); i++) {
			a = t_arg(p + 4 * PAGE, 0, vec, 64);
			a.end = ends[i];
			a.return_mask = T_P;
			CHECK(t_scan_err(sp, &a) == -EFAULT, "end = start - %llu",
			      (unsigned long long)(a.start - ends[i]));
		}
	}
	/* end above the top. */
	{
		/* 0xc00000000000 is above the top only with 4-level paging. */
		uint64_t ends[] = { top + 1, top + PAGE, (top + PAGE) | (top + PAGE) >> 1,
				    1ULL << 56, 1ULL << 63, UINT64_MAX - PAGE + 2, UINT64_MAX };
		size_t i;

		for (i = 0; i < T_N(ends); i++) {
			a = t_arg(p, 0, vec, 64);
			a.end = ends[i];
			a.return_mask = T_P;
			CHECK(t_scan_err(sp, &a) == -EFAULT, "end 0x%llx",
			      (unsigned long long)ends[i]);
		}
		/* start above the top too (an empty range up there). */
		a = t_arg(NULL, 0, vec, 64);
		a.start = a.end = top + PAGE;
		CHECK_EQ(t_scan_err(sp, &a), -EFAULT);
		a.start = a.end = 1ULL << 63;
		CHECK_EQ(t_scan_err(sp, &a), -EFAULT);
	}
	/* end == top: valid. From our pages to the top, counting nothing. */
	a = t_arg(p, 0, NULL, 0);
	a.end = top;
	a.return_mask = T_P;
	t_expect(sp, &a, 0, NULL, 0, top);
	/* ...and reporting: the last 16 pages below the top hold nothing of
	 * ours; whatever is there (usually nothing), both answers agree. */
	a = t_arg(NULL, 0, vec, 64);
	a.start = top - 16 * PAGE;
	a.end = top;
	a.category_mask = T_P;
	a.return_mask = T_P;
	r = t_scan(sp, &a);
	CHECK(r >= 0, "scan to the top: %ld", r);
	CHECK_EQ(a.walk_end, top);
	/* ...and an unaligned end rounded up to exactly the top. */
	a = t_arg(NULL, 0, vec, 64);
	a.start = top - 16 * PAGE;
	a.end = top - 1;
	a.category_mask = T_P;
	r = t_scan(sp, &a);
	CHECK(r >= 0, "scan to the top - 1: %ld", r);
	CHECK_EQ(a.walk_end, top);
	/* start == end == top. */
	a = t_arg(NULL, 0, vec, 64);
	a.start = a.end = top;
	t_expect(sp, &a, 0, NULL, 0, top);
	/* A valid range just below, with our pages: still exact. */
	{
		struct pw_region exp[] = { T_R(p, 0, 4, T_P | T_W) };

		a = t_arg(p, 6, vec, 64);
		a.category_mask = T_P;
		a.return_mask = T_P | T_W;
		t_expect(sp, &a, 1, exp, 1, T_PG(p, 6));
	}
	pw_space_close(sp);
	t_done();
}
