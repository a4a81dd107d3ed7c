/* SPDX-License-Identifier: MIT */
/*
 * S31: the kernel's fast path (category_mask == return_mask == WRITTEN,
 * the other masks 0) counts an empty entry as WRITTEN, the same as its
 * general path (S18) on 6.18.  The same question asked so that the general
 * path answers it (anyof = WRITTEN too, which selects the same pages) must
 * give the identical answer -- regions, return value, walk_end -- for every
 * vec_len and max_pages.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "testlib.h"

static struct pw_region v1[64], v2[64];

int main(void)
{
	struct pw_space *sp = t_space(0);
	char *p = t_map_small(2048);
	struct pw_scan_arg fast, gen;
	static const uint64_t lens[] = { 1, 2, 3, 64 };
	static const uint64_t maxes[] = { 0, 1, 300, 512, 600 };
	size_t li, mi;

	/*
	 * Block 0: page 0 written, 10-19 written with 15 dropped, 30 read.
	 * Block 1: never touched.  Block 2: 1100 written.
	 * Block 3: 1600-1603 shared anonymous, 1600 written; 1700 a guard page.
	 */
	t_write_pages(p, 0, 1);
	t_write_pages(p, 10, 20);
	t_dontneed(p, 15, 16);
	t_read_pages(p, 30, 31);
	t_write_pages(p, 1100, 1101);
	CHECK(mmap(p + 1600 * PAGE, 4 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == p + 1600 * PAGE, "mmap");
	t_write_pages(p, 1600, 1601);
	if (madvise(p + 1700 * PAGE, PAGE, 102))
		t_write_pages(p, 1700, 1701);

	/* The fast path: every page of blocks 0, 2 and 3; not block 1. */
	{
		struct pw_region exp[] = { T_R(p, 0, 512, T_W), T_R(p, 1024, 2048, T_W) };

		fast = t_arg(p, 2048, v1, 64);
		fast.category_mask = fast.return_mask = T_W;
		t_expect(sp, &fast, 2, exp, 2, T_PG(p, 2048));
		/* The general path agrees. */
		gen = t_arg(p, 2048, v2, 64);
		gen.category_mask = gen.return_mask = gen.category_anyof_mask = T_W;
		t_expect(sp, &gen, 2, exp, 2, T_PG(p, 2048));
	}
	/* Only the dropped page, and only the never-read empty ones. */
	{
		struct pw_region exp[] = { T_R(p, 15, 16, T_W) };

		fast = t_arg(p + 15 * PAGE, 1, v1, 64);
		fast.category_mask = fast.return_mask = T_W;
		t_expect(sp, &fast, 1, exp, 1, T_PG(p, 16));
		exp[0] = (struct pw_region)T_R(p, 40, 50, T_W);
		fast = t_arg(p + 40 * PAGE, 10, v1, 64);
		fast.category_mask = fast.return_mask = T_W;
		t_expect(sp, &fast, 1, exp, 1, T_PG(p, 50));
	}
	/* Every vec_len and limit: fast and general identical. */
	for (li = 0; li < T_N(lens); li++) {
		for (mi = 0; mi < T_N(maxes); mi++) {
			long r1, r2;

			memset(v1, 0, sizeof(v1));
			memset(v2, 0, sizeof(v2));
			fast = t_arg(p + 5 * PAGE, 2000, v1, lens[li]);
			fast.category_mask = fast.return_mask = T_W;
			fast.max_pages = maxes[mi];
			gen = fast;
			gen.vec = (uintptr_t)v2;
			gen.category_anyof_mask = T_W;
			r1 = t_scan(sp, &fast);
			r2 = t_scan(sp, &gen);
			CHECK(r1 == r2 && r1 >= 1 && fast.walk_end == gen.walk_end &&
			      !memcmp(v1, v2, sizeof(v1)),
			      "vec_len %llu max_pages %llu: fast %ld (walk_end %llx), general %ld (%llx)",
			      (unsigned long long)lens[li], (unsigned long long)maxes[mi], r1,
			      (unsigned long long)fast.walk_end, r2,
			      (unsigned long long)gen.walk_end);
		}
	}
	/* One of them spelled out: vec_len 1, no limit: block 0 from page 5,
	 * then the next match (page 1024) does not join. */
	{
		struct pw_region exp[] = { T_R(p, 5, 512, T_W) };

		fast = t_arg(p + 5 * PAGE, 2000, v1, 1);
		fast.category_mask = fast.return_mask = T_W;
		t_expect(sp, &fast, 1, exp, 1, T_PG(p, 1024));
		fast = t_arg(p + 5 * PAGE, 2000, v1, 2);
		fast.category_mask = fast.return_mask = T_W;
		fast.max_pages = 600;
		{
			struct pw_region e2[] = { T_R(p, 5, 512, T_W), T_R(p, 1024, 1117, T_W) };

			t_expect(sp, &fast, 2, e2, 2, T_PG(p, 1117));
		}
	}
	pw_space_close(sp);
	t_done();
}
