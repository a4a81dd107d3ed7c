/* SPDX-License-Identifier: MIT */
/*
 * The pagewatch tool, run as a user runs it: "$PW_BUILD/pagewatch" (default
 * build/pagewatch) in a child with its stdout and stderr captured.
 *
 * Exit statuses (0 done, 1 failure, 2 bad usage), messages, --help on each
 * verb, the scan rows of a layout this test makes in its own memory, the
 * JSON of every verb, the maps total, and the same output from both scan
 * backends.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#ifndef T_N
#define T_N(a) (sizeof(a) / sizeof((a)[0]))
#endif

static int tool_fd = -1;	/* the binary, opened once: exec'd by fd */
static char tool_path[4096];

struct result {
	int status;		/* exit status, or 128 + signal */
	char *out, *err;	/* NUL-terminated */
	size_t out_len, err_len;
};

struct run_opts {
	const char *scan_env;	/* PAGEWATCH_SCAN for the tool; NULL: unset */
	bool as_nobody;		/* drop to uid/gid 65534 first */
};

/* ---- running the tool ---- */

static void child(int out_fd, int err_fd, const struct run_opts *o, char **argv)
{
	extern char **environ;

	if (dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0)
		_exit(125);
	if (o->scan_env)
		setenv("PAGEWATCH_SCAN", o->scan_env, 1);
	else
		unsetenv("PAGEWATCH_SCAN");
	if (o->as_nobody && (setgroups(0, NULL) || setgid(65534) || setuid(65534)))
		_exit(126);
	fexecve(tool_fd, argv, environ);
	_exit(127);
}

/* Read both pipes to their ends, however the tool interleaves them. */
static void drain(int out_fd, int err_fd, struct result *r)
{
	struct pollfd p[2] = { { out_fd, POLLIN, 0 }, { err_fd, POLLIN, 0 } };
	size_t out_cap = 0, err_cap = 0;

	r->out = calloc(1, 1);
	r->err = calloc(1, 1);
	while (p[0].fd >= 0 || p[1].fd >= 0) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents && t_read_more(out_fd, &r->out, &r->out_len, &out_cap))
			p[0].fd = -1;
		if (p[1].revents && t_read_more(err_fd, &r->err, &r->err_len, &err_cap))
			p[1].fd = -1;
	}
}

static void run_with(struct result *r, const struct run_opts *o, char **argv)
{
	int out[2], err[2], st;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
		perror("pipe2");
		exit(1);
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (pid == 0)
		child(out[1], err[1], o, argv);
	close(out[1]);
	close(err[1]);
	drain(out[0], err[0], r);
	close(out[0]);
	close(err[0]);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			perror("waitpid");
			exit(1);
		}
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	CHECK(!WIFSIGNALED(st), "pagewatch %s ... was killed by signal %d", argv[1],
	      WTERMSIG(st));
	CHECK(!WIFEXITED(st) || WEXITSTATUS(st) < 125, "pagewatch could not be run "
	      "(status %d)", WEXITSTATUS(st));
}

/* run(&r, "scan", "self", NULL) */
#define run(r, ...) run_env((r), NULL, __VA_ARGS__)
#define run_env(r, env, ...) do {						\
	char *_argv[] = { "pagewatch", __VA_ARGS__ };				\
	struct run_opts _o = { (env), false };				\
	run_with((r), &_o, _argv);						\
} while (0)

static void done_with(struct result *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

static bool has(const char *text, const char *needle)
{
	return text && strstr(text, needle);
}

/* ---- a small JSON checker: well-formed, and nothing after the value ---- */

static const char *json_value(const char *p, int depth);

static const char *ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

static const char *json_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	while (*p != '"') {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				int i;

				for (i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
						return NULL;
				p += 4;
			} else if (!*p || !strchr("\"\\/bfnrt", *p)) {
				return NULL;
			}
		}
		p++;
	}
	return p + 1;
}

