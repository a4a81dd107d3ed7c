/* SPDX-License-Identifier: MIT */
/*
 * S12: addresses no mapping covers are never reported -- not with all
 * masks 0, not with every category inverted -- are never an error, and
 * split what would otherwise be one region.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "testlib.h"

int main(void)
{
	struct pw_space *sp = t_space(0);
	uint64_t claimed = pw_space_categories(sp);
	uint64_t z = claimed & T_Z;
	char *p = t_map_small(1024);
	struct pw_region vec[16];
	struct pw_scan_arg a;

	/*
	 * Block 0: 0-3 written, 4-5 gap, 6-7 read (zero page), 8 gap,
	 * 9-511 never touched (empty entries of a populated block: WRITTEN).
	 * Block 1 (512-1023): never touched, no page table; gap at 600-609.
	 */
	t_write_pages(p, 0, 4);
	t_read_pages(p, 6, 8);
	CHECK_EQ(munmap(p + 4 * PAGE, 2 * PAGE), 0);
	CHECK_EQ(munmap(p + 8 * PAGE, PAGE), 0);
	CHECK_EQ(munmap(p + 600 * PAGE, 10 * PAGE), 0);

	/* All masks 0, return 0: one region per mapped run. */
	{
		struct pw_region exp[] = { T_R(p, 0, 4, 0), T_R(p, 6, 8, 0), T_R(p, 9, 16, 0) };

		a = t_arg(p, 16, vec, 16);
		t_expect(sp, &a, 3, exp, 3, T_PG(p, 16));
	}
	/* All masks 0, categories returned. */
	{
		struct pw_region exp[] = { T_R(p, 0, 4, T_P | T_W), T_R(p, 6, 8, T_P | T_W | z),
					   T_R(p, 9, 16, T_W) };

		a = t_arg(p, 16, vec, 16);
		a.return_mask = T_P | T_W | T_S | z;
		t_expect(sp, &a, 3, exp, 3, T_PG(p, 16));
	}
	/* Every claimed category inverted and required: only pages with no
	 * category at all match -- the untouched block, never the gaps.
	 * (Not SOFT_DIRTY: where the kernel has it, a new mapping is
	 * soft-dirty as a whole.) */
	{
		struct pw_region exp[] = { T_R(p, 512, 600, 0), T_R(p, 610, 1024, 0) };

		a = t_arg(p, 1024, vec, 16);
		a.category_inverted = a.category_mask = claimed & ~T_D;
		a.return_mask = claimed & ~T_D;
		t_expect(sp, &a, 2, exp, 2, T_PG(p, 1024));
	}
	/* Not present: pages 9-15 only; the gaps at 4-5 and 8 are not "not present". */
	{
		struct pw_region exp[] = { T_R(p, 9, 16, T_W) };

		a = t_arg(p, 16, vec, 16);
		a.category_inverted = a.category_mask = T_P;
		a.return_mask = T_P | T_W;
		t_expect(sp, &a, 1, exp, 1, T_PG(p, 16));
	}
	/* Inversion through anyof: not present, or the zero page. */
	{
		struct pw_region exp[] = { T_R(p, 6, 8, T_P | T_W), T_R(p, 9, 16, T_W) };

		a = t_arg(p, 16, vec, 16);
		a.category_inverted = T_P;
		a.category_anyof_mask = T_P | z;
		a.return_mask = T_P | T_W;
		if (z)
			t_expect(sp, &a, 2, exp, 2, T_PG(p, 16));
		else
			t_expect(sp, &a, 1, exp + 1, 1, T_PG(p, 16));
	}
	/* Ranges entirely inside a gap: 0, walk_end = end. */
	a = t_arg(p + 4 * PAGE, 2, vec, 16);
	t_expect(sp, &a, 0, NULL, 0, T_PG(p, 6));
	a = t_arg(p + 8 * PAGE, 1, vec, 16);
	a.category_inverted = claimed;
	t_expect(sp, &a, 0, NULL, 0, T_PG(p, 9));
	a = t_arg(p + 600 * PAGE, 10, vec, 16);
	a.end -= 100;	/* rounded up, still in the gap */
	t_expect(sp, &a, 0, NULL, 0, T_PG(p, 610));
	/* Starting in a gap, ending in one. */
	{
		struct pw_region exp[] = { T_R(p, 6, 8, T_P | T_W) };

		a = t_arg(p + 4 * PAGE, 5, vec, 16);
		a.return_mask = T_P | T_W;
		t_expect(sp, &a, 1, exp, 1, T_PG(p, 9));
	}
	{
		struct pw_region exp[] = { T_R(p, 2, 4, T_P | T_W) };

		a = t_arg(p + 2 * PAGE, 3, vec, 16);
		a.return_mask = T_P | T_W;
		t_expect(sp, &a, 1, exp, 1, T_PG(p, 5));
	}
	/* Gaps do not count towards max_pages: 4 + 2 pages reach 6 exactly,
	 * and the walk stops at the next match, page 9. */
	{
		struct pw_region exp[] = { T_R(p, 0, 4, 0), T_R(p, 6, 8, 0) };

		a = t_arg(p, 16, vec, 16);
		a.max_pages = 6;
		t_expect(sp, &a, 2, exp, 2, T_PG(p, 9));
	}
	/* A gap ends a region even when the vec is full: walk_end is the
	 * next match after the gap. */
	{
		struct pw_region exp[] = { T_R(p, 0, 4, 0) };

		a = t_arg(p, 16, vec, 1);
		t_expect(sp, &a, 1, exp, 1, T_PG(p, 6));
	}
	pw_space_close(sp);
	t_done();
}
