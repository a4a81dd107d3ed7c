/* SPDX-License-Identifier: MIT */
/*
 * A process that changes under the scan: it unmaps and remaps memory,
 * execs, exits or is killed, while this test scans it through the library
 * (pw_scan, pw_scan_all and pw_space_mappings on both backends) and through
 * the tool (pagewatch scan and maps, human and JSON, run as a user runs
 * $PW_BUILD/pagewatch) at the same time.
 *
 * Every answer is a clean error or a consistent result: the library gives
 * -ESRCH once the process is gone, or regions ascending, disjoint, whole
 * pages inside the range; the tool exits 0 with its whole output and
 * nothing on stderr, or 1 with a "pagewatch: " message and nothing on
 * stdout.  Never a crash, a usage error, a hang (a watchdog names the
 * step), or half an output.
 *
 * PW_STRESS_SECONDS sets the duration (default 3; `make stress` runs it
 * longer).  The target is this program again, exec'd with --target.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#define ARENA		1024		/* pages the target churns */
#define VEC		32
#define TOOL_SECONDS	60		/* a tool run longer than this hangs */

enum target_mode { T_EXIT, T_EXEC, T_KILLED, T_MODES };

static const char *const mode_names[] = { "exits", "execs", "is killed" };

static const char *volatile step = "start";
static volatile int round_no;
static char tool_path[4096];
static int tool_fd = -1;	/* the binary, opened once: a rebuild cannot pull it away */
static bool sanitized;

static void on_alarm(int sig)
{
	char buf[192];
	int n;

	(void)sig;
	n = snprintf(buf, sizeof(buf), "round %d: hung in %s\n", round_no, step);
	if (n > 0 && write(2, buf, (size_t)n) < 0)
		_exit(1);
	_exit(1);
}

/* ---- the target ---- */

/* Unmap, remap (private or shared), drop, protect and write pieces of the
 * arena until life_ns has passed; then exit, or exec this program again
 * (which reports a new arena and exits later). */
