/* SPDX-License-Identifier: MIT */
/*
 * S8: vec 0 with vec_len not 0 is EINVAL.  vec + vec_len entries must be a
 * valid user range (EFAULT up front otherwise); the entries themselves are
 * only written when regions are found, so an unwritable vec fails with
 * EFAULT exactly when a region has to be stored in it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "testlib.h"

int main(void)
{
	struct pw_space *sp = t_space(0);
	uint64_t top = t_user_top();
	char *p = t_map_small(512);
	/* page 0 rw, page 1 read-only, page 2 PROT_NONE, page 3 unmapped */
	char *v = t_map(4);
	struct pw_region *unmapped = (struct pw_region *)(v + 3 * PAGE);
	struct pw_region *ro = (struct pw_region *)(v + PAGE);
	struct pw_region *none = (struct pw_region *)(v + 2 * PAGE);
	/* the last entry of the writable page: vec[1] falls on the read-only one */
	struct pw_region *edge = (struct pw_region *)(v + PAGE) - 1;
	struct pw_region vec[4];
	struct pw_scan_arg a;

	/* pages 0-1 and 3 present; 2 and 4-511 empty (not PRESENT) */
	t_write_pages(p, 0, 2);
	t_write_pages(p, 3, 4);
	memset(v, 0, 2 * PAGE);
	CHECK_EQ(mprotect(v + PAGE, PAGE, PROT_READ), 0);
	CHECK_EQ(mprotect(v + 2 * PAGE, PAGE, PROT_NONE), 0);
	CHECK_EQ(munmap(v + 3 * PAGE, PAGE), 0);

	/* vec 0 with entries: EINVAL, whatever the range holds. */
	{
		uint64_t lens[] = { 1, 2, 512, 1ULL << 32, UINT64_MAX };
		size_t i;

		for (i = 0; i < T_N(lens); i++) {
			a = t_arg(p, 4, NULL, lens[i]);
			a.category_mask = T_P;
			CHECK(t_scan_err(sp, &a) == -EINVAL, "vec 0, vec_len %llu",
			      (unsigned long long)lens[i]);
			a = t_arg(p + 8 * PAGE, 0, NULL, lens[i]);
			CHECK(t_scan_err(sp, &a) == -EINVAL, "vec 0, vec_len %llu, empty range",
			      (unsigned long long)lens[i]);
		}
	}
	/* vec 0, vec_len 0: fine. */
	a = t_arg(p, 4, NULL, 0);
	a.category_mask = T_P;
	t_expect(sp, &a, 0, NULL, 0, T_PG(p, 4));

	/* Unwritable vec, regions found: EFAULT. */
	{
		struct pw_region *bad[] = { unmapped, ro, none };
		size_t i;

		for (i = 0; i < T_N(bad); i++) {
			a = t_arg(p, 4, bad[i], 4);
			a.category_mask = T_P;
			CHECK(t_scan_err(sp, &a) == -EFAULT, "vec %zu, regions found", i);
			/* Unwritable vec, nothing matches: 0, walk_end = end. */
			a = t_arg(p + 4 * PAGE, 8, bad[i], 4);
			a.category_mask = T_P;
			CHECK(t_scan_err(sp, &a) == 0, "vec %zu, nothing found", i);
			CHECK_EQ(a.walk_end, T_PG(p, 12));
			/* Range entirely in a gap: 0 as well. */
			a = t_arg(v + 3 * PAGE, 1, bad[i], 4);
			CHECK(t_scan_err(sp, &a) == 0, "vec %zu, gap", i);
			CHECK_EQ(a.walk_end, (uintptr_t)(v + 4 * PAGE));
		}
	}
	/* A vec whose first entry is writable and second is not: one region
	 * is stored fine, two are EFAULT. */
	{
		struct pw_region exp[] = { T_R(p, 0, 2, T_P | T_W) };

		a = t_arg(p, 3, edge, 2);
		a.category_mask = T_P;
		a.return_mask = T_P | T_W;
		CHECK_EQ(t_scan_err(sp, &a), 1);
		CHECK_EQ(a.walk_end, T_PG(p, 3));
		CHECK(!memcmp(edge, exp, sizeof(exp)), "edge[0] = [%llx, %llx) %llx",
		      (unsigned long long)edge->start, (unsigned long long)edge->end,
		      (unsigned long long)edge->categories);
		a = t_arg(p, 4, edge, 2);
		a.category_mask = T_P;
		a.return_mask = T_P | T_W;
		CHECK_EQ(t_scan_err(sp, &a), -EFAULT);
	}
	/* vec + vec_len beyond the top of user space: EFAULT up front, even
	 * when nothing would be stored; ending exactly at the top is valid. */
	a = t_arg(p + 4 * PAGE, 8, (struct pw_region *)(uintptr_t)(top - 24), 2);
	a.category_mask = T_P;
	CHECK_EQ(t_scan_err(sp, &a), -EFAULT);
	a = t_arg(p + 4 * PAGE, 8, (struct pw_region *)(uintptr_t)(top - 48), 2);
	a.category_mask = T_P;
	CHECK_EQ(t_scan_err(sp, &a), 0);
	CHECK_EQ(a.walk_end, T_PG(p, 12));
	a = t_arg(p + 4 * PAGE, 8, (struct pw_region *)(uintptr_t)(top + PAGE), 1);
	a.category_mask = T_P;
	CHECK_EQ(t_scan_err(sp, &a), -EFAULT);
	/* vec_len so large that vec_len * 24 overflows. */
	{
		uint64_t lens[] = { UINT64_MAX, UINT64_MAX / 24 + 1, 1ULL << 62, top / 24 };
		size_t i;

		for (i = 0; i < T_N(lens); i++) {
			a = t_arg(p + 4 * PAGE, 8, vec, lens[i]);
			a.category_mask = T_P;
			CHECK(t_scan_err(sp, &a) == -EFAULT, "vec_len %llu",
			      (unsigned long long)lens[i]);
		}
	}
	/* A good vec: the two regions. */
	{
		struct pw_region exp[] = { T_R(p, 0, 2, T_P | T_W), T_R(p, 3, 4, T_P | T_W) };

		a = t_arg(p, 8, vec, 4);
		a.category_mask = T_P;
		a.return_mask = T_P | T_W;
		t_expect(sp, &a, 2, exp, 2, T_PG(p, 8));
	}
	pw_space_close(sp);
	t_done();
}
