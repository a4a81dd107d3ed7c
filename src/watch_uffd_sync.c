/* SPDX-License-Identifier: MIT */
/*
 * uffd-sync: userfaultfd write-protect resolved by pagewatch (5.7+).
 *
 * The range is registered for write-protect on a userfaultfd without
 * WP_ASYNC.  A write to a protected page stops the writing thread in the
 * kernel and queues a message; our handler thread reads it, marks the page
 * in the watch's bitmap and lifts the protection of that one page, which
 * also wakes the writer.  get reads the bitmap; with reset it cleans the
 * pages it reports and protects them again.
 *
 * Dropped pages: MADV_DONTNEED (or reclaim of a lazily freed page) empties
 * an anonymous entry and the kernel keeps no protection for it (markers
 * survive a zap only in shmem), so a later write raises no fault.  get
 * therefore also reads pagemap's uffd-wp bit (5.13+) for the pages it
 * looks at: a page not shown protected counts as written, as on uffd-async
 * (S17, S18, S36), and is protected again once reported.  Where pagemap
 * cannot tell (older kernel, or a process made non-dumpable by a change of
 * credentials) a page dropped while clean goes unseen until a reset
 * covering it.
 *
 * One handler thread per watch: its life is the watch's, stop is a join,
 * no registry or address lookup is shared between watches, and a slow
 * watch never delays another one's writers.  The price is one thread (with
 * a small stack) per watch.  The handler runs with every signal blocked:
 * an application handler that wrote to watched memory on that thread
 * would wait for itself.  It is also exempt from the soft-dirty backend's
 * stop of the world (pw_world_exempt_self): the stopping thread may write
 * to a page this watch protects (its own state on malloc's heap), and only
 * a running handler can let it go on.  The handler never waits for a
 * parked thread: the only lock it takes is the watch's, which is held
 * with every signal blocked, so never by a parked thread.
 *
 * The lock: the handler's "mark, unprotect" and get's "clean, protect" of
 * a page each happen entirely under the watch's mutex, so neither can fall
 * between the two steps of the other.  (Unprotect between our clean and
 * protect would leave a writable page marked clean: lost writes.)  Callers
 * hold it with signals blocked, so that a signal handler writing to the
 * range cannot wait for a handler that waits for the mutex.  For the same
 * reason nothing done under it may write to memory a caller could be
 * watching (malloc's heap is watchable): no allocation, no read() into a
 * buffer but the stack, no walk of /proc/self/maps.  The watch's state,
 * and the list of the range's mappings that protecting and populating
 * need, live in mappings of their own; the list is read when the watch
 * starts, and again (outside the lock) only when an operation under the
 * lock fails, since the application may have changed the mappings since.
 * A thread whose stack is inside a uffd-sync watch must not call get or
 * reset on it.
 *
 * A get with reset that fails after it has already cleaned some pages
 * (part of the range was unmapped and mapped again, so it can no longer be
 * protected) returns those pages, successfully, and the next get or reset
 * returns the error: pages cleaned but never returned would be writes
 * lost.
 *
 * Kernel writes: the userfaultfd is opened without UFFD_USER_MODE_ONLY
 * where this process may (CAP_SYS_PTRACE, vm.unprivileged_userfaultfd=1 or
 * /dev/userfaultfd), so a read() into a protected page waits in the kernel
 * for the handler and is counted.  Only where no such descriptor is
 * allowed do we fall back to a user-mode-only one, on which those system
 * calls fail with EFAULT instead, as on the mprotect backend.
 *
 * Never-touched pages: with WP_UNPOPULATED (6.4+) protection puts markers
 * in empty entries, and a first write to such a page is trapped like any
 * other.  Without it an empty anonymous entry cannot carry the uffd-wp bit
 * and a first write there would not be seen.  We then read every page of
 * the private anonymous pieces before protecting them: a read maps the
 * shared zero page (nothing allocated, contents unchanged), and that entry
 * does carry the bit, so the write that replaces the zero page traps.
 * (Writing each page's own value back would also make entries, but
 * allocates every page, and a plain read-modify-write could undo another
 * thread's store made in between.)  shmem needs neither: its empty
 * entries always get markers.  Protecting again (get with reset, reset)
 * first reads the pages once more, since a dropped page has no entry
 * again.  Set PAGEWATCH_UFFD_PREFAULT=1 to use this path where
 * WP_UNPOPULATED exists (lesson 4: every fallback can be forced).
 *
 * After fork() the child's copy of the range is not registered (not
 * inherited), so the child writes it freely; the userfaultfd and the
 * handler stay the parent's, and the child's calls on the watch fail with
 * EPERM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

#define CHUNK 512			/* pages looked at per hold of the lock */
#define MSGS 16				/* messages per read() */
#define HANDLER_STACK ((size_t)128 * 1024)

