/* SPDX-License-Identifier: MIT */
/* A fresh watch is clean; reads are not writes; one write marks exactly its
 * page; pages come ascending; sub-ranges and unaligned ranges round outward;
 * a write straddling two pages marks both; watching never changes memory. */
#define _GNU_SOURCE
#include <string.h>

#include "testlib.h"

#define N 64

int main(void)
{
	char *m = t_map(N);
	void *pages[N];
	struct pw_watch *w;
	size_t i, n;

	for (i = 0; i < N * PAGE; i++)
		m[i] = (char)(i * 7 + 3);
	w = t_watch(m, N * PAGE);

	CHECK_EQ(t_written(w, m, N * PAGE, pages, N), 0);
	for (i = 0; i < N * PAGE; i++)
		if (m[i] != (char)(i * 7 + 3))
			break;
	CHECK(i == N * PAGE, "memory changed by starting the watch at byte %zu", i);
	CHECK_EQ(t_written(w, m, N * PAGE, pages, N), 0);

	m[5 * PAGE + 100] = 1;
	n = t_written(w, m, N * PAGE, pages, N);
	CHECK_EQ(n, 1);
	CHECK(n == 1 && pages[0] == m + 5 * PAGE, "wrong page %p", n ? pages[0] : NULL);

	m[40 * PAGE] = 2;
	m[17 * PAGE + PAGE - 1] = 3;
	m[63 * PAGE] = 4;
	n = t_written(w, m, N * PAGE, pages, N);
	CHECK_EQ(n, 4);
	if (n == 4) {
		CHECK(pages[0] == m + 5 * PAGE && pages[1] == m + 17 * PAGE &&
		      pages[2] == m + 40 * PAGE && pages[3] == m + 63 * PAGE,
		      "pages not exact or not ascending");
	}

	/* A sub-range reports only its own pages. */
	n = t_written(w, m + 10 * PAGE, 30 * PAGE, pages, N);
	CHECK_EQ(n, 1);
	CHECK(n == 1 && pages[0] == m + 17 * PAGE, "sub-range");

	/* Unaligned address and length round outward to whole pages. */
	n = t_written(w, m + 17 * PAGE + 9, 1, pages, N);
	CHECK_EQ(n, 1);
	n = t_written(w, m + 39 * PAGE + PAGE - 1, 2, pages, N);
	CHECK_EQ(n, 1);
	CHECK(n == 1 && pages[0] == m + 40 * PAGE, "outward rounding");

	/* A 4-byte write straddling two pages marks both. */
	memcpy(m + 25 * PAGE + PAGE - 2, "abcd", 4);
	n = t_written(w, m + 24 * PAGE, 4 * PAGE, pages, N);
	CHECK_EQ(n, 2);
	CHECK(n == 2 && pages[0] == m + 25 * PAGE && pages[1] == m + 26 * PAGE, "straddle");

	/* Written bytes read back; untouched bytes kept. */
	CHECK_EQ(m[5 * PAGE + 100], 1);
	CHECK_EQ(m[5 * PAGE + 101], (char)((5 * PAGE + 101) * 7 + 3));
	CHECK(!memcmp(m + 25 * PAGE + PAGE - 2, "abcd", 4), "straddled bytes");

	/* A read of every page is still not a write. */
	for (i = 0; i < N; i++)
		(void)*(volatile char *)(m + i * PAGE + 1);
	CHECK_EQ(t_written(w, m, N * PAGE, pages, N), 6);

	pw_watch_stop(w);
	t_done();
}
