/* SPDX-License-Identifier: MIT */
/*
 * S26: max_pages counts reported pages.  A run that would pass it is cut
 * to fit exactly and the walk stops there (walk_end = the cut).  Reaching
 * it exactly does not stop the walk: the next matching page does
 * (walk_end = that page), and when there is none the walk completes
 * (walk_end = end).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "testlib.h"

int main(void)
{
	struct pw_space *sp = t_space(0);
	char *p = t_map_small(2048), *q;
	struct pw_region vec[16];
	struct pw_scan_arg a;

	/* The kernel's example: 1000 written pages, max_pages 1. */
	t_write_pages(p, 0, 1000);
	{
		struct pw_region exp[] = { T_R(p, 0, 1, T_P | T_W) };

		a = t_arg(p, 1000, vec, 16);
		a.max_pages = 1;
		a.return_mask = T_P | T_W;
		t_expect(sp, &a, 1, exp, 1, T_PG(p, 1));
	}
	/* A run passing the limit is cut exactly, across a 2 MiB boundary. */
	{
		struct pw_region exp[] = { T_R(p, 0, 700, T_P | T_W) };

		a = t_arg(p, 1000, vec, 16);
		a.max_pages = 700;
		a.return_mask = T_P | T_W;
		t_expect(sp, &a, 1, exp, 1, T_PG(p, 700));
	}
	/* Starting mid-run. */
	{
		struct pw_region exp[] = { T_R(p, 300, 305, T_P | T_W) };

		a = t_arg(p + 300 * PAGE, 700, vec, 16);
		a.max_pages = 5;
		a.return_mask = T_P | T_W;
		t_expect(sp, &a, 1, exp, 1, T_PG(p, 305));
	}

	/*
	 * q: 0-9 written, 10-19 dropped, 20-29 written, 30-39 read (zero
	 * page), 40-511 empty.  Present pages: 0-9, 20-39.
	 */
	q = p + 1024 * PAGE;
	t_write_pages(q, 0, 30);
	t_dontneed(q, 10, 20);
	t_read_pages(q, 30, 40);
	/* Exactly reached at the end of a run: the walk goes on to the next
	 * match, page 20, and stops there. */
	{
		struct pw_region exp[] = { T_R(q, 0, 10, T_P) };

		a = t_arg(q, 64, vec, 16);
		a.category_mask = T_P;
		a.return_mask = T_P;
		a.max_pages = 10;
		t_expect(sp, &a, 1, exp, 1, T_PG(q, 20));
	}
	/* Exactly reached, nothing matches after: walk_end = end. */
	{
		struct pw_region exp[] = { T_R(q, 0, 10, T_P) };

		a = t_arg(q, 20, vec, 16);
		a.category_mask = T_P;
		a.return_mask = T_P;
		a.max_pages = 10;
		t_expect(sp, &a, 1, exp, 1, T_PG(q, 20));
		a = t_arg(q, 64, vec, 16);
		a.category_mask = T_P;
		a.category_inverted = T_P;
		a.return_mask = T_P;
		a.max_pages = 64 - 30;
		{
			struct pw_region e2[] = { T_R(q, 10, 20, 0), T_R(q, 40, 64, 0) };

			t_expect(sp, &a, 2, e2, 2, T_PG(q, 64));
		}
	}
	/* Exactly reached where the next page would have joined the region
	 * (equal categories): the walk stops at that page all the same. */
	{
		struct pw_region exp[] = { T_R(q, 20, 25, T_P) };

		a = t_arg(q + 20 * PAGE, 20, vec, 16);
		a.category_mask = T_P;
		a.return_mask = T_P;
		a.max_pages = 5;
		t_expect(sp, &a, 1, exp, 1, T_PG(q, 25));
	}
	/* Cut in the second run: regions of different categories, the last
	 * one cut. */
	{
		uint64_t z = pw_space_categories(sp) & T_Z;
		struct pw_region exp[] = { T_R(q, 0, 10, T_P), T_R(q, 20, 30, T_P),
					   T_R(q, 30, 33, T_P | z) };

		a = t_arg(q, 64, vec, 16);
		a.category_mask = T_P;
		a.return_mask = T_P | z;
		a.max_pages = 23;
		if (z) {
			t_expect(sp, &a, 3, exp, 3, T_PG(q, 33));
		} else {
			struct pw_region e2[] = { T_R(q, 0, 10, T_P), T_R(q, 20, 33, T_P) };

			t_expect(sp, &a, 2, e2, 2, T_PG(q, 33));
		}
	}
	/* Exactly reached at a category change inside one run of matches:
	 * 20 PRESENT pages, then the next match (page 30, zero page) stops. */
	{
		struct pw_region exp[] = { T_R(q, 0, 10, T_P), T_R(q, 20, 30, T_P) };

		a = t_arg(q, 64, vec, 16);
		a.category_mask = T_P;
		a.return_mask = T_P | (pw_space_categories(sp) & T_Z);
		a.max_pages = 20;
		t_expect(sp, &a, 2, exp, 2, T_PG(q, 30));
	}
	/* A limit above the matches: no effect. */
	{
		struct pw_region exp[] = { T_R(q, 0, 10, T_P), T_R(q, 20, 40, T_P) };

		a = t_arg(q, 64, vec, 16);
		a.category_mask = T_P;
		a.return_mask = T_P;
		a.max_pages = 31;
		t_expect(sp, &a, 2, exp, 2, T_PG(q, 64));
		a.max_pages = UINT64_MAX;
		a.walk_end = 0;
		t_expect(sp, &a, 2, exp, 2, T_PG(q, 64));
	}
	/* Together with a small vec: whichever comes first. */
	{
		struct pw_region exp[] = { T_R(q, 0, 10, T_P) };

		a = t_arg(q, 64, vec, 1);
		a.category_mask = T_P;
		a.return_mask = T_P;
		a.max_pages = 15;
		t_expect(sp, &a, 1, exp, 1, T_PG(q, 20));	/* vec full first */
		a = t_arg(q, 64, vec, 1);
		a.category_mask = T_P;
		a.return_mask = T_P;
		a.max_pages = 4;
		exp[0].end = T_PG(q, 4);
		t_expect(sp, &a, 1, exp, 1, T_PG(q, 4));	/* the limit first */
	}
	pw_space_close(sp);
	t_done();
}