struct uffd_sync {
	pthread_mutex_t lock;	/* the bitmap, the protection of its pages, segs */
	uint64_t base;		/* the watch's first page */
	size_t npages;
	size_t size;		/* of the mapping holding this and the bitmap */
	int uffd;
	int stopfd;		/* eventfd: the handler returns */
	bool registered;
	bool thread_started;
	bool prefault;		/* no WP_UNPOPULATED: make entries by reading */
	int pagemap;		/* /proc/self/pagemap, when it shows uffd-wp */
	pthread_t thread;
	pid_t owner;		/* the process that started the watch */
	sem_t ready;		/* the handler has set handler_err */
	int handler_err;	/* pw_world_exempt_self()'s answer */
	atomic_int pending;	/* an error for the next get or reset */
	struct pw_usegs segs;	/* the range's mappings, as last read */
	uint64_t bits[];	/* one per page: written since its last reset */
};

static size_t page_index(const struct uffd_sync *s, uint64_t addr)
{
	return (size_t)((addr - s->base) / PW_PAGE_SIZE);
}

static uint64_t page_addr(const struct uffd_sync *s, size_t i)
{
	return s->base + (uint64_t)i * PW_PAGE_SIZE;
}

static void set_bit(struct uffd_sync *s, size_t i)
{
	s->bits[i / 64] |= 1ULL << (i % 64);
}

static void clear_bit(struct uffd_sync *s, size_t i)
{
	s->bits[i / 64] &= ~(1ULL << (i % 64));
}

static void clear_bits(struct uffd_sync *s, size_t from, size_t to)
{
	for (; from < to && from % 64; from++)
		clear_bit(s, from);
	for (; from + 64 <= to; from += 64)
		s->bits[from / 64] = 0;
	for (; from < to; from++)
		clear_bit(s, from);
}

/* Up to max set bits of [i, to), ascending, into out. */
static size_t find_set(const struct uffd_sync *s, size_t i, size_t to, size_t *out, size_t max)
{
	size_t n = 0;
	uint64_t word;

	while (i < to && n < max) {
		word = s->bits[i / 64] >> (i % 64);
		if (!word) {
			i = (i / 64 + 1) * 64;
			continue;
		}
		i += (size_t)__builtin_ctzll(word);
		if (i >= to)
			break;
		out[n++] = i++;
	}
	return n;
}

static void lock(struct uffd_sync *s, sigset_t *old)
{
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, old);
	pthread_mutex_lock(&s->lock);
}

