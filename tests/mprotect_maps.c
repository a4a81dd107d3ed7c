/* SPDX-License-Identifier: MIT */
/*
 * What the mprotect backend does to the mappings (lesson 9):
 *  - start protects exactly the watched range, the rest of the mapping
 *    stays read-write; stop merges everything back into one mapping;
 *  - each written page is un-protected alone (a mapping split);
 *  - get with reset re-protects adjacent pages with one mprotect call per
 *    run, reset protects its sub-range with one call, a plain get makes
 *    none: after collecting, the watch is one mapping again;
 *  - an executable range keeps PROT_EXEC; a range mixing executable and
 *    non-executable mappings is refused.
 * The test defines mprotect() itself, so the library's calls (the signal
 * handler's included) land here and are counted.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "testlib.h"

#define N 32

static atomic_int calls;

int mprotect(void *addr, size_t len, int prot)
{
	atomic_fetch_add(&calls, 1);
	return (int)syscall(SYS_mprotect, addr, len, prot);
}

/* How many mappings intersect [p, p + pages). */
static int vmas(const char *p, size_t pages)
{
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long s, e, a = (unsigned long)p, z = a + pages * PAGE;
	char line[512];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx", &s, &e) == 2 && s < z && a < e)
			n++;
	fclose(f);
	return n;
}

/* The permissions of the mapping holding p, "" if none. */
static const char *perms(const char *p)
{
	static char out[5];
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long s, e, a = (unsigned long)p;
	char line[512];

	out[0] = '\0';
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx %4s", &s, &e, out) == 3 && s <= a && a < e)
			break;
		else
			out[0] = '\0';
	if (f)
		fclose(f);
	return out;
}

static void poke(char *p, char v)
{
	*(volatile char *)p = v;
}

/* get (with reset when asked) of the whole watch: the pages, and how
 * many mprotect calls it made. */
static size_t get(struct pw_watch *w, char *m, bool reset, size_t max,
		  void **pages, int *ncalls)
{
	size_t n = max;
	int c0 = atomic_load(&calls);

	CHECK_EQ(pw_watch_get(w, m, N * PAGE, reset ? PW_WATCH_RESET : 0, pages, &n), 0);
	*ncalls = atomic_load(&calls) - c0;
	return n;
}

