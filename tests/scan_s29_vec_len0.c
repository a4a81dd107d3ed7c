/* SPDX-License-Identifier: MIT */
/*
 * S29: vec_len 0 reports and counts nothing: the return value is 0,
 * walk_end = end (rounded), and max_pages has no effect.  vec itself is
 * never written and need not be valid memory.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "testlib.h"

int main(void)
{
	struct pw_space *sp = t_space(0);
	char *p = t_map_small(1024);
	char *bad = t_map(1);
	struct pw_region vec[4];
	struct pw_scan_arg a;
	static const uint64_t maxes[] = { 0, 1, 2, 1000, UINT64_MAX };
	size_t i;

	t_write_pages(p, 0, 1000);
	for (i = 1000; i < 1024; i += 2)
		t_write_pages(p, i, i + 1);
	CHECK_EQ(munmap(bad, PAGE), 0);

	for (i = 0; i < T_N(maxes); i++) {
		/* A valid vec: untouched. */
		memset(vec, 0x33, sizeof(vec));
		a = t_arg(p, 1024, vec, 0);
		a.max_pages = maxes[i];
		a.return_mask = T_P | T_W;
		t_expect(sp, &a, 0, NULL, 0, T_PG(p, 1024));
		CHECK(vec[0].start == 0x3333333333333333ULL, "vec written");
		/* With a mask that matches only some pages, and an unaligned end. */
		a = t_arg(p, 1023, vec, 0);
		a.end += 5;
		a.max_pages = maxes[i];
		a.category_mask = T_P;
		t_expect(sp, &a, 0, NULL, 0, T_PG(p, 1024));
		/* vec 0. */
		a = t_arg(p, 1024, NULL, 0);
		a.max_pages = maxes[i];
		t_expect(sp, &a, 0, NULL, 0, T_PG(p, 1024));
		/* vec pointing at an unmapped page: never touched. */
		a = t_arg(p, 1024, (struct pw_region *)bad, 0);
		a.max_pages = maxes[i];
		CHECK_EQ(t_scan_err(sp, &a), 0);
		CHECK_EQ(a.walk_end, T_PG(p, 1024));
	}
	/* The same queries with a vec: regions, and the max_pages cut. */
	{
		struct pw_region exp[] = { T_R(p, 0, 2, T_P | T_W) };

		a = t_arg(p, 1024, vec, 4);
		a.max_pages = 2;
		a.return_mask = T_P | T_W;
		t_expect(sp, &a, 1, exp, 1, T_PG(p, 2));
	}
	pw_space_close(sp);
	t_done();
}
