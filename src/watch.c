/* SPDX-License-Identifier: MIT */
/*
 * Write watches and snapshots: the public entry points.  The backends
 * (uffd-async, uffd-sync, soft-dirty, mprotect) come with part 2/4; until
 * then every request is answered -EOPNOTSUPP, never a silent no-op.
 */
#include <errno.h>
#include <stdlib.h>

#include "internal.h"

static const char *const backend_names[] = {
	[PW_BACKEND_AUTO] = "auto",
	[PW_BACKEND_UFFD_ASYNC] = "uffd-async",
	[PW_BACKEND_UFFD_SYNC] = "uffd-sync",
	[PW_BACKEND_SOFT_DIRTY] = "soft-dirty",
	[PW_BACKEND_MPROTECT] = "mprotect",
};

const char *pw_backend_name(enum pw_backend backend)
{
	if ((unsigned)backend >= sizeof(backend_names) / sizeof(backend_names[0]))
		return NULL;
	return backend_names[backend];
}

int pw_watch_start(struct pw_watch **out, void *addr, size_t len, enum pw_backend backend)
{
	(void)addr;
	(void)len;
	(void)backend;
	if (out)
		*out = NULL;
	return -EOPNOTSUPP;
}

int pw_watch_get(struct pw_watch *w, void *addr, size_t len, unsigned flags,
		 void **pages, size_t *count)
{
	(void)w; (void)addr; (void)len; (void)flags; (void)pages; (void)count;
	return -EOPNOTSUPP;
}

int pw_watch_reset(struct pw_watch *w, void *addr, size_t len)
{
	(void)w; (void)addr; (void)len;
	return -EOPNOTSUPP;
}

enum pw_backend pw_watch_backend(const struct pw_watch *w)
{
	(void)w;
	return PW_BACKEND_AUTO;
}

void pw_watch_stop(struct pw_watch *w)
{
	(void)w;
}

int pw_snapshot_take(struct pw_watch *w, struct pw_snapshot **out)
{
	(void)w;
	if (out)
		*out = NULL;
	return -EOPNOTSUPP;
}

long pw_snapshot_restore(struct pw_snapshot *snap)
{
	(void)snap;
	return -EOPNOTSUPP;
}

void pw_snapshot_free(struct pw_snapshot *snap)
{
	(void)snap;
}
