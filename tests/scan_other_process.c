/* SPDX-License-Identifier: MIT */
/*
 * Scanning another process: a child makes a known layout (written pages,
 * zero-page reads, a hole, untouched pages, shared memory) and waits; we
 * check its regions exactly and against the raw ioctl on its pagemap,
 * then let it die and scan the same open space again: a zombie and a
 * reaped process both report nothing, as the kernel does (S11).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define NP	20	/* pages of the layout */
/* "The whole space" starts above any sanitizer's shadow (t_low_user). */
#define LOW	t_low_user()

/*
 * The child's layout, in pages from R:
 *   0-3   private, written            PRESENT
 *   4-5   private, read only          PRESENT|PFNZERO
 *   6     hole (unmapped)
 *   7-9   private, untouched
 *   10-11 private, written            PRESENT
 *   12-15 private, untouched
 *   16-17 shared anonymous, written   PRESENT|FILE
 *   18-19 shared anonymous, untouched
 */
static void child(int report, int wait_fd)
{
	char *r = mmap(NULL, 32 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	volatile char *p;
	uint64_t addr;
	char c;
	int i;

	if (r == MAP_FAILED ||
	    mmap(r, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		 -1, 0) == MAP_FAILED ||
	    mmap(r + 16 * PAGE, 4 * PAGE, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
		_exit(2);
	munmap(r + 20 * PAGE, 12 * PAGE);
	madvise(r, 16 * PAGE, MADV_NOHUGEPAGE);
	munmap(r + 6 * PAGE, PAGE);
	p = r;
	for (i = 0; i < 4; i++)
		p[i * PAGE] = 1;
	c = p[4 * PAGE];
	c += p[5 * PAGE];
	p[10 * PAGE] = c + 1;
	p[11 * PAGE] = 1;
	p[16 * PAGE] = 1;
	p[17 * PAGE] = 1;
	addr = (uintptr_t)r;
	if (write(report, &addr, sizeof(addr)) != sizeof(addr))
		_exit(2);
	/* Wait until the parent closes its end, or is killed. */
	while (read(wait_fd, &c, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

static struct pw_region vec[64], rvec[64];

static void show(const char *what, const struct pw_region *v, long n, uint64_t base)
{
	long i;

	fprintf(stderr, "%s: %ld regions\n", what, n);
	for (i = 0; i < n; i++)
		fprintf(stderr, "  +%#llx-+%#llx %#llx\n",
			(unsigned long long)(v[i].start - base),
			(unsigned long long)(v[i].end - base),
			(unsigned long long)v[i].categories);
}

/* pw_scan and the raw ioctl on the child's pagemap agree, exactly. */
static void against_raw(struct pw_space *sp, int rawfd, struct pw_scan_arg a, const char *what)
{
	struct pw_scan_arg b = a;
	long n, m;

	a.vec = (uintptr_t)vec;
	b.vec = (uintptr_t)rvec;
	memset(vec, 0, sizeof(vec));
	memset(rvec, 0, sizeof(rvec));
	n = pw_scan(sp, &a);
	if (rawfd < 0)
		return;
	m = t_raw_scan(rawfd, &b);
	CHECK(n == m && a.walk_end == b.walk_end &&
	      (n <= 0 || !memcmp(vec, rvec, (size_t)n * sizeof(vec[0]))),
	      "%s: pw_scan %ld (walk_end %#llx), the ioctl %ld (walk_end %#llx)", what, n,
	      (unsigned long long)a.walk_end, m, (unsigned long long)b.walk_end);
	if (n != m || (n > 0 && memcmp(vec, rvec, (size_t)n * sizeof(vec[0])))) {
		show("pw_scan", vec, n, a.start);
		show("ioctl", rvec, m, a.start);
	}
}

struct expect {
	unsigned s, e;		/* pages from R */
	uint64_t cats;
};

static void exact(struct pw_space *sp, uint64_t base, struct pw_scan_arg a,
		  const struct expect *want, long nwant, uint64_t walk_end, const char *what)
{
	long n, i;
	int ok;

	a.vec = (uintptr_t)vec;
	n = pw_scan(sp, &a);
	ok = n == nwant && a.walk_end == walk_end;
	for (i = 0; ok && i < n; i++)
		ok = vec[i].start == base + want[i].s * PAGE && vec[i].end == base + want[i].e * PAGE &&
		     vec[i].categories == want[i].cats;
	CHECK(ok, "%s: %ld regions (expected %ld), walk_end +%#llx (expected +%#llx)", what, n,
	      nwant, (unsigned long long)(a.walk_end - base),
	      (unsigned long long)(walk_end - base));
	if (!ok)
		show(what, vec, n, base);
}

static long maps_calls;

static int count_maps(const struct pw_mapping *m, void *ctx)
{
	(void)m;
	(void)ctx;
	maps_calls++;
	return 0;
}

static int count_regions(const struct pw_region *r, void *ctx)
{
	(void)r;
	(void)ctx;
	maps_calls++;
	return 0;
}

struct seen {
	uint64_t base;
	int priv_lo, priv_hi, shared;
};

static int find_maps(const struct pw_mapping *m, void *ctx)
{
	struct seen *s = ctx;

	if (m->start == s->base && m->end == s->base + 6 * PAGE && !strcmp(m->perms, "rw-p"))
		s->priv_lo++;
	if (m->start == s->base + 7 * PAGE && m->end == s->base + 16 * PAGE &&
	    !strcmp(m->perms, "rw-p"))
		s->priv_hi++;
	if (m->start == s->base + 16 * PAGE && m->end == s->base + 20 * PAGE &&
	    !strcmp(m->perms, "rw-s") && !strncmp(m->path, "/dev/zero", 9))
		s->shared++;
	return 0;
}

/* A watchdog that says where it fired: a hang is a failure, with a name. */
static const char *volatile step = "start";

static void on_alarm(int sig)
{
	(void)sig;
	fprintf(stderr, "hung in: %s\n", step);
	_exit(1);
}

/* pw_scan after the process is gone gives what the ioctl gives on the
 * pagemap fd we opened while it lived (6.18: ESRCH for every call, before
 * any validation); without the ioctl, nothing reported or ESRCH. */
static void gone_scan(struct pw_space *sp, int rawfd, struct pw_scan_arg a, const char *what)
{
	struct pw_scan_arg b = a;
	long n, m;

	step = what;
	alarm(5);
	a.vec = (uintptr_t)vec;
	b.vec = (uintptr_t)rvec;
	n = pw_scan(sp, &a);
	if (rawfd >= 0) {
		m = t_raw_scan(rawfd, &b);
		CHECK(n == m, "%s: pw_scan %ld, the ioctl %ld", what, n, m);
		if (n >= 0 && m >= 0)
			CHECK(a.walk_end == b.walk_end, "%s: walk_end %#llx, the ioctl %#llx", what,
			      (unsigned long long)a.walk_end, (unsigned long long)b.walk_end);
	} else {
		CHECK(n == 0 || n == -ESRCH, "%s: pw_scan %ld", what, n);
		if (n == 0)
			CHECK(a.walk_end == ((a.end + PAGE - 1) & ~(uint64_t)(PAGE - 1)),
			      "%s: walk_end %#llx", what, (unsigned long long)a.walk_end);
	}
	alarm(0);
}

static void after_exit(struct pw_space *sp, int rawfd, uint64_t base, const char *when)
{
	uint64_t top = (1ULL << 47) - PAGE;
	struct pw_scan_arg a, b;
	char what[64];
	long n, m;
	int r;

	a = t_arg((void *)(uintptr_t)base, NP, NULL, 64);
	snprintf(what, sizeof(what), "%s: the layout", when);
	gone_scan(sp, rawfd, a, what);
	a.return_mask = PW_PAGE_PRESENT;
	a.category_mask = PW_PAGE_PRESENT;
	snprintf(what, sizeof(what), "%s: present pages", when);
	gone_scan(sp, rawfd, a, what);
	a = t_arg((void *)PAGE, (top - PAGE) / PAGE, NULL, 64);	/* nothing left to read */
	snprintf(what, sizeof(what), "%s: the whole space", when);
	gone_scan(sp, rawfd, a, what);
	a = t_arg((void *)(uintptr_t)base, 0, NULL, 64);
	snprintf(what, sizeof(what), "%s: an empty range", when);
	gone_scan(sp, rawfd, a, what);
	a = t_arg((void *)(uintptr_t)base, NP, NULL, 64);
	a.size = 8;
	snprintf(what, sizeof(what), "%s: bad size", when);
	gone_scan(sp, rawfd, a, what);

	/* The walker stops as the first scan does, and calls nothing. */
	snprintf(what, sizeof(what), "%s: pw_scan_all", when);
	step = what;
	alarm(5);
	a = t_arg((void *)PAGE, (top - PAGE) / PAGE, NULL, 0);
	b = a;
	b.vec = (uintptr_t)rvec;
	b.vec_len = 64;
	maps_calls = 0;
	n = pw_scan_all(sp, &a, count_regions, NULL);
	m = rawfd >= 0 ? t_raw_scan(rawfd, &b) : n;
	CHECK((n == 0 || n == -ESRCH) && n == m && maps_calls == 0,
	      "%s: %ld (the ioctl %ld) after %ld calls", what, n, m, maps_calls);

	/* Its mappings are gone too. */
	snprintf(what, sizeof(what), "%s: pw_space_mappings", when);
	step = what;
	alarm(5);
	maps_calls = 0;
	r = pw_space_mappings(sp, 0, 0, count_maps, NULL);
	CHECK((r == 0 || r == -ESRCH) && maps_calls == 0, "%s: %d after %ld calls", what, r,
	      maps_calls);
	alarm(0);
}

int main(void)
{
	int up[2], down[2], rawfd = -1, status;
	struct pw_scan_arg a;
	struct pw_space *sp;
	struct seen seen;
	uint64_t cats, base = 0, end;
	uint64_t P = PW_PAGE_PRESENT, Z = PW_PAGE_PFNZERO, F = PW_PAGE_FILE;
	char path[64];
	siginfo_t si;
	pid_t pid;

	signal(SIGALRM, on_alarm);
	alarm(20);
	if (pipe(up) || pipe(down))
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		close(up[0]);
		close(down[1]);
		child(up[1], down[0]);
	}
	close(up[1]);
	close(down[0]);
	if (read(up[0], &base, sizeof(base)) != sizeof(base)) {
		fprintf(stderr, "the child did not report\n");
		return 1;
	}
	end = base + NP * PAGE;

	sp = t_space(pid);
	cats = pw_space_categories(sp);
	if (t_have_pagemap_scan()) {
		snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
		rawfd = open(path, O_RDONLY);
		CHECK(rawfd >= 0, "open %s", path);
	}

	/* Exact regions. */
	{
		static const struct expect all[] = {
			{ 0, 4, PW_PAGE_PRESENT }, { 4, 6, PW_PAGE_PRESENT | PW_PAGE_PFNZERO },
			{ 7, 10, 0 }, { 10, 12, PW_PAGE_PRESENT }, { 12, 16, 0 },
			{ 16, 18, PW_PAGE_PRESENT | PW_PAGE_FILE }, { 18, 20, 0 },
		};
		static const struct expect present[] = {
			{ 0, 4, PW_PAGE_PRESENT }, { 4, 6, PW_PAGE_PRESENT | PW_PAGE_PFNZERO },
			{ 10, 12, PW_PAGE_PRESENT }, { 16, 18, PW_PAGE_PRESENT | PW_PAGE_FILE },
		};
		static const struct expect zero[] = { { 4, 6, PW_PAGE_PFNZERO } };
		static const struct expect file[] = { { 16, 18, 0 } };
		static const struct expect cut[] = {
			{ 0, 4, PW_PAGE_PRESENT }, { 4, 5, PW_PAGE_PRESENT | PW_PAGE_PFNZERO },
		};
		static const struct expect two[] = {
			{ 0, 4, PW_PAGE_PRESENT }, { 4, 6, PW_PAGE_PRESENT | PW_PAGE_PFNZERO },
		};
		static const struct expect not_present[] = { { 7, 10, 0 }, { 12, 16, 0 }, { 18, 20, 0 } };

		CHECK((cats & (P | Z | F)) == (P | Z | F), "the backend lacks PRESENT|PFNZERO|FILE");
		a = t_arg((void *)(uintptr_t)base, NP, NULL, 64);
		a.return_mask = P | Z | F | PW_PAGE_SWAPPED;
		exact(sp, base, a, all, 7, end, "all pages");
		a.category_mask = P;
		exact(sp, base, a, present, 4, end, "present pages");
		a.category_mask = Z;
		a.return_mask = Z;
		exact(sp, base, a, zero, 1, end, "zero pages");
		a.category_mask = 0;
		a.category_anyof_mask = F;
		a.return_mask = 0;
		exact(sp, base, a, file, 1, end, "file pages");
		a.category_anyof_mask = 0;
		a.category_mask = P;
		a.category_inverted = P;
		a.return_mask = P;
		exact(sp, base, a, not_present, 3, end, "pages not present");
		a.category_inverted = 0;
		a.return_mask = P | Z;
		a.max_pages = 5;
		exact(sp, base, a, cut, 2, base + 5 * PAGE, "max_pages 5");
		a.max_pages = 0;
		a.vec_len = 2;
		exact(sp, base, a, two, 2, base + 10 * PAGE, "vec_len 2");
		/* A range that starts in the hole and ends inside a mapping. */
		a = t_arg((void *)(uintptr_t)(base + 6 * PAGE), 5, NULL, 64);
		a.return_mask = P;
		{
			static const struct expect mid[] = { { 7, 10, 0 }, { 10, 11, PW_PAGE_PRESENT } };

			exact(sp, base, a, mid, 2, base + 11 * PAGE, "from the hole");
		}
	}

	/* Against the raw ioctl, mask by mask. */
	{
		static const struct { uint64_t inv, mask, any, ret; uint64_t max, vl; } cases[] = {
			{ 0, 0, 0, 0, 0, 64 },
			{ 0, 0, 0, ~0ULL, 0, 64 },
			{ 0, PW_PAGE_WRITTEN, 0, PW_PAGE_WRITTEN, 0, 64 },
			{ 0, 0, 0, PW_PAGE_WRITTEN | PW_PAGE_PRESENT, 0, 64 },
			{ PW_PAGE_PRESENT, PW_PAGE_PRESENT, 0, ~0ULL, 0, 64 },
			{ 0, 0, PW_PAGE_FILE | PW_PAGE_PFNZERO, ~0ULL, 0, 64 },
			{ 0, 0, 0, ~0ULL, 3, 64 },
			{ 0, 0, 0, ~0ULL, 0, 1 },
			{ 0, 0, 0, ~0ULL, 0, 3 },
			{ 0, PW_PAGE_PRESENT, 0, PW_PAGE_FILE, 7, 2 },
		};
		unsigned i;

		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			char what[32];

			a = t_arg((void *)(uintptr_t)base, NP, NULL, cases[i].vl);
			a.category_inverted = cases[i].inv & cats;
			a.category_mask = cases[i].mask & cats;
			a.category_anyof_mask = cases[i].any & cats;
			a.return_mask = cases[i].ret & cats;
			a.max_pages = cases[i].max;
			snprintf(what, sizeof(what), "case %u", i);
			against_raw(sp, rawfd, a, what);
		}
		/* The whole address space, nothing but the child's. */
		a = t_arg((void *)LOW, ((1ULL << 47) - PAGE - LOW) / PAGE, NULL, 64);
		a.category_mask = PW_PAGE_PRESENT | PW_PAGE_FILE;
		a.return_mask = PW_PAGE_PRESENT | PW_PAGE_FILE;
		a.category_anyof_mask = 0;
		against_raw(sp, rawfd, a, "whole space");
	}

	/* Its mappings. */
	memset(&seen, 0, sizeof(seen));
	seen.base = base;
	CHECK_EQ(pw_space_mappings(sp, base, end, find_maps, &seen), 0);
	CHECK(seen.priv_lo == 1 && seen.priv_hi == 1 && seen.shared == 1,
	      "the child's mappings: %d %d %d", seen.priv_lo, seen.priv_hi, seen.shared);

	/* It dies; it is a zombie; the space stays open. */
	alarm(0);
	kill(pid, SIGKILL);
	memset(&si, 0, sizeof(si));
	CHECK_EQ(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
	after_exit(sp, rawfd, base, "zombie");
	/* Reaped. */
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child status %#x", status);
	after_exit(sp, rawfd, base, "reaped");

	if (rawfd >= 0)
		close(rawfd);
	pw_space_close(sp);
	t_done();
}
