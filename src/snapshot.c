/* SPDX-License-Identifier: MIT */
/*
 * Snapshots on top of any watch backend: a private copy of the range, and
 * a restore that copies back only the pages the watch reports written.
 *
 * A restore, batch by batch: ask which pages were written (no reset), copy
 * them back, then collect the batch's span with a reset, so that our own
 * copying is not reported afterwards.  The watch keeps one bit per page,
 * so that collection cannot tell our copy from another thread's write
 * landing on the same page after it.  Such a write must not be lost: a
 * page that differs from the snapshot must stay reported written, or no
 * later restore would put it back.  So each page the collection returns
 * is compared with the snapshot, and one that differs is written again
 * with its own contents (an atomic add of zero), which the watch records:
 * the racing write simply counts as coming after the restore.  A page
 * the collection returns that we did not copy was written during the
 * restore, and is marked so without comparing.
 *
 * The comparison costs about as much as the copy.  It is skipped when no
 * other writer can exist: this process has no thread but the restoring
 * one (and pagewatch's own, which never write to watched memory), and
 * asynchronous signals are blocked meanwhile, so no handler runs on it.
 * The number of threads is the link count of /proc/self/task, less two
 * (checked against /proc/self/stat when the snapshot is taken); it is
 * read before the restore and after each collection, so a thread that
 * appears midway (an io_uring worker, say) makes the batches from there on
 * compare again.  Only a thread that both starts and ends within one
 * batch would go unseen, and while its signals are blocked the restoring
 * thread starts none itself.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define BATCH 512

struct pw_snapshot {
	struct pw_watch *w;
	char *copy;		/* the saved range, 2 MiB aligned */
	size_t len;
	int task_fd;		/* /proc/self/task: links = threads + 2; -1: unknown */
	pid_t owner;
};

/*
 * Memory for the copy, 2 MiB aligned and asking for transparent huge
 * pages: a restore reads scattered pages of it, and with 4 KiB pages each
 * of those reads is a TLB miss of its own.  Where THP is off it is plain
 * memory.
 */
static char *copy_alloc(size_t len)
{
	size_t span = len + PW_PMD_SIZE;
	char *m = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *a;

	if (m == MAP_FAILED)
		return NULL;
	a = (char *)pw_align_up((uintptr_t)m, PW_PMD_SIZE);
	if (a > m)
		munmap(m, (size_t)(a - m));
	munmap(a + len, (size_t)(m + span - (a + len)));
	madvise(a, len, MADV_HUGEPAGE);
	return a;
}

/* Field 20 of /proc/self/stat, after the command name in parentheses. */
static long stat_threads(void)
{
	char buf[1024], *p;
	long threads = -1;
	ssize_t n;
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC), i;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	for (i = 2; p && i < 20; i++)
		p = strchr(p + 1, ' ');
	if (p)
		threads = strtol(p + 1, NULL, 10);
	return threads;
}

static nlink_t task_links(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : st.st_nlink;
}

/* /proc/self/task, kept only if its link count is the thread count plus
 * two, as it has been on Linux for long; else restores always compare. */
static int task_dir_open(void)
{
	int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	nlink_t before;
	long threads;

	if (fd < 0)
		return -1;
	before = task_links(fd);
	threads = stat_threads();
	if (threads > 0 && before == (nlink_t)threads + 2 && task_links(fd) == before)
		return fd;
	close(fd);
	return -1;
}

/* No thread of this process but the caller and pagewatch's own. */
static bool alone(const struct pw_snapshot *s)
{
	if (s->task_fd < 0 || getpid() != s->owner)
		return false;
	return task_links(s->task_fd) == (nlink_t)3 + (nlink_t)pw_world_own_threads();
}

void pw_snapshot_free(struct pw_snapshot *s)
{
	if (!s)
		return;
	if (s->copy)
		munmap(s->copy, s->len);
	if (s->task_fd >= 0)
		close(s->task_fd);
	free(s);
}

int pw_snapshot_take(struct pw_watch *w, struct pw_snapshot **out)
{
	struct pw_snapshot *s;
	int r;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!w)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->w = w;
	s->len = (size_t)(w->end - w->start);
	s->owner = getpid();
	s->task_fd = task_dir_open();
	s->copy = copy_alloc(s->len);
	if (!s->copy) {
		pw_snapshot_free(s);
		return -ENOMEM;
	}
	/* Reset before copying: a page written while we copy is then
	 * reported written, and the next restore puts our copy back. */
	r = w->ops->reset(w, w->start, w->end);
	if (r) {
		pw_snapshot_free(s);
		return r;
	}
	memcpy(s->copy, (const void *)(uintptr_t)w->start, s->len);
	*out = s;
	return 0;
}

