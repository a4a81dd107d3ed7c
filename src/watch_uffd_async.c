/* SPDX-License-Identifier: MIT */
/*
 * uffd-async: the kernel tracks the writes (6.7+).
 *
 * The range is registered for write-protect on a userfaultfd in WP_ASYNC
 * mode.  A write to a protected page is resolved by the kernel itself, with
 * no message to us: it just clears the page's uffd-wp bit (S36), and
 * PAGEMAP_SCAN reports such a page WRITTEN.  With PM_SCAN_WP_MATCHING the
 * scan protects again exactly the pages it reports, each under its
 * page-table lock together with the report (S32): that is the atomic
 * get-and-reset, and max_pages = *count makes it reset only what was
 * returned (lesson 5).  Writes by the kernel on our behalf (read() into a
 * watched buffer) take the same path and are counted.
 *
 * The pagemap fd and the userfaultfd belong to the process that started
 * the watch: after fork() the child's copy of the range is not registered
 * (the registration is not inherited), and its calls on the watch fail
 * with EPERM, as the kernel's own scan would for unregistered memory.
 *
 * When part of the range lost its registration (the application unmapped
 * it and mapped something else there), the scan fails with EPERM -- after
 * it has already reported, and with WP_MATCHING protected again, the
 * pages of the mappings before that part.  Those regions are in vec
 * (contiguous from its start: we clear it before each call to count
 * them), and a get with reset returns them, successfully, keeping the
 * error for the next get or reset: pages cleaned but never returned would
 * be writes lost.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "internal.h"

/* At most 512 regions per call: beyond that the kernel's walk_end is not
 * exact (see scan_all.c). */
#define VEC 512

struct uffd_async {
	int uffd;
	int pagemap;	/* /proc/self/pagemap of the owner */
	pid_t owner;	/* the process that started the watch */
	atomic_int pending;	/* an error for the next get or reset */
};

static void scan_arg(struct pw_scan_arg *a, uint64_t start, uint64_t end, bool wp)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	/* CHECK_WPASYNC: EPERM, not silence, if part of the range lost its
	 * registration (unmapped and mapped again by the application). */
	a->flags = PW_SCAN_CHECK_WPASYNC | (wp ? PW_SCAN_WP_MATCHING : 0);
	a->start = start;
	a->end = end;
}

static long scan(const struct uffd_async *u, struct pw_scan_arg *a)
{
	long n = ioctl(u->pagemap, PW_PAGEMAP_SCAN, a);

	return n < 0 ? -errno : n;
}

/*
 * Every page of [start, end) clean: vec_len 0 with WP_MATCHING protects
 * every entry not yet protected, and puts markers in the empty ones (S33).
 * The masks stay 0 so that ranges with no page table at all match too.
 */
static int protect(const struct uffd_async *u, uint64_t start, uint64_t end)
{
	struct pw_scan_arg a;
	long r;

	scan_arg(&a, start, end, true);
	r = scan(u, &a);
	return r < 0 ? (int)r : 0;
}

static uint64_t features_for(const struct pw_useg *segs, size_t n)
{
	uint64_t f = PW_UFFD_FEATURE_WP_ASYNC | PW_UFFD_FEATURE_WP_UNPOPULATED;

	/* Some kernels want this before they write-protect shmem. */
	if (pw_useg_shmem(segs, n))
		f |= PW_UFFD_FEATURE_WP_HUGETLBFS_SHMEM;
	return f;
}

static int arm(struct uffd_async *u, uint64_t start, uint64_t end)
{
	struct pw_useg *segs;
	size_t n;
	int r = pw_useg_collect(start, end, &segs, &n);

	if (r)
		return r;
	r = pw_uffd_handshake(u->uffd, features_for(segs, n));
	if (!r)
		r = pw_uffd_register(u->uffd, segs, n);
	free(segs);
	if (r)
		return r;
	r = pw_uffd_split_thp(u->uffd, start, end);
	if (!r)
		r = protect(u, start, end);
	if (r)
		pw_uffd_unregister(u->uffd, start, end);
	return r;
}

