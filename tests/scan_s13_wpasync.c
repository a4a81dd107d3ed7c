/* SPDX-License-Identifier: MIT */
/*
 * S13 without userfaultfd: no mapping is WP-allowed.  CHECK_WPASYNC fails
 * with EPERM at the first mapping of the range (not for gaps, not for an
 * empty range); WP_MATCHING silently skips every mapping; a query that
 * requires WPALLOWED skips every mapping.  The emulation reports
 * WPALLOWED only where it can know it (no WP_ASYNC on the kernel): where
 * it claims the category it answers as the kernel, else -EOPNOTSUPP.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "testlib.h"

int main(void)
{
	struct pw_space *sp = t_space(0);
	int native = !strcmp(pw_space_backend(sp), "native");
	int wp_known = !!(pw_space_categories(sp) & T_A);
	char *p = t_map_small(512);
	struct pw_region vec[8];
	struct pw_scan_arg a;

	t_write_pages(p, 0, 4);
	CHECK_EQ(munmap(p + 8 * PAGE, 8 * PAGE), 0);	/* gap at 8-15 */
	CHECK(native ? wp_known : 1, "native backend without WPALLOWED");

	/* CHECK_WPASYNC on a normal mapping. */
	a = t_arg(p, 8, vec, 8);
	a.flags = PW_SCAN_CHECK_WPASYNC;
	a.return_mask = T_P | T_W;
	if (wp_known) {
		CHECK_EQ(t_scan_err(sp, &a), -EPERM);
		/* Even when no page would match. */
		a = t_arg(p, 8, vec, 8);
		a.flags = PW_SCAN_CHECK_WPASYNC;
		a.category_mask = T_S;
		CHECK_EQ(t_scan_err(sp, &a), -EPERM);
		/* From a gap into the mapping. */
		a = t_arg(p + 8 * PAGE, 8, vec, 8);
		a.end = T_PG(p, 20);
		a.flags = PW_SCAN_CHECK_WPASYNC;
		CHECK_EQ(t_scan_err(sp, &a), -EPERM);
		/* Only a gap: no mapping to refuse. */
		a = t_arg(p + 8 * PAGE, 8, vec, 8);
		a.flags = PW_SCAN_CHECK_WPASYNC;
		t_expect(sp, &a, 0, NULL, 0, T_PG(p, 16));
		/* An empty range. */
		a = t_arg(p, 0, vec, 8);
		a.flags = PW_SCAN_CHECK_WPASYNC;
		t_expect(sp, &a, 0, NULL, 0, T_PG(p, 0));
		/* Requiring WPALLOWED: every mapping skipped, even with return 0. */
		a = t_arg(p, 20, vec, 8);
		a.category_mask = T_A;
		t_expect(sp, &a, 0, NULL, 0, T_PG(p, 20));
		/* Requiring its absence: every page. */
		{
			struct pw_region exp[] = { T_R(p, 0, 4, T_P | T_W), T_R(p, 4, 8, T_W),
						   T_R(p, 16, 20, T_W) };

			a = t_arg(p, 20, vec, 8);
			a.category_inverted = a.category_mask = T_A;
			a.return_mask = T_A | T_P | T_W;
			t_expect(sp, &a, 3, exp, 3, T_PG(p, 20));
		}
	} else {
		CHECK_EQ(pw_scan(sp, &a), -EOPNOTSUPP);
		a = t_arg(p, 8, vec, 8);
		a.category_mask = T_A;
		CHECK_EQ(pw_scan(sp, &a), -EOPNOTSUPP);
	}

	/* WP_MATCHING (native): every mapping skipped, nothing reported. */
	if (native) {
		a = t_arg(p, 20, vec, 8);
		a.flags = PW_SCAN_WP_MATCHING;
		t_expect(sp, &a, 0, NULL, 0, T_PG(p, 20));
		a = t_arg(p, 20, vec, 8);
		a.flags = PW_SCAN_WP_MATCHING;
		a.category_mask = T_P;
		a.return_mask = T_P;
		t_expect(sp, &a, 0, NULL, 0, T_PG(p, 20));
	} else {
		a = t_arg(p, 20, vec, 8);
		a.flags = PW_SCAN_WP_MATCHING;
		CHECK_EQ(pw_scan(sp, &a), -EOPNOTSUPP);
	}
	/* Without the flags the same range scans normally. */
	{
		struct pw_region exp[] = { T_R(p, 0, 4, T_P | T_W), T_R(p, 4, 8, T_W),
					   T_R(p, 16, 20, T_W) };

		a = t_arg(p, 20, vec, 8);
		a.return_mask = T_P | T_W;
		t_expect(sp, &a, 3, exp, 3, T_PG(p, 20));
	}
	pw_space_close(sp);
	t_done();
}
