/* SPDX-License-Identifier: MIT */
/*
 * S23: the categories reported are categories & return_mask -- the page's
 * own categories, never the inverted ones used for matching.
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
	char *p = t_map_small(512);
	struct pw_region vec[16];
	struct pw_scan_arg a;

	/* 0-1 written, 2-3 read (zero page), 4-7 empty (WRITTEN) */
	t_write_pages(p, 0, 2);
	t_read_pages(p, 2, 4);

	/* Each return mask filters the same pages' categories. */
	{
		struct pw_region e_all[] = { T_R(p, 0, 2, T_P | T_W), T_R(p, 2, 4, T_P | T_W | z),
					     T_R(p, 4, 8, T_W) };
		struct pw_region e_p[] = { T_R(p, 0, 4, T_P), T_R(p, 4, 8, 0) };
		struct pw_region e_w[] = { T_R(p, 0, 8, T_W) };
		struct pw_region e_s[] = { T_R(p, 0, 8, 0) };

		struct pw_region e_pw[] = { T_R(p, 0, 4, T_P | T_W), T_R(p, 4, 8, T_W) };

		if (z) {
			a = t_arg(p, 8, vec, 16);
			a.return_mask = T_P | T_W | T_Z;
			t_expect(sp, &a, 3, e_all, 3, T_PG(p, 8));
		}
		/* Without PFNZERO the zero pages join the written ones. */
		a = t_arg(p, 8, vec, 16);
		a.return_mask = T_P | T_W;
		t_expect(sp, &a, 2, e_pw, 2, T_PG(p, 8));
		a = t_arg(p, 8, vec, 16);
		a.return_mask = T_P;
		t_expect(sp, &a, 2, e_p, 2, T_PG(p, 8));
		a = t_arg(p, 8, vec, 16);
		a.return_mask = T_W;
		t_expect(sp, &a, 1, e_w, 1, T_PG(p, 8));
		/* A category no page has: 0 everywhere. */
		a = t_arg(p, 8, vec, 16);
		a.return_mask = T_S;
		t_expect(sp, &a, 1, e_s, 1, T_PG(p, 8));
		/* Every claimed bit (but SOFT_DIRTY, which a new mapping has
		 * as a whole where the kernel supports it): just the
		 * categories the pages have. */
		a = t_arg(p, 8, vec, 16);
		a.return_mask = claimed & ~T_D;
		if (z)
			t_expect(sp, &a, 3, e_all, 3, T_PG(p, 8));
		else
			t_expect(sp, &a, 2, e_pw, 2, T_PG(p, 8));
	}
	/* Inversion matches non-present pages but reports what they are:
	 * WRITTEN, not PRESENT. */
	{
		struct pw_region exp[] = { T_R(p, 4, 8, T_W) };

		a = t_arg(p, 8, vec, 16);
		a.category_inverted = a.category_mask = T_P;
		a.return_mask = T_P | T_W;
		t_expect(sp, &a, 1, exp, 1, T_PG(p, 8));
		/* Every claimed bit inverted, nothing required: the inversion
		 * never shows. */
		a = t_arg(p, 8, vec, 16);
		a.category_inverted = claimed;
		a.return_mask = T_P | T_W;
		{
			struct pw_region e2[] = { T_R(p, 0, 4, T_P | T_W), T_R(p, 4, 8, T_W) };

			t_expect(sp, &a, 2, e2, 2, T_PG(p, 8));
		}
	}
	/* Not the zero page among the present ones: pages 0-1, reported
	 * without PFNZERO, which they lack, and with it asked for. */
	if (z) {
		struct pw_region exp[] = { T_R(p, 0, 2, T_P | T_W) };

		a = t_arg(p, 8, vec, 16);
		a.category_inverted = T_Z;
		a.category_mask = T_P | T_Z;
		a.return_mask = T_P | T_W | T_Z;
		t_expect(sp, &a, 1, exp, 1, T_PG(p, 8));
	}
	/* return_mask 0: matches still reported, categories 0. */
	{
		struct pw_region exp[] = { T_R(p, 0, 4, 0) };

		a = t_arg(p, 8, vec, 16);
		a.category_mask = T_P;
		t_expect(sp, &a, 1, exp, 1, T_PG(p, 8));
	}
	pw_space_close(sp);
	t_done();
}