static void release(struct uffd_async *u)
{
	if (u->uffd >= 0)
		close(u->uffd);
	if (u->pagemap >= 0)
		close(u->pagemap);
	free(u);
}

static int ua_start(struct pw_watch *w)
{
	struct uffd_async *u = malloc(sizeof(*u));
	int r;

	if (!u)
		return -ENOMEM;
	u->owner = getpid();
	atomic_init(&u->pending, 0);
	u->uffd = pw_uffd_open();
	u->pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (u->uffd < 0 || u->pagemap < 0) {
		r = u->uffd < 0 ? u->uffd : -errno;
		release(u);
		return r;
	}
	r = arm(u, w->start, w->end);
	if (r) {
		release(u);
		return r;
	}
	w->priv = u;
	return 0;
}

/* The pages of one region, up to the room left. */
static size_t expand(const struct pw_region *reg, void **pages, size_t got, size_t want)
{
	uint64_t p;

	for (p = reg->start; p < reg->end && got < want; p += PW_PAGE_SIZE)
		pages[got++] = (void *)(uintptr_t)p;
	return got;
}

/* The regions a failed scan had written: vec was cleared before it, and
 * the kernel fills it from the start. */
static long written(const struct pw_region *vec)
{
	long n = 0;

	while (n < VEC && vec[n].end)
		n++;
	return n;
}

/*
 * category_mask = return_mask = WRITTEN is also the kernel's fast path,
 * where an empty entry inside the tracked range (a page dropped with
 * MADV_DONTNEED after protection) counts as written, as the kernel
 * documents it (S18, S31).  Never PRESENT: a written page may be swapped
 * out (lesson 2).  A full vec is not the end of the walk (lesson 1).
 */
static int ua_get(struct pw_watch *w, uint64_t start, uint64_t end, bool reset,
		  void **pages, size_t *count)
{
	struct uffd_async *u = w->priv;
	struct pw_region vec[VEC];
	struct pw_scan_arg a;
	size_t want = *count, got = 0;
	long n, i, k;
	int r;

	if (getpid() != u->owner)
		return -EPERM;
	r = atomic_exchange(&u->pending, 0);
	if (r)
		return r;
	scan_arg(&a, start, end, reset);
	a.vec = (uintptr_t)vec;
	a.vec_len = VEC;
	a.category_mask = a.return_mask = PW_PAGE_WRITTEN;
	memset(vec, 0, sizeof(vec));
	for (;;) {
		a.max_pages = want - got;
		n = scan(u, &a);
		k = n < 0 ? written(vec) : n;
		for (i = 0; i < k; i++)
			got = expand(&vec[i], pages, got, want);
		if (n < 0) {
			/* With reset, the pages stored are clean now:
			 * return them, and the error next time. */
			if (!reset || !got)
				return (int)n;
			atomic_store(&u->pending, (int)n);
			break;
		}
		if (n < VEC || got == want || a.walk_end >= end || a.walk_end <= a.start)
			break;
		memset(vec, 0, (size_t)n * sizeof(vec[0]));
		a.start = a.walk_end;
	}
	*count = got;
	return 0;
}

static int ua_reset(struct pw_watch *w, uint64_t start, uint64_t end)
{
	struct uffd_async *u = w->priv;
	int r;

	if (getpid() != u->owner)
		return -EPERM;
	r = atomic_exchange(&u->pending, 0);
	if (r)
		return r;
	return protect(u, start, end);
}

/* Unregistering resolves every protection of the range, so it is left
 * readable and writable; a child only drops its descriptors, which must
 * not touch the parent's registration. */
static void ua_stop(struct pw_watch *w)
{
	struct uffd_async *u = w->priv;

	if (getpid() == u->owner)
		pw_uffd_unregister(u->uffd, w->start, w->end);
	release(u);
	w->priv = NULL;
}

const struct pw_watch_ops pw_watch_uffd_async_ops = {
	.id = PW_BACKEND_UFFD_ASYNC,
	.start = ua_start,
	.get = ua_get,
	.reset = ua_reset,
	.stop = ua_stop,
};
