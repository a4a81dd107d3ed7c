/* SPDX-License-Identifier: MIT */
/*
 * pw_scan_all: the whole walk, resumed at walk_end for the caller.
 *
 * The buffer handed to the backend is never longer than 512 regions: with a
 * longer vec the kernel refills its internal bounce buffer mid-walk and a
 * walk that then completes leaves walk_end at the last refill point instead
 * of end (seen on 6.18).  With at most 512 entries walk_end is exact: the
 * first matching address not reported, or end.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

#define WALK_VEC 512

/* A backend that can stream the walk does it in one go (the emulation:
 * one read of /proc/PID/maps instead of one per batch). */
static long walk_in_one(struct pw_space *sp, struct pw_scan_arg *arg, struct pw_scan_arg *a,
			pw_region_fn fn, void *ctx)
{
	uint64_t walk_end = UINT64_MAX;
	long r = sp->ops->walk(sp, a, fn, ctx, &walk_end);

	if (walk_end != UINT64_MAX &&
	    pw_user_write((uintptr_t)&arg->walk_end, &walk_end, sizeof(walk_end)))
		return -EFAULT;
	return r;
}

long pw_scan_all(struct pw_space *sp, struct pw_scan_arg *arg, pw_region_fn fn, void *ctx)
{
	struct pw_region local[WALK_VEC];
	struct pw_region *vec = local;
	struct pw_scan_arg a;
	uint64_t budget, found = 0, end;
	long total = 0, n, i;
	int rc = 0;

	if (!sp || !fn)
		return -EINVAL;
	if (pw_user_read(&a, (uintptr_t)arg, sizeof(a)))
		return -EFAULT;
	if (!a.vec && a.vec_len)
		return -EINVAL;	/* as pw_scan says (S8) */
	if (a.vec && a.vec_len) {
		vec = (struct pw_region *)(uintptr_t)a.vec;
		if (a.vec_len > WALK_VEC)
			a.vec_len = WALK_VEC;
	} else {
		a.vec = (uintptr_t)local;
		a.vec_len = WALK_VEC;
		/* No buffer of the caller's to fill: stream if we can. */
		if (sp->ops->walk)
			return walk_in_one(sp, arg, &a, fn, ctx);
	}
	a.vec = (uintptr_t)vec;
	budget = a.max_pages;
	end = pw_align_up(a.end, PW_PAGE_SIZE);
	for (;;) {
		uint64_t start = a.start;

		if (budget)
			a.max_pages = budget - found;
		n = pw_scan(sp, &a);
		if (n < 0)
			return n;
		for (i = 0; i < n; i++) {
			found += (vec[i].end - vec[i].start) / PW_PAGE_SIZE;
			rc = fn(&vec[i], ctx);
			if (rc) {
				a.walk_end = vec[i].end;
				break;
			}
		}
		if (rc)
			break;
		total += n;
		/* Done: the walk completed, the budget is spent, or a partly
		 * covered hugetlb page left it where it began (S35). */
		if (a.walk_end >= end || (budget && found >= budget) ||
		    (uint64_t)n < a.vec_len || a.walk_end <= start)
			break;
		a.start = a.walk_end;
	}
	if (pw_user_write((uintptr_t)&arg->walk_end, &a.walk_end, sizeof(a.walk_end)))
		return -EFAULT;
	return rc ? rc : total;
}
