/* SPDX-License-Identifier: MIT */
/*
 * S4: any flag bit other than WP_MATCHING (bit 0) and CHECK_WPASYNC (bit 1)
 * is EINVAL.  The emulation cannot write-protect: WP_MATCHING alone is
 * -EOPNOTSUPP there; the kernel accepts it and (S13) skips every mapping
 * that is not registered for async write-protect.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "testlib.h"

int main(void)
{
	struct pw_space *sp = t_space(0);
	int native = !strcmp(pw_space_backend(sp), "native");
	char *p = t_map_small(512);
	struct pw_region vec[4];
	struct pw_scan_arg a;
	unsigned int bit;

	t_write_pages(p, 0, 4);
	for (bit = 2; bit < 64; bit++) {
		uint64_t extra[] = { 0, PW_SCAN_WP_MATCHING, PW_SCAN_CHECK_WPASYNC,
				     PW_SCAN_WP_MATCHING | PW_SCAN_CHECK_WPASYNC };
		size_t i;

		for (i = 0; i < T_N(extra); i++) {
			a = t_arg(p, 4, vec, 4);
			a.flags = (1ULL << bit) | extra[i];
			a.return_mask = T_W;
			CHECK(t_scan_err(sp, &a) == -EINVAL, "flags 0x%llx",
			      (unsigned long long)a.flags);
		}
	}
	/* flags 0: a plain scan. */
	{
		struct pw_region exp[] = { T_R(p, 0, 4, T_P | T_W) };

		a = t_arg(p, 4, vec, 4);
		a.return_mask = T_P | T_W;
		t_expect(sp, &a, 1, exp, 1, T_PG(p, 4));
	}
	/* WP_MATCHING: the written pages of a mapping without uffd-wp are not
	 * reported and not protected (native); not supported (emulated). */
	a = t_arg(p, 8, vec, 4);
	a.flags = PW_SCAN_WP_MATCHING;
	a.category_mask = T_W;
	a.return_mask = T_W;
	if (native) {
		t_expect(sp, &a, 0, NULL, 0, T_PG(p, 8));
		/* Still written and present afterwards: nothing was touched. */
		{
			struct pw_region exp[] = { T_R(p, 0, 4, T_P | T_W), T_R(p, 4, 8, T_W) };

			a = t_arg(p, 8, vec, 4);
			a.return_mask = T_P | T_W;
			t_expect(sp, &a, 2, exp, 2, T_PG(p, 8));
		}
	} else {
		CHECK_EQ(pw_scan(sp, &a), -EOPNOTSUPP);
		a.flags |= PW_SCAN_CHECK_WPASYNC;
		CHECK_EQ(pw_scan(sp, &a), -EOPNOTSUPP);
	}
	pw_space_close(sp);
	t_done();
}
