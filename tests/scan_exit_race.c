/* SPDX-License-Identifier: MIT */
/*
 * Scanning a process while it changes its mappings and exits at a random
 * moment (or is killed): every pw_space_open, pw_scan, pw_scan_all and
 * pw_space_mappings call returns what the kernel allows -- success, or
 * ESRCH once the process is gone (what PAGEMAP_SCAN itself says on 6.18)
 * -- never crashes, never hangs (a watchdog names the call), and every
 * answer is well formed: regions ascending, non-overlapping, page-aligned,
 * inside the range, merged as S24 says, walk_end where S28 puts it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#define ROUNDS		200
#define BUDGET_NS	5000000000LL	/* stop early rather than run past 5 s */
#define RPAGES		256		/* the child's churning area */
#define VEC		64
/* "The whole space" starts above any sanitizer's shadow (t_low_user). */
#define LOW	t_low_user()

static const char *volatile step = "start";
static volatile int round_no;

static void on_alarm(int sig)
{
	char buf[160];
	int n;

	(void)sig;
	n = snprintf(buf, sizeof(buf), "round %d: hung in %s\n", round_no, step);
	if (write(2, buf, (size_t)n) < 0)
		_exit(1);
	_exit(1);
}

/* ---- the child: many small mappings that split and merge, then exit ---- */

