/* SPDX-License-Identifier: MIT */
/* A page dropped with MADV_DONTNEED changed (it reads as zeros now) without
 * a write: uffd-async, uffd-sync and soft-dirty report it written, so a
 * snapshot restore puts it back.  mprotect cannot see it (no fault
 * happens): documented in pw_watch_start(3), and asserted here as such.
 * (soft-dirty sees a drop only while the page is still unpopulated: a read
 * in between maps the zero page, which looks clean -- so the contents are
 * checked after the report.) */
#define _GNU_SOURCE
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>

#include "testlib.h"

#define N 16

int main(void)
{
	char *m = t_map(N);
	void *pages[N];
	struct pw_snapshot *snap;
	struct pw_watch *w;
	bool sees;
	size_t n;

	memset(m, 'a', N * PAGE);
	w = t_watch(m, N * PAGE);
	sees = pw_watch_backend(w) != PW_BACKEND_MPROTECT;
	CHECK_EQ(pw_snapshot_take(w, &snap), 0);
	CHECK_EQ(madvise(m + 5 * PAGE, 2 * PAGE, MADV_DONTNEED), 0);
	n = t_written(w, m, N * PAGE, pages, N);
	CHECK_EQ(m[5 * PAGE], 0);
	if (sees) {
		CHECK_EQ(n, 2);
		CHECK(n == 2 && pages[0] == m + 5 * PAGE && pages[1] == m + 6 * PAGE,
		      "the dropped pages");
		CHECK_EQ(pw_snapshot_restore(snap), 2);
		CHECK_EQ(m[5 * PAGE], 'a');
		CHECK_EQ(m[6 * PAGE + PAGE - 1], 'a');
	} else {
		CHECK_EQ(n, 0);
		CHECK_EQ(pw_snapshot_restore(snap), 0);
		CHECK_EQ(m[5 * PAGE], 0);
	}
	/* Tracking goes on for the dropped pages. */
	CHECK_EQ(pw_watch_reset(w, m, N * PAGE), 0);
	m[6 * PAGE] = 'z';
	n = t_written(w, m, N * PAGE, pages, N);
	CHECK(n == 1 && pages[0] == m + 6 * PAGE, "write after the drop: %zu pages", n);
	pw_snapshot_free(snap);
	pw_watch_stop(w);
	t_done();
}