static void runs(void)
{
	char *base = t_map(N + 2), *m = base + PAGE;
	struct pw_watch *w;
	void *pages[N];
	size_t n, i;
	int c, c0;

	memset(base, 1, (N + 2) * PAGE);
	CHECK_EQ(pw_watch_start(&w, m, N * PAGE, PW_BACKEND_MPROTECT), 0);
	if (!atomic_load(&calls))
		t_skip("mprotect() is not interposed in this build");
	CHECK_EQ(vmas(m, N), 1);
	CHECK_EQ(vmas(base, N + 2), 3);
	CHECK(!strcmp(perms(m), "r--p"), "watched: %s", perms(m));
	CHECK(!strcmp(perms(base), "rw-p"), "before the watch: %s", perms(base));
	CHECK(!strcmp(perms(m + N * PAGE), "rw-p"), "after the watch: %s", perms(m + N * PAGE));

	/* Each write un-protects its page alone. */
	poke(m + 3 * PAGE, 2);
	poke(m + 4 * PAGE, 2);
	poke(m + 5 * PAGE, 2);
	CHECK_EQ(vmas(m, N), 3);
	poke(m + 9 * PAGE, 2);
	CHECK_EQ(vmas(m, N), 5);

	/* A plain get changes nothing. */
	n = get(w, m, false, N, pages, &c);
	CHECK_EQ(n, 4);
	CHECK_EQ(c, 0);

	/* A short get: only the pages returned are protected, in one call. */
	n = get(w, m, true, 2, pages, &c);
	CHECK(n == 2 && pages[0] == m + 3 * PAGE && pages[1] == m + 4 * PAGE, "short get");
	CHECK_EQ(c, 1);
	CHECK_EQ(vmas(m, N), 5);
	n = get(w, m, true, N, pages, &c);
	CHECK(n == 2 && pages[0] == m + 5 * PAGE && pages[1] == m + 9 * PAGE, "the rest");
	CHECK_EQ(c, 2);
	CHECK_EQ(vmas(m, N), 1);

	/* Ten adjacent pages: one call brings the watch back to one mapping. */
	for (i = 10; i < 20; i++)
		poke(m + i * PAGE, 3);
	CHECK_EQ(vmas(m, N), 3);
	n = get(w, m, true, N, pages, &c);
	CHECK_EQ(n, 10);
	CHECK_EQ(c, 1);
	CHECK_EQ(vmas(m, N), 1);

	/* reset: one call over the sub-range, whatever is written in it. */
	poke(m + 4 * PAGE, 4);
	poke(m + 20 * PAGE, 4);
	poke(m + 30 * PAGE, 4);
	c0 = atomic_load(&calls);
	CHECK_EQ(pw_watch_reset(w, m + 16 * PAGE, 16 * PAGE), 0);
	CHECK_EQ(atomic_load(&calls) - c0, 1);
	CHECK_EQ(vmas(m, N), 3);
	n = get(w, m, false, N, pages, &c);
	CHECK(n == 1 && pages[0] == m + 4 * PAGE, "the reset sub-range only");
	c0 = atomic_load(&calls);
	CHECK_EQ(pw_watch_reset(w, m, N * PAGE), 0);
	CHECK_EQ(atomic_load(&calls) - c0, 1);
	CHECK_EQ(vmas(m, N), 1);

	/* Contents are what was written. */
	CHECK_EQ(m[4 * PAGE], 4);
	CHECK_EQ(m[9 * PAGE], 2);
	CHECK_EQ(m[12 * PAGE + 5], 1);

	pw_watch_stop(w);
	CHECK_EQ(vmas(base, N + 2), 1);
	CHECK(!strcmp(perms(m), "rw-p"), "after stop: %s", perms(m));
	t_unmap(base, N + 2);
}

static void exec(void)
{
	int rwx = PROT_READ | PROT_WRITE | PROT_EXEC;
	char *x = mmap(NULL, 8 * PAGE, rwx, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct pw_watch *w;
	void *pages[8];
	size_t n = 8;

	if (x == MAP_FAILED) {
		fprintf(stderr, "no rwx memory here (%s): exec part skipped\n", strerror(errno));
		return;
	}
	CHECK_EQ(pw_watch_start(&w, x, 4 * PAGE, PW_BACKEND_MPROTECT), 0);
	CHECK(!strcmp(perms(x), "r-xp"), "watched rwx: %s", perms(x));
	poke(x + PAGE, 1);
	CHECK(!strcmp(perms(x + PAGE), "rwxp"), "written rwx: %s", perms(x + PAGE));
	CHECK_EQ(pw_watch_get(w, x, 4 * PAGE, PW_WATCH_RESET, pages, &n), 0);
	CHECK(n == 1 && pages[0] == x + PAGE, "rwx: %zu pages", n);
	CHECK(!strcmp(perms(x + PAGE), "r-xp"), "re-protected rwx: %s", perms(x + PAGE));
	pw_watch_stop(w);
	CHECK(!strcmp(perms(x), "rwxp"), "rwx after stop: %s", perms(x));

	/* Half executable: no single protection restores both halves. */
	CHECK_EQ(mprotect(x + 4 * PAGE, 4 * PAGE, PROT_READ | PROT_WRITE), 0);
	CHECK_EQ(pw_watch_start(&w, x + 2 * PAGE, 4 * PAGE, PW_BACKEND_MPROTECT), -EINVAL);
	CHECK(!strcmp(perms(x + 2 * PAGE), "rwxp"), "refused range untouched");
	munmap(x, 8 * PAGE);
}

int main(void)
{
	runs();
	exec();
	t_done();
}
