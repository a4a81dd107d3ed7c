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
 * Leave [start, end) clean after copying back into it.  Our own copying is
 * a write the watch saw, and must not be reported afterwards; but a writer
 * racing with us must not be lost either.  So the span is collected with a
 * reset, and every page that then differs from the snapshot was written
 * meanwhile: it is copied again (that write happened, as it were, before
 * the restore) and the span collected again, until it holds still.  Pages
 * of the span we did not copy come back only if written meanwhile: they
 * are compared, and restored too, the same way.  One collection for the
 * whole span, not one per run: that is what makes a restore cheap.
 */
static int settle(struct pw_snapshot *s, uint64_t start, uint64_t end)
{
	struct pw_watch *w = s->w;
	void *pages[BATCH];
	uint64_t cursor;
	bool again = true;
	int round, r;
	size_t n, i;

	for (round = 0; again && round < RETRIES; round++) {
		again = false;
		for (cursor = start; cursor < end;) {
			n = BATCH;
			r = w->ops->get(w, cursor, end, true, pages, &n);
			if (r)
				return r;
			for (i = 0; i < n; i++) {
				if (memcmp(pages[i], saved_page(s, pages[i]), PW_PAGE_SIZE)) {
					memcpy(pages[i], saved_page(s, pages[i]), PW_PAGE_SIZE);
					again = true;
				}
			}
			if (n < BATCH)
				break;
			cursor = (uintptr_t)pages[n - 1] + PW_PAGE_SIZE;
		}
	}
	return again ? -EAGAIN : 0;
}

long pw_snapshot_restore(struct pw_snapshot *s)
{
	void *pages[BATCH];
	uint64_t cursor, last;
	long total = 0;
	size_t n;
	int r;

	if (!s)
		return -EINVAL;
	for (cursor = s->w->start; cursor < s->w->end; cursor = last) {
		n = BATCH;
		r = s->w->ops->get(s->w, cursor, s->w->end, false, pages, &n);
		if (r)
			return r;
		if (!n)
			break;
		copy_back(s, pages, n);
		last = (uintptr_t)pages[n - 1] + PW_PAGE_SIZE;
		r = settle(s, (uintptr_t)pages[0], last);
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
