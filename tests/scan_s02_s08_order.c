/* SPDX-License-Identifier: MIT */
/*
 * S2-S8 are checked in that order: when an argument has two faults whose
 * errors differ, the earlier rule's error wins.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "testlib.h"

struct fault {
	const char *name;
	void (*apply)(struct pw_scan_arg *a);
	long err;
	int rule;
};

static uint64_t top;

static void f_size(struct pw_scan_arg *a) { a->size = 95; }
static void f_flags(struct pw_scan_arg *a) { a->flags |= 1ULL << 5; }
static void f_cat(struct pw_scan_arg *a) { a->category_anyof_mask |= 1ULL << 9; }
static void f_start(struct pw_scan_arg *a) { a->start += 8; }
static void f_below(struct pw_scan_arg *a) { a->end = a->start - 2 * PAGE; }
static void f_above(struct pw_scan_arg *a) { a->end = top + PAGE; }
static void f_vec0(struct pw_scan_arg *a) { a->vec = 0; a->vec_len = 4; }
static void f_vectop(struct pw_scan_arg *a) { a->vec = top - 24; a->vec_len = 4; }

static const struct fault faults[] = {
	{ "size 95", f_size, -EINVAL, 3 },
	{ "flags bit 5", f_flags, -EINVAL, 4 },
	{ "category bit 9", f_cat, -EINVAL, 5 },
	{ "start unaligned", f_start, -EINVAL, 6 },
	{ "end < start", f_below, -EFAULT, 7 },
	{ "end above top", f_above, -EFAULT, 7 },
	{ "vec 0, vec_len 4", f_vec0, -EINVAL, 8 },
	{ "vec beyond top", f_vectop, -EFAULT, 8 },
};

int main(void)
{
	struct pw_space *sp = t_space(0);
	char *p = t_map_small(512);
	struct pw_region vec[4];
	struct pw_scan_arg a;
	size_t i, j;
	int pairs_that_differ = 0;

	top = t_user_top();
	t_write_pages(p, 0, 8);
	/* Each fault alone. */
	for (i = 0; i < T_N(faults); i++) {
		a = t_arg(p + 4 * PAGE, 4, vec, 4);
		a.category_mask = T_P;
		faults[i].apply(&a);
		CHECK(t_scan_err(sp, &a) == faults[i].err, "%s", faults[i].name);
	}
	/* Every pair, applied in both orders: the lower rule's error. */
	for (i = 0; i < T_N(faults); i++) {
		for (j = 0; j < T_N(faults); j++) {
			const struct fault *first = &faults[i], *second = &faults[j];
			const struct fault *win;
			long r;

			if (first->rule == second->rule)
				continue;
			win = first->rule < second->rule ? first : second;
			a = t_arg(p + 4 * PAGE, 4, vec, 4);
			a.category_mask = T_P;
			first->apply(&a);
			second->apply(&a);
			r = t_scan_err(sp, &a);
			CHECK(r == win->err, "%s + %s: %ld, expected %ld (%s)", first->name,
			      second->name, r, win->err, win->name);
			if (first->err != second->err)
				pairs_that_differ++;
		}
	}
	CHECK(pairs_that_differ >= 20, "only %d informative pairs", pairs_that_differ);
	/* The named pairs of the brief, spelled out. */
	a = t_arg(p + 4 * PAGE, 4, vec, 4);
	a.start += 8;
	a.end = a.start - 3 * PAGE;
	CHECK_EQ(t_scan_err(sp, &a), -EINVAL);		/* unaligned start beats end < start */
	a = t_arg(p + 4 * PAGE, 4, NULL, 1);
	a.end = a.start - PAGE;
	CHECK_EQ(t_scan_err(sp, &a), -EFAULT);		/* end < start beats vec 0 */
	a = t_arg(p + 4 * PAGE, 4, NULL, 1);
	a.size = 0;
	a.end = a.start - PAGE;
	CHECK_EQ(t_scan_err(sp, &a), -EINVAL);		/* size beats end < start */
	/* -EOPNOTSUPP (a category this backend cannot report) is answered
	 * only when every check of the kernel's own passes: any EINVAL or
	 * EFAULT the kernel would give wins over it. */
	{
		uint64_t missing = PW_PAGE_ALL & ~pw_space_categories(sp);

		if (missing) {
			uint64_t bit = missing & -missing;

			a = t_arg(p + 4 * PAGE, 4, vec, 4);
			a.return_mask = bit;
			CHECK_EQ(pw_scan(sp, &a), -EOPNOTSUPP);
			a.start += 8;
			CHECK_EQ(pw_scan(sp, &a), -EINVAL);
			a = t_arg(p + 4 * PAGE, 4, NULL, 4);
			a.return_mask = bit;
			CHECK_EQ(pw_scan(sp, &a), -EINVAL);
			a = t_arg(p + 4 * PAGE, 4, vec, 4);
			a.return_mask = bit;
			a.end = top + PAGE;
			CHECK_EQ(pw_scan(sp, &a), -EFAULT);
			a = t_arg(p + 4 * PAGE, 4, vec, 4);
			a.return_mask = bit;
			a.size = 97;
			CHECK_EQ(pw_scan(sp, &a), -EINVAL);
			a = t_arg(p + 4 * PAGE, 4, vec, 4);
			a.return_mask = bit | (1ULL << 9);
			CHECK_EQ(pw_scan(sp, &a), -EINVAL);
			a = t_arg(p + 4 * PAGE, 4, vec, 4);
			a.return_mask = bit;
			a.flags = 1ULL << 7;
			CHECK_EQ(pw_scan(sp, &a), -EINVAL);
		}
		/* The same for a flag the emulation cannot honour. */
		if (!strcmp(pw_space_backend(sp), "emulated")) {
			a = t_arg(p + 4 * PAGE, 4, vec, 4);
			a.flags = PW_SCAN_WP_MATCHING;
			CHECK_EQ(pw_scan(sp, &a), -EOPNOTSUPP);
			a.return_mask = 1ULL << 9;
			CHECK_EQ(pw_scan(sp, &a), -EINVAL);
			a = t_arg(p + 4 * PAGE, 4, vec, 4);
			a.flags = PW_SCAN_WP_MATCHING;
			a.start += 8;
			CHECK_EQ(pw_scan(sp, &a), -EINVAL);
		}
	}
	pw_space_close(sp);
	t_done();
}
