/* SPDX-License-Identifier: MIT */
/*
 * Snapshots on top of any watch backend: a private copy of the range, and
 * a restore that copies back only the pages the watch reports written.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

#define BATCH 512

struct pw_snapshot {
	struct pw_watch *w;
	char *copy;
	size_t len;
};

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
	s->copy = mmap(NULL, s->len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s->copy == MAP_FAILED) {
		free(s);
		return -ENOMEM;
	}
	/* Reset before copying: a page written while we copy is then
	 * reported written, and the next restore puts our copy back. */
	r = w->ops->reset(w, w->start, w->end);
	if (r) {
		munmap(s->copy, s->len);
		free(s);
		return r;
	}
	memcpy(s->copy, (const void *)(uintptr_t)w->start, s->len);
	*out = s;
	return 0;
}

#define RETRIES 64

/*
 * Copy back one run of pages and leave it clean.  Our own copying is a
 * write the watch saw, and must not be reported afterwards; but a writer
 * racing with us must not be lost either.  So the run is collected with a
 * reset after the copy, and every page that then differs from the
 * snapshot was written meanwhile: it is copied again (that write happened,
 * as it were, before the restore) and the run collected again, until it
 * holds still.
 */
static int restore_run(struct pw_snapshot *s, uint64_t start, uint64_t end)
{
	struct pw_watch *w = s->w;
	void *pages[BATCH];
	int round, r;
	size_t n, i;
	bool again = true;

	memcpy((void *)(uintptr_t)start, s->copy + (start - w->start), end - start);
	for (round = 0; again && round < RETRIES; round++) {
		n = (size_t)((end - start) / PW_PAGE_SIZE);
		r = w->ops->get(w, start, end, true, pages, &n);
		if (r)
			return r;
		again = false;
		for (i = 0; i < n; i++) {
			const char *saved = s->copy + ((uintptr_t)pages[i] - w->start);

			if (memcmp(pages[i], saved, PW_PAGE_SIZE)) {
				memcpy(pages[i], saved, PW_PAGE_SIZE);
				again = true;
			}
		}
	}
	return again ? -EAGAIN : 0;
}

long pw_snapshot_restore(struct pw_snapshot *s)
{
	void *pages[BATCH];
	uint64_t cursor, run_start, run_end;
	long total = 0;
	size_t n, i;
	int r;

	if (!s)
		return -EINVAL;
	for (cursor = s->w->start; cursor < s->w->end; cursor = run_end) {
		n = BATCH;
		r = s->w->ops->get(s->w, cursor, s->w->end, false, pages, &n);
		if (r)
			return r;
		if (!n)
			break;
		run_start = run_end = (uintptr_t)pages[0];
		for (i = 0; i < n; i++) {
			uint64_t p = (uintptr_t)pages[i];

			if (p != run_end) {
				r = restore_run(s, run_start, run_end);
				if (r)
					return r;
				run_start = p;
			}
			run_end = p + PW_PAGE_SIZE;
		}
		r = restore_run(s, run_start, run_end);
		if (r)
			return r;
		total += (long)n;
	}
	return total;
}

void pw_snapshot_free(struct pw_snapshot *s)
{
	if (!s)
		return;
	munmap(s->copy, s->len);
	free(s);
}
