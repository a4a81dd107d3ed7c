/* SPDX-License-Identifier: MIT */
/* Placeholder: this backend is not implemented yet. */
#include <errno.h>

#include "internal.h"

static int stub_start(struct pw_watch *w)
{
	(void)w;
	return -EOPNOTSUPP;
}

const struct pw_watch_ops pw_watch_uffd_sync_ops = {
	.id = PW_BACKEND_UFFD_SYNC,
	.start = stub_start,
};
