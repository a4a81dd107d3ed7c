/* SPDX-License-Identifier: MIT */
/*
 * uffd-sync's handler threads: one per watch, named pagewatch-uffd, with
 * every signal blocked (the stop-the-world one too), gone after
 * pw_watch_stop (counted by name in /proc/self/task).  uffd-async has
 * none.  Stopping a watch while another thread keeps writing into it (and
 * is often waiting for the handler at that moment) neither hangs that
 * thread nor loses its writes.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "testlib.h"

#define N 64
#define MAX_TASKS 64

static int tasks(long *tids, int max)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!d) {
		perror("/proc/self/task");
		exit(1);
	}
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && n < max)
			tids[n++] = atol(e->d_name);
	closedir(d);
	return n;
}

static void task_file(long tid, const char *file, char *buf, size_t len)
{
	char path[64];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/%s", tid, file);
	f = fopen(path, "r");
	n = f ? fread(buf, 1, len - 1, f) : 0;
	buf[n] = 0;
	if (f)
		fclose(f);
}

/* The handler threads now listed, their ids into tids. */
static int handlers(long *tids)
{
	long all[MAX_TASKS];
	char comm[64];
	int n = tasks(all, MAX_TASKS), i, k = 0;

	for (i = 0; i < n; i++) {
		task_file(all[i], "comm", comm, sizeof(comm));
		if (!strcmp(comm, "pagewatch-uffd\n"))
			tids[k++] = all[i];
	}
	return k;
}

/* A joined thread can stay listed for a moment (it is released after it
 * wakes its joiner; long on a slow emulated machine): wait up to 5 s for
 * the number of handlers to become want.  Returns the last count. */
static int wait_handlers(int want, long *tids)
{
	int i, n = 0;

	for (i = 0; i < 500; i++) {
		n = handlers(tids);
		if (n == want)
			break;
		usleep(10000);
	}
	return n;
}

static void check_handler(long tid)
{
	char buf[4096], *blk;
	unsigned long long mask;

	task_file(tid, "status", buf, sizeof(buf));
	blk = strstr(buf, "SigBlk:");
	CHECK(blk != NULL, "no SigBlk");
	if (!blk)
		return;
	mask = strtoull(blk + 7, NULL, 16);
	CHECK((mask >> (SIGSEGV - 1) & 1) && (mask >> (SIGUSR1 - 1) & 1) &&
	      (mask >> (SIGINT - 1) & 1) && (mask >> (SIGRTMIN - 1) & 1),
	      "handler's blocked signals %llx", mask);
	/* Exempt from the stop of the world instead of parked by it. */
	CHECK(mask >> (PW_STOP_SIGNAL - 1) & 1, "handler takes the stop signal: %llx", mask);
}

static char *mem;
static atomic_int stop_writer;
static atomic_long last;

static void *writer(void *arg)
{
	long v = 0;

	(void)arg;
	while (!atomic_load(&stop_writer)) {
		v++;
		((volatile long *)(mem + (size_t)(v % N) * PAGE))[1] = v;
	}
	atomic_store(&last, v);
	return NULL;
}

static void counts(void)
{
	long h[MAX_TASKS], ha;
	struct pw_watch *a, *b, *c;
	char *m = t_map(2 * N);

	CHECK_EQ(wait_handlers(0, h), 0);
	CHECK_EQ(pw_watch_start(&a, m, N * PAGE, PW_BACKEND_UFFD_SYNC), 0);
	CHECK_EQ(wait_handlers(1, h), 1);
	ha = h[0];
	check_handler(ha);
	CHECK_EQ(pw_watch_start(&b, m + N * PAGE, N * PAGE, PW_BACKEND_UFFD_SYNC), 0);
	CHECK_EQ(wait_handlers(2, h), 2);
	pw_watch_stop(a);
	CHECK_EQ(wait_handlers(1, h), 1);
	CHECK(h[0] != ha, "a's handler %ld still runs", ha);
	pw_watch_stop(b);
	CHECK_EQ(wait_handlers(0, h), 0);

	if (pw_watch_start(&c, m, 2 * N * PAGE, PW_BACKEND_UFFD_ASYNC) == 0) {
		CHECK_EQ(handlers(h), 0);
		pw_watch_stop(c);
	}
	t_unmap(m, 2 * N);
}

static void stop_under_writes(void)
{
	long h[MAX_TASKS];
	struct pw_watch *w;
	pthread_t th;
	int i, r = 0;

	mem = t_map(N);
	alarm(120);			/* a hang fails the test */
	pthread_create(&th, NULL, writer, NULL);
	for (i = 0; i < 300 && !r; i++) {
		r = pw_watch_start(&w, mem, N * PAGE, PW_BACKEND_UFFD_SYNC);
		CHECK_EQ(r, 0);
		if (r)
			break;
		pw_watch_reset(w, mem, N * PAGE);	/* the writer faults again */
		if (i % 3)
			usleep((useconds_t)(i % 7) * 50);
		pw_watch_stop(w);
	}
	atomic_store(&stop_writer, 1);
	pthread_join(th, NULL);
	alarm(0);
	CHECK_EQ(wait_handlers(0, h), 0);
	i = (int)(atomic_load(&last) % N);
	CHECK_EQ(((long *)(mem + (size_t)i * PAGE))[1], atomic_load(&last));
	fprintf(stderr, "%ld writes through 300 start/stop cycles\n", atomic_load(&last));
}

int main(void)
{
	struct pw_watch *w;
	char *m = t_map(1);

	if (pw_watch_start(&w, m, PAGE, PW_BACKEND_UFFD_SYNC) == -EOPNOTSUPP)
		t_skip("uffd-sync is not available on this kernel");
	pw_watch_stop(w);
	t_unmap(m, 1);
	counts();
	stop_under_writes();
	t_done();
}
