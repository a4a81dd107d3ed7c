/* SPDX-License-Identifier: MIT */
/* One watch per available backend in one process, side by side: each sees
 * exactly its own writes, and one's reset never cleans another's pages
 * (soft-dirty's clear_refs is process-wide; uffd-sync's handler thread
 * must let soft-dirty park it). */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "testlib.h"

#define N 8

int main(void)
{
	static const enum pw_backend all[] = { PW_BACKEND_UFFD_ASYNC, PW_BACKEND_UFFD_SYNC,
					       PW_BACKEND_SOFT_DIRTY, PW_BACKEND_MPROTECT };
	struct pw_watch *w[4] = { NULL };
	char *m[4];
	void *pages[N];
	int i, j, started = 0;
	size_t n;

	unsetenv("PAGEWATCH_BACKEND");
	for (i = 0; i < 4; i++) {
		m[i] = t_map(N);
		memset(m[i], i, N * PAGE);
		if (pw_watch_start(&w[i], m[i], N * PAGE, all[i]) == 0)
			started++;
	}
	if (started < 2)
		t_skip("fewer than two write-watch backends on this kernel");
	for (i = 0; i < 4; i++)
		if (w[i])
			m[i][(size_t)(i + 1) * PAGE] = 'w';
	for (i = 0; i < 4; i++) {
		if (!w[i])
			continue;
		/* Reset one, then every other still has its page. */
		n = N;
		CHECK_EQ(pw_watch_get(w[i], m[i], N * PAGE, PW_WATCH_RESET, pages, &n), 0);
		CHECK(n == 1 && pages[0] == m[i] + (size_t)(i + 1) * PAGE, "%s: own write: %zu",
		      pw_backend_name(all[i]), n);
		for (j = i + 1; j < 4; j++) {
			if (!w[j])
				continue;
			CHECK(t_written(w[j], m[j], N * PAGE, pages, N) == 1,
			      "%s lost its page to %s's reset", pw_backend_name(all[j]),
			      pw_backend_name(all[i]));
		}
	}
	for (i = 0; i < 4; i++) {
		if (!w[i])
			continue;
		CHECK_EQ(t_written(w[i], m[i], N * PAGE, pages, N), 0);
		pw_watch_stop(w[i]);
	}
	t_done();
}
