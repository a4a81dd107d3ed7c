/* SPDX-License-Identifier: MIT */
/*
 * GetWriteWatch / ResetWriteWatch with libpagewatch: watch 64 pages, write
 * some, collect the written pages with an atomic reset, then put them back
 * from a snapshot.  Runs on whatever backend this kernel offers
 * (PAGEWATCH_BACKEND=mprotect ./writewatch to force one).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <pagewatch.h>

#define PAGES 64
#define PAGE 4096

int main(void)
{
	char *mem = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct pw_snapshot *snap;
	struct pw_watch *w;
	void *pages[PAGES];
	size_t n, i;
	long restored;
	int r;

	if (mem == MAP_FAILED)
		return 1;
	memset(mem, 'a', PAGES * PAGE);
	r = pw_watch_start(&w, mem, PAGES * PAGE, PW_BACKEND_AUTO);
	if (r) {
		fprintf(stderr, "pw_watch_start: %s\n", strerror(-r));
		return 1;
	}
	printf("backend: %s\n", pw_backend_name(pw_watch_backend(w)));

	mem[3 * PAGE] = 'b';
	mem[40 * PAGE + 17] = 'c';
	n = PAGES;
	r = pw_watch_get(w, mem, PAGES * PAGE, PW_WATCH_RESET, pages, &n);
	if (r)
		return 1;
	printf("written since start:");
	for (i = 0; i < n; i++)
		printf(" page %td", ((char *)pages[i] - mem) / PAGE);
	printf("\n");

	/* Snapshots put back only what changed. */
	if (pw_snapshot_take(w, &snap))
		return 1;
	memset(mem + 10 * PAGE, 'x', 5 * PAGE);
	restored = pw_snapshot_restore(snap);
	printf("restored %ld pages; page 12 starts with '%c' again\n", restored, mem[12 * PAGE]);
	pw_snapshot_free(snap);
	pw_watch_stop(w);
	return 0;
}
