/* SPDX-License-Identifier: MIT */
/* PW_WATCH_RESET reports the state before the reset and cleans exactly the
 * pages it returned; pw_watch_reset of a sub-range leaves the rest written. */
#define _GNU_SOURCE
#include "testlib.h"

#define N 32

int main(void)
{
	char *m = t_map(N);
	void *pages[N];
	struct pw_watch *w = t_watch(m, N * PAGE);
	size_t n;
	int r;

	m[3 * PAGE] = 1;
	m[9 * PAGE] = 1;
	m[20 * PAGE] = 1;

	/* A get without reset cleans nothing. */
	CHECK_EQ(t_written(w, m, N * PAGE, pages, N), 3);
	CHECK_EQ(t_written(w, m, N * PAGE, pages, N), 3);

	/* *count 1 with three written: one returned, exactly that one cleaned. */
	n = 1;
	r = pw_watch_get(w, m, N * PAGE, PW_WATCH_RESET, pages, &n);
	CHECK_EQ(r, 0);
	CHECK_EQ(n, 1);
	CHECK(n == 1 && pages[0] == m + 3 * PAGE, "first written page");
	n = t_written(w, m, N * PAGE, pages, N);
	CHECK_EQ(n, 2);
	CHECK(n == 2 && pages[0] == m + 9 * PAGE && pages[1] == m + 20 * PAGE,
	      "the two not returned stay written");

	/* The cleaned page is tracked again. */
	m[3 * PAGE + 8] = 2;
	CHECK_EQ(t_written(w, m, N * PAGE, pages, N), 3);

	/* Reset with room for all: state before, then nothing. */
	n = N;
	r = pw_watch_get(w, m, N * PAGE, PW_WATCH_RESET, pages, &n);
	CHECK_EQ(r, 0);
	CHECK_EQ(n, 3);
	CHECK_EQ(t_written(w, m, N * PAGE, pages, N), 0);

	/* pw_watch_reset of a sub-range leaves the rest written. */
	m[1 * PAGE] = 1;
	m[10 * PAGE] = 1;
	m[11 * PAGE] = 1;
	m[30 * PAGE] = 1;
	CHECK_EQ(pw_watch_reset(w, m + 8 * PAGE, 8 * PAGE), 0);
	n = t_written(w, m, N * PAGE, pages, N);
	CHECK_EQ(n, 2);
	CHECK(n == 2 && pages[0] == m + PAGE && pages[1] == m + 30 * PAGE, "outside kept");

	/* A reset sub-range of a get-with-reset only cleans inside it. */
	m[12 * PAGE] = 1;
	n = N;
	CHECK_EQ(pw_watch_get(w, m + 12 * PAGE, PAGE, PW_WATCH_RESET, pages, &n), 0);
	CHECK_EQ(n, 1);
	CHECK_EQ(t_written(w, m, N * PAGE, pages, N), 2);

	/* Whole reset: nothing written; later writes seen again. */
	CHECK_EQ(pw_watch_reset(w, m, N * PAGE), 0);
	CHECK_EQ(t_written(w, m, N * PAGE, pages, N), 0);
	m[31 * PAGE + PAGE - 1] = 5;
	n = t_written(w, m, N * PAGE, pages, N);
	CHECK_EQ(n, 1);
	CHECK(n == 1 && pages[0] == m + 31 * PAGE, "last page");
	CHECK_EQ(m[31 * PAGE + PAGE - 1], 5);

	pw_watch_stop(w);
	t_done();
}
