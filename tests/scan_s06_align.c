/* SPDX-License-Identifier: MIT */
/*
 * S6: start must be page-aligned (EINVAL); end need not be: it is rounded
 * up to the next page, which shows in the regions and in walk_end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "testlib.h"

int main(void)
{
	struct pw_space *sp = t_space(0);
	char *p = t_map_small(512);
	struct pw_region vec[8];
	struct pw_scan_arg a;
	static const uint64_t offs[] = { 1, 8, 2048, PAGE - 1 };
	size_t i;

	/* pages 0-3 written, the rest of the block empty (WRITTEN, S18) */
	t_write_pages(p, 0, 4);

	for (i = 0; i < T_N(offs); i++) {
		a = t_arg(p, 8, vec, 8);
		a.start += offs[i];
		a.return_mask = T_P;
		CHECK(t_scan_err(sp, &a) == -EINVAL, "start +%llu", (unsigned long long)offs[i]);
		/* Even for an empty range. */
		a = t_arg(p, 0, vec, 8);
		a.start += offs[i];
		a.end = a.start;
		CHECK(t_scan_err(sp, &a) == -EINVAL, "start = end +%llu",
		      (unsigned long long)offs[i]);
	}

	/* end one byte into page 2: pages 0-2. */
	{
		struct pw_region exp[] = { T_R(p, 0, 3, T_P | T_W) };

		a = t_arg(p, 2, vec, 8);
		a.end += 1;
		a.return_mask = T_P | T_W;
		t_expect(sp, &a, 1, exp, 1, T_PG(p, 3));
		CHECK_EQ(a.end, T_PG(p, 2) + 1);	/* not written back */
	}
	/* end one byte short of page 3: pages 0-2. */
	{
		struct pw_region exp[] = { T_R(p, 0, 3, T_P | T_W) };

		a = t_arg(p, 3, vec, 8);
		a.end -= 1;
		a.return_mask = T_P | T_W;
		t_expect(sp, &a, 1, exp, 1, T_PG(p, 3));
	}
	/* end = start + 1: one page. */
	{
		struct pw_region exp[] = { T_R(p, 0, 1, T_P | T_W) };

		a = t_arg(p, 0, vec, 8);
		a.end += 1;
		a.return_mask = T_P | T_W;
		t_expect(sp, &a, 1, exp, 1, T_PG(p, 1));
	}
	/* The rounded-up page is an empty one: it shows as its own region. */
	{
		struct pw_region exp[] = { T_R(p, 0, 4, T_P | T_W), T_R(p, 4, 5, T_W) };

		a = t_arg(p, 4, vec, 8);
		a.end += PAGE - 1;
		a.return_mask = T_P | T_W;
		t_expect(sp, &a, 2, exp, 2, T_PG(p, 5));
	}
	/* Rounded up inside a range that matches nothing: walk_end still rounded. */
	a = t_arg(p + 8 * PAGE, 3, vec, 8);
	a.end += 100;
	a.category_mask = T_P;
	t_expect(sp, &a, 0, NULL, 0, T_PG(p, 12));
	pw_space_close(sp);
	t_done();
}
