/* SPDX-License-Identifier: MIT */
/* Placeholder: this backend is not implemented yet. */
#include <errno.h>

#include "internal.h"

static int stub_start(struct pw_watch *w)
{
	(void)w;
	return -EOPNOTSUPP;
}

const struct pw_watch_ops pw_watch_soft_dirty_ops = {
	.id = PW_BACKEND_SOFT_DIRTY,
	.start = stub_start,
};