static const char *saved_page(const struct pw_snapshot *s, const void *page)
{
	return s->copy + ((uintptr_t)page - s->w->start);
}

/* Copy the pages back, a run of adjacent ones at a time. */
static void copy_back(struct pw_snapshot *s, void **pages, size_t n)
{
	size_t i = 0, j;

	while (i < n) {
		for (j = i + 1; j < n && (char *)pages[j] == (char *)pages[j - 1] + PW_PAGE_SIZE; j++)
			;
		memcpy(pages[i], saved_page(s, pages[i]), (j - i) * PW_PAGE_SIZE);
		i = j;
	}
}

/*
 * Write to a page without changing it, so that the watch records a write:
 * an atomic add, which leaves a concurrent store to the same byte intact.
 * The addend is read from a volatile so that no compiler can prove it zero
 * and turn the add into a load.
 */
static void mark_written(void *page)
{
	static volatile unsigned char zero;

	__atomic_fetch_add((unsigned char *)page, zero, __ATOMIC_RELAXED);
}

/*
 * The pages got[0..n) were just collected with a reset; copied[0..nc) are
 * those this batch copied back (both ascending).  Keep reported every one
 * another writer may have written since: all of those we did not copy,
 * and, unless nobody else can write, those we copied that no longer hold
 * the snapshot's contents.
 */
static void keep_raced(const struct pw_snapshot *s, void **copied, size_t nc,
		       void **got, size_t n, bool quiet)
{
	size_t i, j = 0;
	bool ours;

	for (i = 0; i < n; i++) {
		while (j < nc && (char *)copied[j] < (char *)got[i])
			j++;
		ours = j < nc && copied[j] == got[i];
		if (!ours || (!quiet && memcmp(got[i], saved_page(s, got[i]), PW_PAGE_SIZE)))
			mark_written(got[i]);
	}
}

/* Collect [start, end), which holds the batch copied[0..nc), with a reset. */
static int settle(const struct pw_snapshot *s, void **copied, size_t nc,
		  uint64_t start, uint64_t end, bool *quiet)
{
	struct pw_watch *w = s->w;
	void *got[BATCH];
	uint64_t cursor;
	size_t n;
	int r;

	for (cursor = start; cursor < end;) {
		n = BATCH;
		r = w->ops->get(w, cursor, end, true, got, &n);
		if (r)
			return r;
		*quiet = *quiet && alone(s);
		keep_raced(s, copied, nc, got, n, *quiet);
		if (n < BATCH)
			break;
		cursor = (uintptr_t)got[n - 1] + PW_PAGE_SIZE;
	}
	return 0;
}

/* Every signal a thread may block: the faults mprotect's handler (or an
 * application's) must see, and the stop of the world, stay deliverable. */
static void block_async_signals(sigset_t *old)
{
	static const int sync_signals[] = {
		SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS,
	};
	sigset_t set;
	size_t i;

	sigfillset(&set);
	for (i = 0; i < sizeof(sync_signals) / sizeof(sync_signals[0]); i++)
		sigdelset(&set, sync_signals[i]);
	sigdelset(&set, PW_STOP_SIGNAL);
	pthread_sigmask(SIG_BLOCK, &set, old);
}

long pw_snapshot_restore(struct pw_snapshot *s)
{
	struct pw_watch *w;
	void *pages[BATCH];
	uint64_t cursor, last;
	long total = 0;
	sigset_t old;
	bool quiet, blocked;
	size_t n;
	int r = 0;

	if (!s)
		return -EINVAL;
	w = s->w;
	quiet = blocked = alone(s);
	if (blocked)
		block_async_signals(&old);
	for (cursor = w->start; cursor < w->end; cursor = last) {
		n = BATCH;
		r = w->ops->get(w, cursor, w->end, false, pages, &n);
		if (r || !n)
			break;
		copy_back(s, pages, n);
		last = (uintptr_t)pages[n - 1] + PW_PAGE_SIZE;
		r = settle(s, pages, n, (uintptr_t)pages[0], last, &quiet);
		if (r)
			break;
		total += (long)n;
		if (n < BATCH)
			break;	/* the query reached the end */
	}
	if (blocked)
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r ? r : total;
}