static void unlock(struct uffd_sync *s, const sigset_t *old)
{
	pthread_mutex_unlock(&s->lock);
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

/* ---- the handler thread ---- */

static void resolve(struct uffd_sync *s, const struct pw_uffd_msg *m)
{
	uint64_t page = pw_align_down(m->arg.pagefault.address, PW_PAGE_SIZE);
	int r;

	/* We asked for no events (fork, remap, remove, unmap). */
	if (m->event != PW_UFFD_EVENT_PAGEFAULT)
		return;
	/* Not a write-protect fault (we registered no other mode): let the
	 * thread retry rather than leave it waiting. */
	if (!(m->arg.pagefault.flags & PW_UFFD_PAGEFAULT_FLAG_WP)) {
		pw_uffd_wake(s->uffd, page, page + PW_PAGE_SIZE);
		return;
	}
	pthread_mutex_lock(&s->lock);
	if (page >= s->base && page_index(s, page) < s->npages)
		set_bit(s, page_index(s, page));
	r = pw_uffd_wp(s->uffd, page, page + PW_PAGE_SIZE, false, NULL);
	pthread_mutex_unlock(&s->lock);
	/* Unprotecting wakes the writer; if it failed (the range is being
	 * unregistered), wake it anyway. */
	if (r)
		pw_uffd_wake(s->uffd, page, page + PW_PAGE_SIZE);
}

static void drain(struct uffd_sync *s)
{
	struct pw_uffd_msg msg[MSGS];
	ssize_t r;
	size_t i;

	for (;;) {
		r = read(s->uffd, msg, sizeof(msg));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return;		/* EAGAIN: nothing more queued */
		for (i = 0; i < (size_t)r / sizeof(msg[0]); i++)
			resolve(s, &msg[i]);
	}
}

static void *handler(void *arg)
{
	struct uffd_sync *s = arg;
	struct pollfd pfd[2];

	/* Never parked by a stop of the world (see the top). */
	s->handler_err = pw_world_exempt_self();
	sem_post(&s->ready);
	if (s->handler_err)
		return NULL;
	pfd[0].fd = s->uffd;
	pfd[0].events = POLLIN;
	pfd[1].fd = s->stopfd;
	pfd[1].events = POLLIN;
	for (;;) {
		if (poll(pfd, 2, -1) < 0)
			continue;
		if (pfd[1].revents)
			break;
		if (pfd[0].revents & POLLIN)
			drain(s);
		else if (pfd[0].revents)
			pfd[0].fd = -1;	/* a broken descriptor: do not spin */
	}
	pw_world_unexempt_self();
	return NULL;
}

static int start_handler(struct uffd_sync *s)
{
	pthread_attr_t attr;
	sigset_t all, old;
	int r;

	s->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->stopfd < 0)
		return -errno;
	r = pthread_attr_init(&attr);
	if (r)
		return -r;
	pthread_attr_setstacksize(&attr, HANDLER_STACK);
	/* The new thread inherits this mask: every signal blocked, the one
	 * that parks threads included (the handler is exempt instead). */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(&s->thread, &attr, handler, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (r)
		return -r;
	/* Started only once it is exempt: -ENOSPC fails the start. */
	while (sem_wait(&s->ready) && errno == EINTR)
		;
	if (s->handler_err) {
		pthread_join(s->thread, NULL);
		return s->handler_err;
	}
	s->thread_started = true;
	pthread_setname_np(s->thread, "pagewatch-uffd");
	return 0;
}

static void stop_handler(struct uffd_sync *s)
{
	uint64_t one = 1;

	if (!s->thread_started)
		return;
	while (write(s->stopfd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
	pthread_join(s->thread, NULL);
	s->thread_started = false;
}

/* ---- protection ---- */

/* The kernel says ENOENT when part of the range is no longer registered
 * (the application unmapped it and mapped something else there); say
 * EPERM, as PAGEMAP_SCAN's CHECK_WPASYNC does on uffd-async.  Under the
 * lock: cut at the mappings of s->segs where the kernel wants that. */
static int wp(const struct uffd_sync *s, uint64_t start, uint64_t end)
{
	int r = pw_uffd_wp(s->uffd, start, end, true, &s->segs);

	return r == -ENOENT ? -EPERM : r;
}

/* Entries for the never-touched pages of a range about to be protected,
 * when the kernel cannot mark empty entries (see the top).  anon_only
 * keeps shmem holes from being filled (shmem has markers anyway).  Under
 * the lock, or before the handler runs. */
static int prefault(const struct uffd_sync *s, uint64_t start, uint64_t end, bool anon_only)
{
	if (!s->prefault)
		return 0;
	return pw_uffd_populate(start, end, anon_only, &s->segs);
}

/*
 * The range's mappings read again, after an operation under the lock
 * failed (the application may have changed them since they were read):
 * read outside the lock, since reading allocates and fills malloc'ed
 * buffers, then swapped in under it.
 */
static int refresh_segs(struct uffd_sync *s)
{
	struct pw_usegs fresh, stale;
	sigset_t old;
	int r = pw_usegs_read(&fresh, s->base, page_addr(s, s->npages));

	if (r)
		return r;
	lock(s, &old);
	stale = s->segs;
	s->segs = fresh;
	unlock(s, &old);
	pw_usegs_free(&stale);
	return 0;
}

/*
 * Protect the pages idx[0..n) (ascending), one ioctl per run of adjacent
 * pages, then mark the run clean; *done is set to how many of them were
 * (every run before the first failure).  Under the lock the handler sees
 * both steps at once, so their order is ours to choose: protecting first
 * means that a failure leaves the run's bits set, and its pages are
 * reported again rather than lost.  These pages were written, so they have
 * entries; reading them again (prefault mode) only restores what was
 * dropped since.
 */
static int reset_found(struct uffd_sync *s, const size_t *idx, size_t n, size_t *done)
{
	size_t i, j, k;
	int r = 0;

	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && idx[j] == idx[j - 1] + 1; j++)
			;
		r = prefault(s, page_addr(s, idx[i]), page_addr(s, idx[j - 1] + 1), false);
		if (!r)
			r = wp(s, page_addr(s, idx[i]), page_addr(s, idx[j - 1] + 1));
		if (r)
			break;
		for (k = i; k < j; k++)
			clear_bit(s, idx[k]);
	}
	*done = i;
	return r;
}

static int reset_range_locked(struct uffd_sync *s, uint64_t start, uint64_t end)
{
	sigset_t old;
	int r;

	lock(s, &old);
	r = prefault(s, start, end, true);
	if (!r)
		r = wp(s, start, end);
	if (!r)
		clear_bits(s, page_index(s, start), page_index(s, end));
	unlock(s, &old);
	return r;
}

/* Protecting again is harmless, so a failure is simply retried once with
 * the mappings read again. */
static int reset_range(struct uffd_sync *s, uint64_t start, uint64_t end)
{
	int r = reset_range_locked(s, start, end);

	if (r && !refresh_segs(s))
		r = reset_range_locked(s, start, end);
	return r;
}

/* ---- start and stop ---- */

static struct uffd_sync *state_new(const struct pw_watch *w)
{
	size_t npages = (size_t)((w->end - w->start) / PW_PAGE_SIZE);
	size_t size = pw_align_up(sizeof(struct uffd_sync) + (npages + 63) / 64 * 8,
				  PW_PAGE_SIZE);
	struct uffd_sync *s = mmap(NULL, size, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (s == MAP_FAILED)
		return NULL;
	pthread_mutex_init(&s->lock, NULL);
	sem_init(&s->ready, 0, 0);
	atomic_init(&s->pending, 0);
	s->base = w->start;
	s->npages = npages;
	s->size = size;
	s->uffd = -1;
	s->stopfd = -1;
	s->pagemap = -1;
	s->owner = getpid();
	return s;
}

/* Undo whatever start did; leaves the range readable and writable. */
static void teardown(struct uffd_sync *s, uint64_t start, uint64_t end)
{
	if (s->registered && getpid() == s->owner) {
		/* Unregistering resolves every protection but does not wake
		 * threads already waiting for the handler: wake them, so none
		 * is left asleep if the handler has not read its message. */
		pw_uffd_unregister(s->uffd, start, end);
		pw_uffd_wake(s->uffd, start, end);
		stop_handler(s);
	}
	if (s->uffd >= 0)
		close(s->uffd);
	if (s->stopfd >= 0)
		close(s->stopfd);
	if (s->pagemap >= 0)
		close(s->pagemap);
	pw_usegs_free(&s->segs);
	sem_destroy(&s->ready);
	pthread_mutex_destroy(&s->lock);
	munmap(s, s->size);
}

static int open_uffd(struct uffd_sync *s, bool shmem)
{
	const char *force = getenv("PAGEWATCH_UFFD_PREFAULT");
	uint64_t offered = pw_probe_cached()->uffd_features, features = 0;

	s->uffd = pw_uffd_open_kernel();
	if (s->uffd == -EPERM)
		s->uffd = pw_uffd_open();	/* user mode only: see the top */
	if (s->uffd < 0)
		return s->uffd;
	s->prefault = !(offered & PW_UFFD_FEATURE_WP_UNPOPULATED) ||
		      (force && !strcmp(force, "1"));
	if (!s->prefault)
		features |= PW_UFFD_FEATURE_WP_UNPOPULATED;
	if (shmem)
		features |= PW_UFFD_FEATURE_WP_HUGETLBFS_SHMEM;
	return pw_uffd_handshake(s->uffd, features);
}

/* Our pagemap, if it shows the uffd-wp bit (5.13+) of the page we just
 * protected; without it (older kernel, or a process made non-dumpable by
 * a change of credentials) a page dropped while clean goes unseen until a
 * reset covering it protects it again. */
static void open_pagemap(struct uffd_sync *s)
{
	uint64_t e = 0;

	s->pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (s->pagemap < 0)
		return;
	if (pread(s->pagemap, &e, sizeof(e), (off_t)(s->base / PW_PAGE_SIZE * 8)) ==
	    (ssize_t)sizeof(e) && e >> PM_UFFD_WP_BIT & 1)
		return;
	close(s->pagemap);
	s->pagemap = -1;
}

/* The handler runs before anything is protected: the THP split already
 * protects a page, and another thread may write it at once. */
static int arm(struct uffd_sync *s, const struct pw_useg *segs, size_t n,
	       uint64_t start, uint64_t end)
{
	sigset_t old;
	int r = open_uffd(s, pw_useg_shmem(segs, n));

	if (!r)
		r = pw_uffd_register(s->uffd, segs, n);
	if (r)
		return r;
	s->registered = true;
	r = pw_usegs_set(&s->segs, segs, n);
	if (!r)
		r = start_handler(s);
	if (!r)
		r = pw_uffd_split_thp(s->uffd, start, end);
	if (!r)
		r = prefault(s, start, end, true);
	if (r)
		return r;
	/* Every page clean, whatever the handler saw during the start. */
	lock(s, &old);
	r = pw_uffd_wp(s->uffd, start, end, true, &s->segs);
	memset(s->bits, 0, (s->npages + 63) / 64 * 8);
	if (!r)
		open_pagemap(s);
	unlock(s, &old);
	return r;
}

static int us_start(struct pw_watch *w)
{
	struct uffd_sync *s;
	struct pw_useg *segs;
	size_t n;
	int r = pw_useg_collect(w->start, w->end, &segs, &n);

	if (r)
		return r;
	s = state_new(w);
	if (!s) {
		free(segs);
		return -ENOMEM;
	}
	r = arm(s, segs, n, w->start, w->end);
	free(segs);
	if (r) {
		teardown(s, w->start, w->end);
		return r;
	}
	w->priv = s;
	return 0;
}

static void us_stop(struct pw_watch *w)
{
	teardown(w->priv, w->start, w->end);
	w->priv = NULL;
}

/* ---- get and reset ---- */

/*
 * A page the kernel no longer shows write-protected is written, whatever
 * the bitmap says: that is how a page dropped by MADV_DONTNEED (or lazily
 * freed) is seen, since an anonymous zap keeps no uffd-wp marker and a
 * write to the empty entry would raise no fault.  Reporting it, like
 * uffd-async does (S17, S18), also protects it again.  Pages the handler
 * unprotected are in the bitmap already.  Called under the lock, so that
 * the handler cannot unprotect a page between this and a reset.
 */
static int merge_pagemap(struct uffd_sync *s, size_t from, size_t to)
{
	uint64_t e[CHUNK];
	ssize_t len = (ssize_t)((to - from) * sizeof(e[0]));
	size_t i;

	if (s->pagemap < 0)
		return 0;
	if (pread(s->pagemap, e, (size_t)len, (off_t)(page_addr(s, from) / PW_PAGE_SIZE * 8)) != len)
		return -EIO;
	for (i = 0; i < to - from; i++)
		if (!(e[i] >> PM_UFFD_WP_BIT & 1))
			set_bit(s, from + i);
	return 0;
}

/*
 * A block of pages at a time: look, find, and with reset protect and
 * clean, under the lock; store into pages outside it, since pages may
 * itself lie in the watched range and a write there must be free to
 * fault.  Each page is reported and cleaned atomically, as PAGEMAP_SCAN
 * does it (S32).  A failure is retried once with the range's mappings read
 * again; if it persists after pages were cleaned, those are returned and
 * the error kept for the next call (see the top).
 */
static int us_get(struct pw_watch *w, uint64_t start, uint64_t end, bool reset,
		  void **pages, size_t *count)
{
	struct uffd_sync *s = w->priv;
	size_t idx[CHUNK], want = *count, got = 0, n, k, j, stop, done;
	size_t i = page_index(s, start), to = page_index(s, end);
	bool retried = false;
	sigset_t old;
	int r;

	if (getpid() != s->owner)
		return -EPERM;
	r = atomic_exchange(&s->pending, 0);
	if (r)
		return r;
	while (got < want && i < to) {
		k = want - got < CHUNK ? want - got : CHUNK;
		stop = to - i < CHUNK ? to : i + CHUNK;
		lock(s, &old);
		r = merge_pagemap(s, i, stop);
		n = r ? 0 : find_set(s, i, stop, idx, k);
		done = n;
		if (reset && n)
			r = reset_found(s, idx, n, &done);
		unlock(s, &old);
		for (j = 0; j < done; j++) {
			/* done <= n: reset_found stops early, never late (the
			 * analyzer loses track of it through prefault and wp).
			 * NOLINTNEXTLINE(clang-analyzer-core.CallAndMessage) */
			pages[got++] = (void *)(uintptr_t)page_addr(s, idx[j]);
		}
		if (r) {
			if (retried || refresh_segs(s))
				break;
			retried = true;
			r = 0;
			if (done)
				i = idx[done - 1] + 1;
			continue;
		}
		i = n == k ? idx[n - 1] + 1 : stop;
	}
	if (r && reset && got) {
		atomic_store(&s->pending, r);
		r = 0;
	}
	*count = got;
	return r;
}

static int us_reset(struct pw_watch *w, uint64_t start, uint64_t end)
{
	struct uffd_sync *s = w->priv;
	int r;

	if (getpid() != s->owner)
		return -EPERM;
	r = atomic_exchange(&s->pending, 0);
	if (r)
		return r;
	return reset_range(s, start, end);
}

const struct pw_watch_ops pw_watch_uffd_sync_ops = {
	.id = PW_BACKEND_UFFD_SYNC,
	.start = us_start,
	.get = us_get,
	.reset = us_reset,
	.stop = us_stop,
};
