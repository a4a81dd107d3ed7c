/* SPDX-License-Identifier: MIT */
/*
 * S10: start == end returns 0 with walk_end = start; the input walk_end is
 * ignored; max_pages 0 means no limit.
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
	struct pw_region vec[8];
	struct pw_scan_arg a;
	uint64_t where[4];
	size_t i;

	t_write_pages(p, 0, 1000);
	CHECK_EQ(munmap(p + 1000 * PAGE, 24 * PAGE), 0);	/* a gap at 1000-1023 */
	where[0] = T_PG(p, 0);		/* written pages */
	where[1] = T_PG(p, 1010);	/* the gap */
	where[2] = 0;			/* address 0 */
	where[3] = T_PG(p, 1000);	/* the first page of the gap */

	/* start == end: 0, walk_end = start, nothing stored; with any masks,
	 * any input walk_end, any max_pages. */
	for (i = 0; i < T_N(where); i++) {
		memset(vec, 0x5a, sizeof(vec));
		a = t_arg(NULL, 0, vec, 8);
		a.start = a.end = where[i];
		a.walk_end = 0xdead000;
		a.max_pages = 1;
		a.return_mask = T_P | T_W;
		t_expect(sp, &a, 0, NULL, 0, where[i]);
		CHECK(vec[0].start == 0x5a5a5a5a5a5a5a5aULL, "vec written at %zu", i);
		a = t_arg(NULL, 0, vec, 8);
		a.start = a.end = where[i];
		a.category_inverted = a.category_mask = T_P | T_W;
		t_expect(sp, &a, 0, NULL, 0, where[i]);
	}

	/* Input walk_end ignored by a scan that completes and by one that stops. */
	{
		uint64_t junk[] = { 0, 1, T_PG(p, 5), T_PG(p, 2000), UINT64_MAX };
		struct pw_region all[] = { T_R(p, 0, 1000, T_P | T_W) };
		struct pw_region cut[] = { T_R(p, 0, 3, T_P | T_W) };

		for (i = 0; i < T_N(junk); i++) {
			a = t_arg(p, 1000, vec, 8);
			a.walk_end = junk[i];
			a.return_mask = T_P | T_W;
			t_expect(sp, &a, 1, all, 1, T_PG(p, 1000));
			a = t_arg(p, 1000, vec, 8);
			a.walk_end = junk[i];
			a.max_pages = 3;
			a.return_mask = T_P | T_W;
			t_expect(sp, &a, 1, cut, 1, T_PG(p, 3));
		}
	}

	/* max_pages 0: no limit -- the same as a limit above the page count,
	 * different from any limit below it. */
	{
		struct pw_region all[] = { T_R(p, 0, 1000, T_P | T_W) };
		struct pw_region cut[] = { T_R(p, 0, 999, T_P | T_W) };

		a = t_arg(p, 1024, vec, 8);
		a.max_pages = 0;
		a.return_mask = T_P | T_W;
		t_expect(sp, &a, 1, all, 1, T_PG(p, 1024));
		a = t_arg(p, 1024, vec, 8);
		a.max_pages = 1000;
		a.return_mask = T_P | T_W;
		t_expect(sp, &a, 1, all, 1, T_PG(p, 1024));
		a = t_arg(p, 1024, vec, 8);
		a.max_pages = 999;
		a.return_mask = T_P | T_W;
		t_expect(sp, &a, 1, cut, 1, T_PG(p, 999));
	}
	pw_space_close(sp);
	t_done();
}