static _Noreturn void target(int report, enum target_mode mode, unsigned seed,
			     long long life_ns, const char *self)
{
	static const int prots[] = { PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE };
	long long t0 = t_now_ns();
	char *a = mmap(NULL, ARENA * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t addr = (uintptr_t)a;
	unsigned i, len;

	if (a == MAP_FAILED)
		_exit(2);
	for (i = 0; i < ARENA; i += 3)
		a[i * PAGE] = 1;
	if (write(report, &addr, sizeof(addr)) != sizeof(addr))
		_exit(2);
	while (mode == T_KILLED || t_now_ns() - t0 < life_ns) {
		i = t_rnd(&seed) % ARENA;
		len = 1 + t_rnd(&seed) % 32;
		if (i + len > ARENA)
			len = ARENA - i;
		switch (t_rnd(&seed) % 6) {
		case 0:
			munmap(a + i * PAGE, len * PAGE);
			break;
		case 1:
			mmap(a + i * PAGE, len * PAGE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
			break;
		case 2:
			mmap(a + i * PAGE, len * PAGE, PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
			break;
		case 3:
			madvise(a + i * PAGE, len * PAGE, MADV_DONTNEED);
			break;
		case 4:
			mprotect(a + i * PAGE, len * PAGE, prots[t_rnd(&seed) % 3]);
			break;
		default:
			/* A fresh writable page, written. */
			if (mmap(a + i * PAGE, PAGE, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED)
				a[i * PAGE] = (char)seed;
			break;
		}
	}
	if (mode == T_EXEC) {
		char fd[16], m[16], s[16], life[24];

		snprintf(fd, sizeof(fd), "%d", report);
		snprintf(m, sizeof(m), "%d", T_EXIT);
		snprintf(s, sizeof(s), "%u", seed);
		snprintf(life, sizeof(life), "%lld", life_ns);
		execl(self, self, "--target", fd, m, s, life, (char *)NULL);
		_exit(3);
	}
	_exit(0);
}

/* ---- the library's answers ---- */

static void check_scan(const char *what, const struct pw_scan_arg *a, long r,
		       const struct pw_region *vec)
{
	uint64_t end = (a->end + PAGE - 1) & ~(uint64_t)(PAGE - 1), prev = a->start;
	long i;

	if (r == -ESRCH)
		return;
	CHECK(r >= 0, "%s: %ld (%s)", what, r, strerror((int)-r));
	if (r < 0)
		return;
	CHECK((uint64_t)r <= a->vec_len, "%s: %ld regions, vec_len %llu", what, r,
	      (unsigned long long)a->vec_len);
	CHECK(a->walk_end >= a->start && a->walk_end <= end && a->walk_end % PAGE == 0,
	      "%s: walk_end %#llx outside %#llx-%#llx", what,
	      (unsigned long long)a->walk_end, (unsigned long long)a->start,
	      (unsigned long long)end);
	for (i = 0; i < r && (uint64_t)i < a->vec_len; i++) {
		const struct pw_region *g = &vec[i];

		CHECK(g->start >= prev && g->start < g->end && g->end <= a->walk_end &&
		      g->start % PAGE == 0 && g->end % PAGE == 0 &&
		      !(g->categories & ~a->return_mask),
		      "%s: region %ld %#llx-%#llx %#llx (previous end %#llx, walk_end %#llx)",
		      what, i, (unsigned long long)g->start, (unsigned long long)g->end,
		      (unsigned long long)g->categories, (unsigned long long)prev,
		      (unsigned long long)a->walk_end);
		prev = g->end;
	}
}

struct walk_state {
	uint64_t prev, return_mask;
	long bad;
};

static int on_region(const struct pw_region *g, void *ctx)
{
	struct walk_state *w = ctx;

	if (g->start < w->prev || g->start >= g->end || g->start % PAGE || g->end % PAGE ||
	    (g->categories & ~w->return_mask))
		w->bad++;
	w->prev = g->end;
	return 0;
}

static int on_mapping(const struct pw_mapping *m, void *ctx)
{
	struct walk_state *w = ctx;

	if (m->start < w->prev || m->start >= m->end || m->start % PAGE || m->end % PAGE ||
	    strlen(m->perms) != 4)
		w->bad++;
	w->prev = m->end;
	return 0;
}

/* One round of library calls on the target's space. */
static void library_scans(struct pw_space *sp, uint64_t arena, unsigned *seed)
{
	static struct pw_region vec[VEC];
	uint64_t cats = pw_space_categories(sp);
	bool emulated = !strcmp(pw_space_backend(sp), "emulated");
	struct walk_state w;
	struct pw_scan_arg a;
	long r;

	/* The arena, masks at random among what the backend reports. */
	step = emulated ? "pw_scan (emulated)" : "pw_scan (native)";
	a = t_arg((void *)(uintptr_t)arena, ARENA, vec, 1 + t_rnd(seed) % VEC);
	a.category_mask = cats & t_rnd(seed) & (PW_PAGE_PRESENT | PW_PAGE_WRITTEN);
	a.category_inverted = a.category_mask & t_rnd(seed);
	a.return_mask = cats & t_rnd(seed);
	a.max_pages = t_rnd(seed) % 4 ? 0 : t_rnd(seed) % 200;
	r = pw_scan(sp, &a);
	check_scan(step, &a, r, vec);

	/* The whole space, resumed at walk_end.  The emulation reads
	 * pagemap for every page of every mapping: under a sanitizer that
	 * is terabytes of shadow, so it walks from t_low_user() there. */
	step = emulated ? "pw_scan_all (emulated)" : "pw_scan_all (native)";
	memset(&w, 0, sizeof(w));
	a = t_arg((void *)PAGE, 0, NULL, 0);
	if (emulated && sanitized)
		a.start = t_low_user();
	a.end = t_user_top();
	a.return_mask = cats & (PW_PAGE_PRESENT | PW_PAGE_WRITTEN | PW_PAGE_FILE);
	w.prev = a.start;
	w.return_mask = a.return_mask;
	r = pw_scan_all(sp, &a, on_region, &w);
	CHECK(r >= 0 || r == -ESRCH, "%s: %ld (%s)", step, r, strerror((int)-r));
	CHECK(!w.bad, "%s: %ld regions out of order or out of the range", step, w.bad);

	step = "pw_space_mappings";
	memset(&w, 0, sizeof(w));
	r = pw_space_mappings(sp, 0, 0, on_mapping, &w);
	CHECK(r == 0 || r == -ESRCH, "%s: %ld (%s)", step, r, strerror((int)-r));
	CHECK(!w.bad, "%s: %ld mappings out of order", step, w.bad);
}

/* ---- the tool ---- */

struct tool_run {
	pid_t pid;
	int out, err;
	char argv_text[256];
	char *argv[12];
	char words[12][64];
};

static void add_arg(struct tool_run *t, int *argc, const char *s)
{
	snprintf(t->words[*argc], sizeof(t->words[0]), "%s", s);
	t->argv[*argc] = t->words[*argc];
	(*argc)++;
	t->argv[*argc] = NULL;
}

/* Start pagewatch on pid: scan of the arena or of everything, or maps,
 * human or JSON, on either backend. */
static void tool_start(struct tool_run *t, pid_t pid, uint64_t arena, unsigned *seed)
{
	int out[2], err[2], argc = 0, i;
	char num[64];
	unsigned pick = t_rnd(seed);
	bool maps = pick % 3 == 0, whole = pick % 3 == 1;
	bool native = pick & 8;

	/* Whole-space emulated walks of a sanitized target: see above. */
	if ((maps || whole) && sanitized)
		native = true;
	add_arg(t, &argc, "pagewatch");
	add_arg(t, &argc, maps ? "maps" : "scan");
	snprintf(num, sizeof(num), "%d", (int)pid);
	add_arg(t, &argc, num);
	if (!maps && !whole) {
		snprintf(num, sizeof(num), "%llx-%llx", (unsigned long long)arena,
			 (unsigned long long)(arena + ARENA * PAGE));
		add_arg(t, &argc, "--range");
		add_arg(t, &argc, num);
	}
	add_arg(t, &argc, "--backend");
	add_arg(t, &argc, native ? "native" : "emulated");
	if (pick & 16)
		add_arg(t, &argc, "--json");
	t->argv_text[0] = '\0';
	for (i = 0; i < argc; i++) {
		size_t used = strlen(t->argv_text);

		snprintf(t->argv_text + used, sizeof(t->argv_text) - used, "%s%s",
			 i ? " " : "", t->argv[i]);
	}
	if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
		perror("pipe2");
		exit(1);
	}
	fflush(NULL);
	t->pid = fork();
	if (t->pid < 0) {
		perror("fork");
		exit(1);
	}
	if (t->pid == 0) {
		extern char **environ;

		if (dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0)
			_exit(125);
		fexecve(tool_fd, t->argv, environ);
		fprintf(stderr, "exec %s: %s\n", tool_path, strerror(errno));
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	t->out = out[0];
	t->err = err[0];
}

/* Wait for the tool; check its exit status and what it printed. */
static void tool_finish_run(struct tool_run *t)
{
	struct pollfd p[2] = { { t->out, POLLIN, 0 }, { t->err, POLLIN, 0 } };
	char *out = calloc(1, 1), *err = calloc(1, 1);
	size_t olen = 0, ocap = 0, elen = 0, ecap = 0;
	long long deadline = t_now_ns() + TOOL_SECONDS * 1000000000LL;
	int st, status;
	bool json = strstr(t->argv_text, "--json") != NULL;

	step = t->argv_text;
	while (p[0].fd >= 0 || p[1].fd >= 0) {
		int left = (int)((deadline - t_now_ns()) / 1000000);

		if (left <= 0) {
			fprintf(stderr, "round %d: %s: no answer in %d s\n", round_no,
				t->argv_text, TOOL_SECONDS);
			kill(t->pid, SIGKILL);
			t_failures++;
			break;
		}
		if (poll(p, 2, left) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents && t_read_more(t->out, &out, &olen, &ocap))
			p[0].fd = -1;
		if (p[1].revents && t_read_more(t->err, &err, &elen, &ecap))
			p[1].fd = -1;
	}
	close(t->out);
	close(t->err);
	while (waitpid(t->pid, &st, 0) < 0 && errno == EINTR)
		;
	status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (status == 0) {
		char first = olen ? out[0] : 0, last = olen > 1 ? out[olen - 2] : 0;

		CHECK(!elen && olen && out[olen - 1] == '\n' &&
		      (!json || ((first == '[' && last == ']') || (first == '{' && last == '}'))),
		      "round %d: %s: exit 0 with\n%s\n--- and on stderr:\n%s", round_no,
		      t->argv_text, out, err);
	} else {
		CHECK(status == 1 && !olen && !strncmp(err, "pagewatch: ", 11) &&
		      elen > 12 && err[elen - 1] == '\n',
		      "round %d: %s: exit %d (status 1 and a message expected), stdout:\n%s\n"
		      "--- stderr:\n%s", round_no, t->argv_text, status, out, err);
	}
	free(out);
	free(err);
}

/* ---- rounds ---- */

/* Read one arena address if the target reported one; wait up to ms. */
static bool read_report(int fd, uint64_t *arena, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };

	if (poll(&p, 1, ms) <= 0 || !(p.revents & POLLIN))
		return false;
	return read(fd, arena, sizeof(*arena)) == (ssize_t)sizeof(*arena);
}

static void one_round(unsigned *seed, const char *self, long *outcomes)
{
	enum target_mode mode = (enum target_mode)(t_rnd(seed) % T_MODES);
	long long life = (long long)(t_rnd(seed) % 60) * 1000000LL;
	struct pw_space *sp[2] = { NULL, NULL };
	int up[2], i, k, calls = 1 + (int)(t_rnd(seed) % 4);
	uint64_t arena = 0;
	struct tool_run tr;
	pid_t pid;

	if (pipe2(up, O_CLOEXEC))
		exit(1);
	step = "fork the target";
	pid = fork();
	if (pid < 0)
		exit(1);
	if (pid == 0) {
		char fd[16], m[16], s[16], l[24];
		int keep = dup(up[1]);	/* without O_CLOEXEC */

		snprintf(fd, sizeof(fd), "%d", keep);
		snprintf(m, sizeof(m), "%d", mode);
		snprintf(s, sizeof(s), "%u", t_rnd(seed));
		snprintf(l, sizeof(l), "%lld", life);
		execl(self, self, "--target", fd, m, s, l, (char *)NULL);
		_exit(3);
	}
	close(up[1]);
	step = "the target's report";
	if (!read_report(up[0], &arena, 20000)) {
		fprintf(stderr, "round %d: the target did not report\n", round_no);
		t_failures++;
	}

	step = "pw_space_open";
	for (k = 0; k < 2; k++) {
		int r = pw_space_open(&sp[k], pid, k ? PW_SPACE_EMULATED : PW_SPACE_NATIVE);

		CHECK(r == 0 || r == -ESRCH || (!k && r == -EOPNOTSUPP),
		      "pw_space_open: %d (%s)", r, strerror(-r));
		if (r)
			sp[k] = NULL;
	}

	for (i = 0; i < calls; i++) {
		tool_start(&tr, pid, arena, seed);
		for (k = 0; k < 2; k++)
			if (sp[k])
				library_scans(sp[k], arena, seed);
		tool_finish_run(&tr);
		/* After an exec the target reports its new arena. */
		read_report(up[0], &arena, 0);
		if (mode == T_KILLED && t_rnd(seed) % 2)
			kill(pid, SIGKILL);
	}

	/* Gone, and reaped: the spaces opened on it still answer cleanly. */
	kill(pid, SIGKILL);
	step = "reap the target";
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	outcomes[mode]++;
	for (k = 0; k < 2; k++) {
		if (!sp[k])
			continue;
		library_scans(sp[k], arena, seed);
		pw_space_close(sp[k]);
	}
	tool_start(&tr, pid, arena, seed);
	tool_finish_run(&tr);
	close(up[0]);
}

int main(int argc, char **argv)
{
	const char *env = getenv("PW_STRESS_SECONDS");
	const char *dir = getenv("PW_BUILD");
	double seconds = env ? atof(env) : 3.0;
	long outcomes[T_MODES] = { 0 };
	long long t0 = t_now_ns(), budget;
	unsigned seed = (unsigned)getpid();
	/* The target is this program (its inode, even if rebuilt since). */
	const char *self = "/proc/self/exe";
	int m;

	if (argc == 6 && !strcmp(argv[1], "--target"))
		target(atoi(argv[2]), (enum target_mode)atoi(argv[3]),
		       (unsigned)strtoul(argv[4], NULL, 10), atoll(argv[5]), argv[0]);

	snprintf(tool_path, sizeof(tool_path), "%s/pagewatch", dir && *dir ? dir : "build");
	tool_fd = open(tool_path, O_RDONLY | O_CLOEXEC);
	if (tool_fd < 0) {
		fprintf(stderr, "%s: %s (build it first, or set PW_BUILD)\n", tool_path,
			strerror(errno));
		return 1;
	}
	sanitized = t_under_sanitizer("address") || t_under_sanitizer("thread");
	signal(SIGALRM, on_alarm);
	signal(SIGPIPE, SIG_IGN);
	budget = (long long)(seconds * 1e9);
	do {
		round_no++;
		alarm(TOOL_SECONDS + 60);
		one_round(&seed, self, outcomes);
		alarm(0);
	} while (t_now_ns() - t0 < budget && !t_failures);
	fprintf(stderr, "%d rounds in %.1f s:", round_no, (double)(t_now_ns() - t0) / 1e9);
	for (m = 0; m < T_MODES; m++)
		fprintf(stderr, " %ld target(s) %s", outcomes[m], mode_names[m]);
	fputc('\n', stderr);
	t_done();
}
