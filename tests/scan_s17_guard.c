/* SPDX-License-Identifier: MIT */
/*
 * S17: a non-present, non-empty entry is SWAPPED and WRITTEN; a guard
 * marker (MADV_GUARD_INSTALL, 6.13+) is also GUARD (6.16+):
 * SWAPPED|WRITTEN|GUARD.  A marker fills the page table, so the empty
 * entries around it are WRITTEN (S18).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "testlib.h"

#define GUARD_INSTALL 102
#define GUARD_REMOVE 103

int main(void)
{
	struct pw_space *sp = t_space(0);
	uint64_t claimed = pw_space_categories(sp);
	uint64_t rm = T_P | T_W | T_S | T_G;
	char *p = t_map_small(1024);
	struct pw_region vec[16];
	struct pw_scan_arg a;

	/* Block 0: 0 written, 1 guard, 2 written, 3-511 empty.
	 * Block 1: only a guard page at 600. */
	t_write_pages(p, 0, 1);
	t_write_pages(p, 2, 3);
	if (madvise(p + PAGE, PAGE, GUARD_INSTALL)) {
		if (errno == EINVAL)
			t_skip("MADV_GUARD_INSTALL not supported (kernel < 6.13)");
		perror("madvise(MADV_GUARD_INSTALL)");
		return 1;
	}
	CHECK_EQ(madvise(p + 600 * PAGE, PAGE, GUARD_INSTALL), 0);
	if (!(claimed & T_G)) {
		/* The backend cannot tell guard pages: it says so. */
		a = t_arg(p, 4, vec, 16);
		a.return_mask = rm;
		CHECK_EQ(pw_scan(sp, &a), -EOPNOTSUPP);
		a = t_arg(p, 4, vec, 16);
		a.category_mask = T_G;
		CHECK_EQ(pw_scan(sp, &a), -EOPNOTSUPP);
		rm &= ~T_G;
	}

	{
		struct pw_region exp[] = {
			T_R(p, 0, 1, T_P | T_W), T_R(p, 1, 2, (T_S | T_W | T_G) & rm),
			T_R(p, 2, 3, T_P | T_W), T_R(p, 3, 4, T_W),
		};

		a = t_arg(p, 4, vec, 16);
		a.return_mask = rm;
		t_expect(sp, &a, 4, exp, 4, T_PG(p, 4));
	}
	/* The guard page alone in its block: it populates the page table. */
	{
		struct pw_region exp[] = {
			T_R(p, 598, 600, T_W), T_R(p, 600, 601, (T_S | T_W | T_G) & rm),
			T_R(p, 601, 603, T_W),
		};

		a = t_arg(p + 598 * PAGE, 5, vec, 16);
		a.return_mask = rm;
		t_expect(sp, &a, 3, exp, 3, T_PG(p, 603));
	}
	/* Asked for by category. */
	{
		struct pw_region exp[] = { T_R(p, 1, 2, T_S | T_G), T_R(p, 600, 601, T_S | T_G) };

		a = t_arg(p, 1024, vec, 16);
		a.category_mask = T_S;
		a.return_mask = T_S | (rm & T_G);
		exp[0].categories &= a.return_mask;
		exp[1].categories &= a.return_mask;
		t_expect(sp, &a, 2, exp, 2, T_PG(p, 1024));
		if (rm & T_G) {
			a = t_arg(p, 1024, vec, 16);
			a.category_mask = T_G;
			a.return_mask = T_G;
			exp[0].categories = exp[1].categories = T_G;
			t_expect(sp, &a, 2, exp, 2, T_PG(p, 1024));
			/* Not GUARD but SWAPPED: none. */
			a = t_arg(p, 1024, vec, 16);
			a.category_mask = T_S | T_G;
			a.category_inverted = T_G;
			t_expect(sp, &a, 0, NULL, 0, T_PG(p, 1024));
		}
	}
	/* Removed: an empty entry again (WRITTEN, the table stays). */
	CHECK_EQ(madvise(p + PAGE, PAGE, GUARD_REMOVE), 0);
	{
		struct pw_region exp[] = { T_R(p, 0, 1, T_P | T_W), T_R(p, 1, 2, T_W),
					   T_R(p, 2, 3, T_P | T_W) };

		a = t_arg(p, 3, vec, 16);
		a.return_mask = rm;
		t_expect(sp, &a, 3, exp, 3, T_PG(p, 3));
	}
	pw_space_close(sp);
	t_done();
}
