/* SPDX-License-Identifier: MIT */
/* Snapshots: restore copies back exactly the pages written since the
 * snapshot or the last restore, returns how many, and its own copying is
 * not reported as a write afterwards. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "testlib.h"

#define N 256

int main(void)
{
	char *m = t_map(N);
	char *orig = malloc(N * PAGE);
	void *pages[N];
	struct pw_snapshot *s;
	struct pw_watch *w;
	size_t i;

	for (i = 0; i < N * PAGE; i += 64)
		m[i] = (char)(i >> 6);
	w = t_watch(m, N * PAGE);
	CHECK_EQ(pw_snapshot_take(NULL, &s), -EINVAL);
	CHECK_EQ(pw_snapshot_take(w, NULL), -EINVAL);
	CHECK_EQ(pw_snapshot_restore(NULL), -EINVAL);
	m[PAGE] = 42;			/* before the snapshot: part of it */
	CHECK_EQ(pw_snapshot_take(w, &s), 0);
	memcpy(orig, m, N * PAGE);

	/* Nothing written: nothing restored. */
	CHECK_EQ(pw_snapshot_restore(s), 0);

	for (i = 0; i < N; i += 7)
		m[i * PAGE + 9] = 'w';
	m[N * PAGE - 1] = 'z';		/* page N-1, not a multiple of 7 */
	memset(m + 100 * PAGE, 0, 3 * PAGE);	/* pages 100-102; 105 below */
	m[105 * PAGE] = 1;
	CHECK_EQ(pw_snapshot_restore(s), (N + 6) / 7 + 1 + 3 + 1 - 1);
	CHECK(!memcmp(m, orig, N * PAGE), "memory equals the snapshot");
	CHECK_EQ(m[PAGE], 42);

	/* Restoring was not a write. */
	CHECK_EQ(t_written(w, m, N * PAGE, pages, N), 0);
	CHECK_EQ(pw_snapshot_restore(s), 0);

	/* Again: one page. */
	m[200 * PAGE + 5] = 'q';
	CHECK_EQ(pw_snapshot_restore(s), 1);
	CHECK_EQ(m[200 * PAGE + 5], orig[200 * PAGE + 5]);
	CHECK(!memcmp(m, orig, N * PAGE), "memory equals the snapshot again");

	pw_snapshot_free(s);
	pw_snapshot_free(NULL);
	pw_watch_stop(w);
	free(orig);
	t_done();
}
