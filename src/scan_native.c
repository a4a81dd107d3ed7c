/* SPDX-License-Identifier: MIT */
/* The native backend: the kernel's own PAGEMAP_SCAN ioctl, untouched. */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "internal.h"

/* A zero-length scan validates its masks and walks nothing (S5, S10):
 * one bit at a time, it tells which categories this kernel knows. */
int pw_native_categories(int pagemap_fd, uint64_t *out)
{
	struct pw_scan_arg a;
	uint64_t bit, known = 0;

	for (bit = 1; bit & PW_PAGE_ALL; bit <<= 1) {
		memset(&a, 0, sizeof(a));
		a.size = sizeof(a);
		a.return_mask = bit;
		if (ioctl(pagemap_fd, PW_PAGEMAP_SCAN, &a) == 0)
			known |= bit;
		else if (errno != EINVAL)
			return -errno;
	}
	if (!known)
		return -EOPNOTSUPP;
	*out = known;
	return 0;
}

static int native_open(struct pw_space *sp)
{
	int r = pw_native_categories(sp->pagemap_fd, &sp->categories);

	/* ENOTTY before 6.7; EINVAL for every bit would mean the same. */
	if (r == -ENOTTY || r == -EINVAL)
		return -EOPNOTSUPP;
	return r;
}

/*
 * EINVAL from the kernel may mean "a category bit this kernel does not
 * know yet" (SOFT_DIRTY on 6.7, GUARD before 6.16).  Those are known to
 * pagewatch: when nothing else in the argument is wrong, say EOPNOTSUPP,
 * as the emulation does.  Only this error path pays for the checks.
 */
static long native_einval(const struct pw_space *sp, const struct pw_scan_arg *arg)
{
	uint64_t cats = arg->category_inverted | arg->category_mask |
			arg->category_anyof_mask | arg->return_mask;
	int r;

	if (arg->size != sizeof(*arg) ||
	    arg->flags & ~(PW_SCAN_WP_MATCHING | PW_SCAN_CHECK_WPASYNC) ||
	    cats & ~PW_PAGE_ALL || !(cats & ~sp->categories))
		return -EINVAL;
	r = pw_scan_check_range(arg);
	return r ? r : -EOPNOTSUPP;
}

static long native_scan(struct pw_space *sp, struct pw_scan_arg *arg)
{
	long r = ioctl(sp->pagemap_fd, PW_PAGEMAP_SCAN, arg);

	if (r >= 0)
		return r;
	r = -errno;
	if (r == -EINVAL)
		return native_einval(sp, arg);
	return r;
}

const struct pw_scan_ops pw_scan_native_ops = {
	.name = "native",
	.open = native_open,
	.scan = native_scan,
};