static const char *json_number(const char *p)
{
	const char *s = p;

	if (*p == '-')
		p++;
	if (*p < '0' || *p > '9')
		return NULL;
	while ((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' || *p == 'E' ||
	       ((*p == '+' || *p == '-') && p > s && (p[-1] == 'e' || p[-1] == 'E')))
		p++;
	return p;
}

static const char *json_list(const char *p, char close, bool keys, int depth)
{
	p = ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (keys) {
			p = json_string(ws(p));
			if (!p)
				return NULL;
			p = ws(p);
			if (*p++ != ':')
				return NULL;
		}
		p = json_value(p, depth + 1);
		if (!p)
			return NULL;
		p = ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static const char *json_value(const char *p, int depth)
{
	if (depth > 32)
		return NULL;
	p = ws(p);
	switch (*p) {
	case '{':
		return json_list(p, '}', true, depth);
	case '[':
		return json_list(p, ']', false, depth);
	case '"':
		return json_string(p);
	case 't':
		return strncmp(p, "true", 4) ? NULL : p + 4;
	case 'f':
		return strncmp(p, "false", 5) ? NULL : p + 5;
	case 'n':
		return strncmp(p, "null", 4) ? NULL : p + 4;
	}
	return json_number(p);
}

static bool json_ok(const char *text)
{
	const char *end = json_value(text, 0);

	return end && !*ws(end);
}

/* ---- the layout: 8 written pages, then 8 only read ---- */

static char *layout;		/* 16 pages, a mapping of their own */
static char *split;		/* 4 written pages, two mappings: rw-p, r--p */

static void make_layout(void)
{
	char *m = mmap(NULL, 18 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	volatile char *v;
	size_t i;

	if (m == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	/* PROT_NONE pages on both sides keep it from merging with neighbours. */
	layout = m + PAGE;
	if (mprotect(layout, 16 * PAGE, PROT_READ | PROT_WRITE)) {
		perror("mprotect");
		exit(1);
	}
	v = layout;
	for (i = 0; i < 8; i++)
		v[i * PAGE] = 1;
	for (i = 8; i < 16; i++)
		(void)v[i * PAGE];

	/* The kernel merges one region across the two; the tool must not. */
	m = mmap(NULL, 6 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	split = m + PAGE;
	if (mprotect(split, 4 * PAGE, PROT_READ | PROT_WRITE)) {
		perror("mprotect");
		exit(1);
	}
	memset(split, 1, 4 * PAGE);
	if (mprotect(split + 2 * PAGE, 2 * PAGE, PROT_READ)) {
		perror("mprotect");
		exit(1);
	}
}

/* The categories a backend reports for this process's own space, 0 when
 * that backend is not available here. */
static uint64_t backend_categories(unsigned flags)
{
	struct pw_space *sp;
	uint64_t c;

	if (pw_space_open(&sp, 0, flags))
		return 0;
	c = pw_space_categories(sp);
	pw_space_close(sp);
	return c;
}

static void cats_str(uint64_t cats, char *buf, size_t len)
{
	uint64_t bit;
	size_t used = 0;

	buf[0] = '\0';
	for (bit = 1; bit & PW_PAGE_ALL; bit <<= 1)
		if (cats & bit)
			used += (size_t)snprintf(buf + used, len - used, "%s%s",
						 used ? "," : "", pw_category_name(bit));
}

/* ---- checks ---- */

static void check_exit(const char *what, const struct result *r, int want)
{
	CHECK(r->status == want, "%s: exit %d, expected %d; stderr: %s", what, r->status,
	      want, r->err);
}

static void test_help(void)
{
	static const char *const verbs[] = { "probe", "scan", "maps" };
	struct result r;
	unsigned i;

	run(&r, "--help", NULL);
	check_exit("--help", &r, 0);
	CHECK(has(r.out, "Usage:") && !r.err_len, "--help: usage on stdout: %s", r.out);
	done_with(&r);
	run(&r, "-h", NULL);
	check_exit("-h", &r, 0);
	done_with(&r);
	for (i = 0; i < T_N(verbs); i++) {
		char *v = (char *)verbs[i];

		run(&r, v, "--help", NULL);
		check_exit(verbs[i], &r, 0);
		CHECK(has(r.out, "Usage: pagewatch ") && has(r.out, verbs[i]) && !r.err_len,
		      "%s --help: its usage on stdout: %s", verbs[i], r.out);
		done_with(&r);
		run(&r, v, "-h", NULL);
		check_exit(verbs[i], &r, 0);
		CHECK(has(r.out, "Usage: pagewatch "), "%s -h: %s", verbs[i], r.out);
		done_with(&r);
	}
}

static void expect_usage(char **argv, const char *word)
{
	struct run_opts o = { NULL, false };
	struct result r;

	run_with(&r, &o, argv);
	check_exit(argv[1], &r, 2);
	CHECK(has(r.err, "Usage:"), "%s %s: usage text on stderr: %s", argv[1],
	      argv[2] ? argv[2] : "", r.err);
	CHECK(!word || has(r.err, word), "the message names '%s': %s", word, r.err);
	CHECK(r.out_len == 0, "nothing on stdout: %s", r.out);
	done_with(&r);
}

static void test_usage(void)
{
	expect_usage((char *[]){ "pagewatch", NULL }, NULL);
	expect_usage((char *[]){ "pagewatch", "frobnicate", NULL }, "frobnicate");
	expect_usage((char *[]){ "pagewatch", "scan", NULL }, "PID");
	expect_usage((char *[]){ "pagewatch", "scan", "self", "--bogus", NULL }, "--bogus");
	expect_usage((char *[]){ "pagewatch", "scan", "12ab", NULL }, "12ab");
	expect_usage((char *[]){ "pagewatch", "scan", "self", "--range", "1001-2000", NULL },
		     "aligned");
	expect_usage((char *[]){ "pagewatch", "scan", "self", "--range", "zz-1", NULL }, "zz-1");
	expect_usage((char *[]){ "pagewatch", "scan", "self", "--max-pages", "7x", NULL }, "7x");
	expect_usage((char *[]){ "pagewatch", "scan", "self", "--max-pages",
				 "99999999999999999999999", NULL }, NULL);
	expect_usage((char *[]){ "pagewatch", "scan", "self", "--range", NULL }, "--range");
	expect_usage((char *[]){ "pagewatch", "scan", "self", "--backend", "fast", NULL }, "fast");
	expect_usage((char *[]){ "pagewatch", "maps", "self", "extra", NULL }, "extra");
	expect_usage((char *[]){ "pagewatch", "probe", "--jsn", NULL }, "--jsn");
	/* An unknown category is a usage error that names the word. */
	expect_usage((char *[]){ "pagewatch", "scan", "self", "--require",
				 "written,bogosity", NULL }, "bogosity");
	expect_usage((char *[]){ "pagewatch", "scan", "self", "--return", "presnt", NULL },
		     "presnt");
	expect_usage((char *[]){ "pagewatch", "scan", "self", "--exclude", "huge,,file", NULL },
		     NULL);
}

/* Odd input: any documented status, never a crash (run_with CHECKs that). */
static void test_odd_input(void)
{
	static char *const cases[][6] = {
		{ "scan", "self", "--range", "-", NULL },
		{ "scan", "self", "--range=0x-0x", NULL },
		{ "scan", "self", "--range", "ffffffffffff0000-ffffffffffffffff", NULL },
		{ "scan", "self", "--range", "0-0", NULL },
		{ "scan", "self", "--", "--json", NULL },
		{ "scan", "-", NULL },
		{ "maps", "2147483647", NULL },
		{ "maps", "2147483648", NULL },
		{ "help", "scan", "maps", NULL },
		{ "scan", "self", "--max-pages", "1", "--json", NULL },
	};
	struct run_opts o = { NULL, false };
	struct result r;
	unsigned i;

	for (i = 0; i < T_N(cases); i++) {
		char *argv[8] = { "pagewatch" };

		memcpy(argv + 1, cases[i], sizeof(cases[i]));
		run_with(&r, &o, argv);
		CHECK(r.status <= 2, "%s %s: exit %d", cases[i][0], cases[i][1], r.status);
		CHECK(r.status == 0 || r.err_len, "%s %s: a failure says why", cases[i][0],
		      cases[i][1]);
		done_with(&r);
	}
}

static void test_errors(void)
{
	char pid[32] = "4194304";
	struct result r;
	FILE *f;

	/* No PID reaches pid_max: such a process cannot exist. */
	f = fopen("/proc/sys/kernel/pid_max", "re");
	if (f) {
		if (!fgets(pid, sizeof(pid), f))
			strcpy(pid, "4194304");
		pid[strcspn(pid, "\n")] = '\0';
		fclose(f);
	}
	run(&r, "scan", pid, NULL);
	check_exit("scan of no process", &r, 1);
	CHECK(has(r.err, "no process") && has(r.err, pid), "message: %s", r.err);
	done_with(&r);
	run(&r, "maps", pid, "--json", NULL);
	check_exit("maps of no process", &r, 1);
	CHECK(has(r.err, "no process"), "message: %s", r.err);
	done_with(&r);
}

static void test_permission(void)
{
	struct run_opts o = { NULL, true };
	struct result r;

	if (geteuid() != 0) {
		fprintf(stderr, "note: not root: the no-permission case is not tested\n");
		return;
	}
	run_with(&r, &o, (char *[]){ "pagewatch", "scan", "1", NULL });
	check_exit("scan of pid 1 as nobody", &r, 1);
	CHECK(has(r.err, "ptrace"), "the message says what access is needed: %s", r.err);
	CHECK(r.out_len == 0, "nothing on stdout: %s", r.out);
	done_with(&r);
	run_with(&r, &o, (char *[]){ "pagewatch", "maps", "1", NULL });
	check_exit("maps of pid 1 as nobody", &r, 1);
	CHECK(has(r.err, "ptrace"), "message: %s", r.err);
	done_with(&r);
}

static void test_probe(void)
{
	static const char *const keys[] = {
		"\"kernel\":", "\"pagemap_scan\":", "\"pagemap_scan_categories\":",
		"\"uffd_wp_async\":", "\"soft_dirty\":", "\"thp\":", "\"guard_bit\":",
		"\"write_watch_backend\":", "\"scan_backend\":",
		"\"scan_backend_categories\":",
	};
	struct result r;
	unsigned i;

	run(&r, "probe", NULL);
	check_exit("probe", &r, 0);
	CHECK(has(r.out, "pagemap_scan:") && has(r.out, "write-watch backend:") &&
	      has(r.out, "scan backend (self):"), "probe output: %s", r.out);
	done_with(&r);
	run(&r, "probe", "--json", NULL);
	check_exit("probe --json", &r, 0);
	CHECK(json_ok(r.out), "probe --json is not well-formed JSON: %s", r.out);
	for (i = 0; i < T_N(keys); i++)
		CHECK(has(r.out, keys[i]), "probe --json has %s: %s", keys[i], r.out);
	done_with(&r);
}

static void test_self(void)
{
	struct result r;

	run(&r, "scan", "self", NULL);
	check_exit("scan self", &r, 0);
	CHECK(has(r.out, "START-END") && has(r.out, "[stack]"), "scan self: %s", r.out);
	done_with(&r);
	run(&r, "maps", "self", NULL);
	check_exit("maps self", &r, 0);
	CHECK(has(r.out, "\ntotal ") && has(r.out, "[stack]"), "maps self: %s", r.out);
	done_with(&r);
}

/* One row of human scan output: start-end size pages categories mapping. */
struct row {
	uint64_t start, end, pages;
	char cats[160], mapping[64];
};

static int parse_rows(const char *text, struct row *rows, int max)
{
	const char *line = strchr(text, '\n');	/* skip the header */
	int n = 0;

	while (line && line[1] && n < max) {
		struct row *r = &rows[n];
		char size[16];

		line++;
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %15s %" SCNu64 " %159s %63s",
			   &r->start, &r->end, size, &r->pages, r->cats, r->mapping) != 6)
			return -1;
		n++;
		line = strchr(line, '\n');
	}
	return n;
}

static void fmt_range(char *buf, size_t len, const char *start, size_t pages)
{
	snprintf(buf, len, "%" PRIxPTR "-%" PRIxPTR, (uintptr_t)start,
		 (uintptr_t)(start + pages * PAGE));
}

/* The regions of the layout are exactly the two halves. */
static void test_scan_layout(const char *backend, uint64_t cats)
{
	uint64_t want = cats & (PW_PAGE_WRITTEN | PW_PAGE_FILE | PW_PAGE_PRESENT |
				PW_PAGE_SWAPPED | PW_PAGE_PFNZERO | PW_PAGE_HUGE);
	bool zero = cats & PW_PAGE_PFNZERO;
	char pid[16], range[64], ret[160], needle[64];
	struct row rows[4];
	struct result r;
	int n;

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	fmt_range(range, sizeof(range), layout, 16);
	cats_str(want, ret, sizeof(ret));
	run_env(&r, backend, "scan", pid, "--range", range, "--return", ret, NULL);
	check_exit("scan of the layout", &r, 0);
	n = parse_rows(r.out, rows, 4);
	CHECK_EQ(n, zero ? 2 : 1);
	if (n >= 1) {
		CHECK(rows[0].start == (uintptr_t)layout, "[%s] row 0 starts at %" PRIx64,
		      backend, rows[0].start);
		CHECK_EQ(rows[0].pages, zero ? 8 : 16);
		CHECK(!strcmp(rows[0].cats, "written,present"), "[%s] written pages: %s",
		      backend, rows[0].cats);
		CHECK(!strcmp(rows[0].mapping, "[anon]"), "[%s] mapping: %s", backend,
		      rows[0].mapping);
	}
	if (n == 2) {
		CHECK(rows[1].start == (uintptr_t)(layout + 8 * PAGE) &&
		      rows[1].end == (uintptr_t)(layout + 16 * PAGE),
		      "[%s] row 1: %" PRIx64 "-%" PRIx64, backend, rows[1].start, rows[1].end);
		CHECK(!strcmp(rows[1].cats, "written,present,pfnzero"),
		      "[%s] read pages: %s", backend, rows[1].cats);
	}
	if (t_failures)
		fprintf(stderr, "[%s] scan output:\n%s%s", backend, r.out, r.err);
	done_with(&r);

	/* The same scan as JSON. */
	run_env(&r, backend, "scan", pid, "--range", range, "--return", ret, "--json", NULL);
	check_exit("scan --json", &r, 0);
	CHECK(json_ok(r.out), "[%s] scan --json is not well-formed: %s", backend, r.out);
	snprintf(needle, sizeof(needle), "\"start\":\"0x%" PRIxPTR "\"", (uintptr_t)layout);
	CHECK(has(r.out, needle) && has(r.out, "\"mapping\":\"[anon]\"") &&
	      has(r.out, "\"categories\":[\"written\",\"present\"]") &&
	      has(r.out, "\"pages\":"), "[%s] scan --json: %s", backend, r.out);
	done_with(&r);

	/* --require and --exclude select the halves. */
	if (zero) {
		run_env(&r, backend, "scan", pid, "--range", range, "--exclude", "pfnzero",
			"--return", "present", NULL);
		n = parse_rows(r.out, rows, 4);
		CHECK(n == 1 && rows[0].pages == 8 && rows[0].start == (uintptr_t)layout,
		      "[%s] --exclude pfnzero: %s", backend, r.out);
		done_with(&r);
		run_env(&r, backend, "scan", pid, "--range", range, "--require", "pfnzero",
			"--max-pages", "3", NULL);
		n = parse_rows(r.out, rows, 4);
		CHECK(n == 1 && rows[0].pages == 3 &&
		      rows[0].start == (uintptr_t)(layout + 8 * PAGE),
		      "[%s] --require pfnzero --max-pages 3: %s", backend, r.out);
		done_with(&r);
	}
}

/* A region that spans two mappings is printed as one row per mapping. */
static void test_split(const char *backend)
{
	char pid[16], range[64];
	struct row rows[4];
	struct result r;
	int n;

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	fmt_range(range, sizeof(range), split, 4);
	run_env(&r, backend, "scan", pid, "--range", range, "--return", "present", NULL);
	check_exit("scan across two mappings", &r, 0);
	n = parse_rows(r.out, rows, 4);
	CHECK(n == 2 && rows[0].start == (uintptr_t)split &&
	      rows[0].end == (uintptr_t)(split + 2 * PAGE) &&
	      rows[1].start == rows[0].end && rows[1].end == (uintptr_t)(split + 4 * PAGE) &&
	      !strcmp(rows[0].cats, "present") && !strcmp(rows[1].cats, "present") &&
	      !strcmp(rows[0].mapping, "[anon]") && !strcmp(rows[1].mapping, "[anon]"),
	      "[%s] one row per mapping:\n%s%s", backend, r.out, r.err);
	done_with(&r);
}

/* Sum the "present" column of the human maps output; the total row apart. */
static void maps_present(const char *text, uint64_t *sum, uint64_t *total, int *rows)
{
	const char *line = strchr(text, '\n');

	*sum = *total = 0;
	*rows = 0;
	while (line && line[1]) {
		char a[32], b[32], c[32], d[32];
		uint64_t v;

		line++;
		if (sscanf(line, "%31s %31s %31s %31s", a, b, c, d) == 4) {
			if (!strcmp(a, "total"))
				*total = strtoull(c, NULL, 10);
			else if (sscanf(d, "%" SCNu64, &v) == 1)
				*sum += v, (*rows)++;
		}
		line = strchr(line, '\n');
	}
}

/* The value after each "present": in the mappings, and in the total. */
static void json_present(const char *text, uint64_t *sum, uint64_t *total)
{
	const char *tot = strstr(text, "\"total\":");
	const char *p = text;

	*sum = *total = 0;
	while ((p = strstr(p, "\"present\":"))) {
		p += strlen("\"present\":");
		if (tot && p > tot)
			*total = strtoull(p, NULL, 10);
		else
			*sum += strtoull(p, NULL, 10);
	}
}

static void test_maps(const char *backend, uint64_t cats)
{
	char pid[16], row[64];
	uint64_t sum, total;
	struct result r;
	int rows;

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	run_env(&r, backend, "maps", pid, NULL);
	check_exit("maps", &r, 0);
	maps_present(r.out, &sum, &total, &rows);
	CHECK(rows > 3, "[%s] maps rows: %s", backend, r.out);
	CHECK(sum == total && total > 0, "[%s] total present %" PRIu64 ", rows sum to %"
	      PRIu64, backend, total, sum);
	/* The layout's own row: 16 present pages, 8 of them the zero page. */
	snprintf(row, sizeof(row), "%" PRIxPTR " rw-p", (uintptr_t)layout);
	CHECK(has(r.out, row), "[%s] maps shows the layout at %s", backend, row);
	if (has(r.out, row)) {
		char present[16], zero[16];

		sscanf(strstr(r.out, row) + strlen(row), "%*s %15s %*s %*s %15s", present, zero);
		CHECK(!strcmp(present, "16"), "[%s] layout present: %s", backend, present);
		CHECK(!strcmp(zero, cats & PW_PAGE_PFNZERO ? "8" : "-"),
		      "[%s] layout zero: %s", backend, zero);
	}
	done_with(&r);

	run_env(&r, backend, "maps", pid, "--json", NULL);
	check_exit("maps --json", &r, 0);
	CHECK(json_ok(r.out), "[%s] maps --json is not well-formed: %s", backend, r.out);
	CHECK(has(r.out, "\"mappings\":") && has(r.out, "\"total\":") &&
	      has(r.out, "\"pfnzero\":") && has(r.out, "\"mapping\":\"[stack]\""),
	      "[%s] maps --json keys: %s", backend, r.out);
	json_present(r.out, &sum, &total);
	CHECK(sum == total && total > 0, "[%s] JSON total present %" PRIu64
	      ", mappings sum to %" PRIu64, backend, total, sum);
	done_with(&r);
}

/* Both backends, the same question, the same answer: on the layout, and
 * on the whole space of a child that sleeps while it is scanned. */
static void test_backends_agree(uint64_t native, uint64_t emulated)
{
	uint64_t both = native & emulated;
	char pid[16], range[64], ret[160];
	struct result a, b;
	pid_t kid;

	cats_str(both, ret, sizeof(ret));
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	fmt_range(range, sizeof(range), layout, 16);
	run_env(&a, "native", "scan", pid, "--range", range, "--return", ret, NULL);
	run_env(&b, "emulated", "scan", pid, "--range", range, "--return", ret, NULL);
	CHECK(a.status == 0 && b.status == 0 && !strcmp(a.out, b.out),
	      "the layout: native says\n%s%s\nemulated says\n%s%s", a.out, a.err, b.out, b.err);
	done_with(&a);
	done_with(&b);

	kid = fork();
	if (kid == 0) {
		pause();
		_exit(0);
	}
	snprintf(pid, sizeof(pid), "%d", (int)kid);
	run_env(&a, "native", "scan", pid, "--return", ret, NULL);
	run_env(&b, "emulated", "scan", pid, "--return", ret, NULL);
	CHECK(a.status == 0 && b.status == 0 && !strcmp(a.out, b.out),
	      "a sleeping child: native says\n%s%s\nemulated says\n%s%s", a.out, a.err,
	      b.out, b.err);
	done_with(&a);
	done_with(&b);
	run_env(&a, "native", "maps", pid, NULL);
	run_env(&b, "emulated", "maps", pid, NULL);
	CHECK(a.status == 0 && b.status == 0 && !strcmp(a.out, b.out),
	      "maps of a sleeping child: native says\n%s%s\nemulated says\n%s%s", a.out,
	      a.err, b.out, b.err);
	done_with(&a);
	done_with(&b);
	kill(kid, SIGKILL);
	waitpid(kid, NULL, 0);
}

int main(void)
{
	const char *dir = getenv("PW_BUILD");
	uint64_t native, emulated;

	/* The tool is single-threaded (nothing for TSan to find there, and
	 * ASan covers it); and an instrumented tool or test maps ~100 TiB of
	 * TSan shadow, which the emulated backend's whole-space scans would
	 * read page by page through pagemap for hours. */
	t_skip_under_sanitizer("thread", "the single-threaded tool's emulated whole-space "
			       "scans would read ~100 TiB of TSan shadow through pagemap");

	snprintf(tool_path, sizeof(tool_path), "%s/pagewatch", dir && *dir ? dir : "build");
	tool_fd = open(tool_path, O_RDONLY | O_CLOEXEC);
	if (tool_fd < 0) {
		fprintf(stderr, "%s: %s (build it first, or set PW_BUILD)\n", tool_path,
			strerror(errno));
		return 1;
	}
	make_layout();
	native = backend_categories(PW_SPACE_NATIVE);
	emulated = backend_categories(PW_SPACE_EMULATED);
	CHECK(emulated != 0, "the emulated backend always opens");

	test_help();
	test_usage();
	test_odd_input();
	test_errors();
	test_permission();
	test_probe();
	test_self();
	if (native) {
		test_scan_layout("native", native);
		test_split("native");
		test_maps("native", native);
	} else {
		fprintf(stderr, "note: no PAGEMAP_SCAN here: native runs not tested\n");
	}
	test_scan_layout("emulated", emulated);
	test_split("emulated");
	test_maps("emulated", emulated);
	if (native)
		test_backends_agree(native, emulated);
	t_done();
}