static _Noreturn void child(unsigned seed, long long life_ns)
{
	static const int prots[] = { PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE };
	unsigned char prot[RPAGES];
	long long t0 = t_now_ns();
	char *r = mmap(NULL, RPAGES * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned i, len, k;

	if (r == MAP_FAILED)
		_exit(2);
	/* Start with a mapping per two pages: maps is longer than one read. */
	for (i = 0; i < RPAGES; i++) {
		prot[i] = (unsigned char)((i / 2) % 3);
		if (prot[i])
			mprotect(r + i * PAGE, PAGE, prots[prot[i]]);
		if (prot[i] == 2)
			r[i * PAGE] = 1;
	}
	while (t_now_ns() - t0 < life_ns) {
		i = t_rnd(&seed) % RPAGES;
		len = 1 + t_rnd(&seed) % 8;
		if (i + len > RPAGES)
			len = RPAGES - i;
		switch (t_rnd(&seed) % 4) {
		case 0:
		case 1:
			k = t_rnd(&seed) % 3;
			mprotect(r + i * PAGE, len * PAGE, prots[k]);
			memset(prot + i, (int)k, len);
			break;
		case 2:
			mmap(r + i * PAGE, len * PAGE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
			memset(prot + i, 2, len);
			break;
		default:
			madvise(r + i * PAGE, len * PAGE, MADV_DONTNEED);
			break;
		}
		for (k = i; k < i + len; k++)
			if (prot[k] == 2)
				r[k * PAGE] = (char)k;
	}
	if (seed & 1)
		exit(0);	/* with atexit handlers and stdio */
	_exit(0);
}

/* ---- checks on every answer ---- */

static struct pw_region vec[VEC];

static void check_regions(const char *what, const struct pw_scan_arg *a, long n)
{
	uint64_t end = (a->end + PAGE - 1) & ~(uint64_t)(PAGE - 1);
	long i;

	CHECK(n <= VEC, "%s: %ld regions in a vec of %d", what, n, VEC);
	if (n > VEC)
		n = VEC;
	for (i = 0; i < n; i++) {
		const struct pw_region *r = &vec[i];

		CHECK(r->start < r->end && !(r->start % PAGE) && !(r->end % PAGE) &&
		      r->start >= a->start && r->end <= end,
		      "%s: region %ld %#llx-%#llx outside [%#llx, %#llx) or malformed", what, i,
		      (unsigned long long)r->start, (unsigned long long)r->end,
		      (unsigned long long)a->start, (unsigned long long)end);
		CHECK(!(r->categories & ~a->return_mask), "%s: categories %#llx outside %#llx", what,
		      (unsigned long long)r->categories, (unsigned long long)a->return_mask);
		CHECK((r->categories & (PW_PAGE_PRESENT | PW_PAGE_SWAPPED)) !=
		      (PW_PAGE_PRESENT | PW_PAGE_SWAPPED), "%s: present and swapped", what);
		if (i) {
			CHECK(r->start >= vec[i - 1].end, "%s: region %ld %#llx-%#llx overlaps or "
			      "precedes %#llx-%#llx", what, i, (unsigned long long)r->start,
			      (unsigned long long)r->end, (unsigned long long)vec[i - 1].start,
			      (unsigned long long)vec[i - 1].end);
			CHECK(r->start != vec[i - 1].end || r->categories != vec[i - 1].categories,
			      "%s: adjacent regions %ld, %ld with equal categories not merged", what,
			      i - 1, i);
		}
	}
	CHECK(a->walk_end >= a->start && a->walk_end <= end && !(a->walk_end % PAGE),
	      "%s: walk_end %#llx outside [%#llx, %#llx]", what, (unsigned long long)a->walk_end,
	      (unsigned long long)a->start, (unsigned long long)end);
	if (n < VEC)	/* room left: the walk went to the end (S27, S28) */
		CHECK(a->walk_end == end, "%s: %ld regions but walk_end %#llx, not %#llx", what, n,
		      (unsigned long long)a->walk_end, (unsigned long long)end);
	else if (n > 0)
		CHECK(a->walk_end >= vec[n - 1].end, "%s: walk_end %#llx before the last region",
		      what, (unsigned long long)a->walk_end);
}

static int allowed(long r)
{
	return r >= 0 || r == -ESRCH;
}

struct walk_state {
	uint64_t last_end;
	long calls, bad;
	uint64_t start, end, ret;
};

static int on_region(const struct pw_region *r, void *ctx)
{
	struct walk_state *w = ctx;

	if (r->start < w->last_end || r->start >= r->end || r->start % PAGE || r->end % PAGE ||
	    r->start < w->start || r->end > w->end || (r->categories & ~w->ret))
		w->bad++;
	w->last_end = r->end;
	return ++w->calls > 1000000;	/* a runaway walk ends here */
}

static int on_mapping(const struct pw_mapping *m, void *ctx)
{
	struct walk_state *w = ctx;

	if (m->start < w->last_end || m->start >= m->end)
		w->bad++;
	w->last_end = m->end;
	return ++w->calls > 100000;
}

static uint64_t top;
static unsigned turn;

/* One round of every call on the space; returns how many said ESRCH. */
static int scan_round(struct pw_space *sp, uint64_t cats)
{
	static const uint64_t masks[][2] = {	/* category_mask, return_mask */
		{ 0, PW_PAGE_PRESENT | PW_PAGE_WRITTEN | PW_PAGE_SWAPPED },
		{ PW_PAGE_PRESENT, PW_PAGE_PRESENT | PW_PAGE_PFNZERO | PW_PAGE_FILE },
		{ PW_PAGE_WRITTEN, PW_PAGE_WRITTEN },
	};
	struct walk_state w;
	struct pw_scan_arg a;
	int gone = 0;
	unsigned i;
	long r;

	/* One set of masks per round, in turn. */
	i = turn++ % (sizeof(masks) / sizeof(masks[0]));
	a = t_arg((void *)LOW, (top - LOW) / PAGE, vec, VEC);
	a.category_mask = masks[i][0] & cats;
	a.return_mask = masks[i][1] & cats;
	step = "pw_scan";
	r = pw_scan(sp, &a);
	CHECK(allowed(r), "pw_scan: %ld", r);
	if (r >= 0)
		check_regions("pw_scan", &a, r);
	gone += r == -ESRCH;

	a = t_arg((void *)LOW, (top - LOW) / PAGE, NULL, 0);
	a.return_mask = (PW_PAGE_PRESENT | PW_PAGE_WRITTEN) & cats;
	memset(&w, 0, sizeof(w));
	w.start = LOW;
	w.end = top;
	w.ret = a.return_mask;
	step = "pw_scan_all";
	r = pw_scan_all(sp, &a, on_region, &w);
	CHECK(allowed(r), "pw_scan_all: %ld", r);
	CHECK(w.bad == 0, "pw_scan_all: %ld malformed or disordered regions", w.bad);
	CHECK(w.calls <= 1000000, "pw_scan_all: a runaway walk");
	if (r >= 0 && w.calls <= 1000000)
		CHECK(r == w.calls && a.walk_end == top, "pw_scan_all: %ld for %ld calls, walk_end %#llx",
		      r, w.calls, (unsigned long long)a.walk_end);
	gone += r == -ESRCH;

	memset(&w, 0, sizeof(w));
	step = "pw_space_mappings";
	r = pw_space_mappings(sp, 0, 0, on_mapping, &w);
	CHECK(r == 0 || r == -ESRCH, "pw_space_mappings: %ld", r);
	CHECK(w.bad == 0, "pw_space_mappings: %ld mappings out of order", w.bad);
	step = "between calls";
	return gone;
}

int main(void)
{
	long long t_start = t_now_ns();
	int rounds = 0, opened = 0, esrch = 0, r;

	signal(SIGALRM, on_alarm);
	top = (1ULL << 47) - PAGE;	/* TASK_SIZE_MAX with 4-level tables */

	for (round_no = 0; round_no < ROUNDS; round_no++) {
		unsigned seed = 2654435761u * (unsigned)(round_no + 1);
		long long life = (long long)(seed % 4000) * 1000;	/* 0-4 ms */
		int kill_it = round_no % 3 == 2, status = 0, reaped = 0;
		long long t0;
		struct pw_space *sp = NULL;
		pid_t pid;

		if (t_now_ns() - t_start > BUDGET_NS)
			break;
		alarm(5);
		step = "fork";
		pid = fork();
		if (pid < 0)
			return 1;
		if (pid == 0) {
			alarm(0);
			child(seed, kill_it ? 1000000000LL : life);
		}
		t0 = t_now_ns();
		step = "pw_space_open";
		r = pw_space_open(&sp, pid, 0);
		if (r == -EOPNOTSUPP) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			t_skip("scan backend '%s' is not available on this kernel", t_backend());
		}
		CHECK(r == 0 || r == -ESRCH, "round %d: pw_space_open %d", round_no, r);
		if (r == 0) {
			uint64_t cats = pw_space_categories(sp);
			int after = 0;

			opened++;
			/* Scan while it lives, as it dies, and twice after it
			 * was reaped, through the same open space. */
			while (after < 3) {
				esrch += scan_round(sp, cats);
				if (kill_it && t_now_ns() - t0 > life) {
					kill(pid, SIGKILL);
					kill_it = 0;
				}
				if (!reaped) {
					step = "waitpid";
					reaped = waitpid(pid, &status, WNOHANG) == pid;
				}
				after += reaped;
			}
			step = "pw_space_close";
			pw_space_close(sp);
		}
		if (!reaped) {
			if (kill_it)
				kill(pid, SIGKILL);
			step = "waitpid";
			waitpid(pid, &status, 0);
		}
		CHECK(WIFEXITED(status) ? WEXITSTATUS(status) == 0 : WTERMSIG(status) == SIGKILL,
		      "round %d: child status %#x", round_no, status);
		rounds++;
		if (t_failures > 20)
			break;
	}
	alarm(0);
	if (rounds < 10)
		CHECK(0, "only %d rounds in the time budget", rounds);
	fprintf(stderr, "%d rounds, %d spaces opened, %d ESRCH answers, %.2f s\n", rounds, opened,
		esrch, (double)(t_now_ns() - t_start) / 1e9);
	t_done();
}
