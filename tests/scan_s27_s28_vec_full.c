/* SPDX-License-Identifier: MIT */
/*
 * S27-S28: when vec is full and the next match cannot join the last
 * region, the walk stops, and walk_end is that match's address: resuming
 * at walk_end loses nothing and sees nothing twice.  A walk that completes
 * sets walk_end = end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "testlib.h"

#define NP 1000

static struct pw_region full[NP], got[NP], vec[NP];

int main(void)
{
	struct pw_space *sp = t_space(0);
	char *p = t_map_small(1024);
	struct pw_scan_arg a;
	long nfull, r;
	size_t i;

	/* Every other page written: 500 present pages among 500 empty ones. */
	for (i = 0; i < NP; i += 2)
		t_write_pages(p, i, i + 1);

	/* The kernel's example: vec_len 1, one region, walk_end = 2 pages. */
	{
		struct pw_region exp[] = { T_R(p, 0, 1, T_P) };

		a = t_arg(p, NP, vec, 1);
		a.category_mask = T_P;
		a.return_mask = T_P;
		t_expect(sp, &a, 1, exp, 1, T_PG(p, 2));
	}
	/* vec_len 200: the 201st match is at page 400. */
	a = t_arg(p, NP, vec, 200);
	a.category_mask = T_P;
	a.return_mask = T_P;
	r = t_scan(sp, &a);
	CHECK_EQ(r, 200);
	CHECK_EQ(a.walk_end, T_PG(p, 400));
	CHECK(r == 200 && vec[199].start == T_PG(p, 398) && vec[199].end == T_PG(p, 399),
	      "last region");
	/* The kernel's example: 500 sparse matches, max_pages 500: walk_end = end. */
	a = t_arg(p, NP, vec, NP);
	a.category_mask = T_P;
	a.return_mask = T_P;
	a.max_pages = 500;
	r = t_scan(sp, &a);
	CHECK_EQ(r, 500);
	CHECK_EQ(a.walk_end, T_PG(p, NP));
	/* ...and with vec_len 500 exactly. */
	a = t_arg(p, NP, vec, 500);
	a.category_mask = T_P;
	a.return_mask = T_P;
	a.max_pages = 500;
	r = t_scan(sp, &a);
	CHECK_EQ(r, 500);
	CHECK_EQ(a.walk_end, T_PG(p, NP));
	/* A full vec whose next match could join: it is not full for it.
	 * All pages match (W), categories alternate PW / W: vec_len 3 ends
	 * at page 3. */
	{
		struct pw_region exp[] = { T_R(p, 0, 1, T_P | T_W), T_R(p, 1, 2, T_W),
					   T_R(p, 2, 3, T_P | T_W) };
		struct pw_region e2[] = { T_R(p, 0, 3, T_W) };

		a = t_arg(p, NP, vec, 3);
		a.return_mask = T_P | T_W;
		t_expect(sp, &a, 3, exp, 3, T_PG(p, 3));
		/* With only W returned everything is one region: the vec of 1
		 * is enough and the walk completes. */
		a = t_arg(p, 3, vec, 1);
		a.return_mask = T_W;
		t_expect(sp, &a, 1, e2, 1, T_PG(p, 3));
		e2[0].end = T_PG(p, NP);
		a = t_arg(p, NP, vec, 1);
		a.return_mask = T_W;
		t_expect(sp, &a, 1, e2, 1, T_PG(p, NP));
	}

	/* The whole answer at once... */
	a = t_arg(p, NP, full, NP);
	a.return_mask = T_P | T_W;
	nfull = t_scan(sp, &a);
	CHECK_EQ(nfull, NP);
	/* (More than 512 regions: walk_end is left where the kernel last
	 * refilled its 512-region buffer, page 512 -- see scan_s28_refill.) */
	CHECK_EQ(a.walk_end, T_PG(p, 512));
	/* ...equals the walks resumed at walk_end, for several vec sizes and
	 * limits, with nothing lost and nothing seen twice. */
	{
		static const uint64_t runs[][2] = {	/* vec_len, max_pages */
			{ 1, 0 }, { 2, 5 }, { 3, 100 }, { 7, 0 }, { 64, 3 }, { 333, 5 },
			{ 512, 0 }, { 512, 100 },
		};
		size_t ri;

		for (ri = 0; ri < T_N(runs); ri++) {
			uint64_t start = T_PG(p, 0);
			long n = 0, calls = 0;

			while (start < T_PG(p, NP) && calls < 3 * NP) {
				a = t_arg(NULL, 0, vec, runs[ri][0]);
				a.start = start;
				a.end = T_PG(p, NP);
				a.return_mask = T_P | T_W;
				a.max_pages = runs[ri][1];
				r = t_scan(sp, &a);
				calls++;
				if (r < 0 || n + r > NP) {
					CHECK(0, "vec_len %llu max %llu: %ld",
					      (unsigned long long)runs[ri][0],
					      (unsigned long long)runs[ri][1], r);
					break;
				}
				CHECK(a.walk_end > start, "no progress");
				memcpy(got + n, vec, (size_t)r * sizeof(*vec));
				n += r;
				start = a.walk_end;
			}
			CHECK(n == nfull && !memcmp(got, full, (size_t)n * sizeof(*got)),
			      "resumed walk, vec_len %llu max_pages %llu: %ld regions",
			      (unsigned long long)runs[ri][0], (unsigned long long)runs[ri][1], n);
		}
	}
	/* Sparse matches resumed: nothing lost, nothing twice. */
	{
		uint64_t start = T_PG(p, 0);
		long n = 0;

		while (start < T_PG(p, NP)) {
			a = t_arg(NULL, 0, vec, 7);
			a.start = start;
			a.end = T_PG(p, NP);
			a.category_mask = T_P;
			a.return_mask = T_P;
			r = t_scan(sp, &a);
			if (r < 0 || a.walk_end <= start)
				break;
			for (i = 0; i < (size_t)r; i++)
				CHECK(vec[i].start == T_PG(p, 2 * (n + (long)i)) &&
				      vec[i].end == vec[i].start + PAGE, "region %ld",
				      n + (long)i);
			n += r;
			start = a.walk_end;
		}
		CHECK_EQ(n, NP / 2);
		CHECK_EQ(start, T_PG(p, NP));
	}
	pw_space_close(sp);
	t_done();
}
