/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

int t_failures;

void t_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("skip: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(77);
}

void t_done(void)
{
	if (t_failures)
		fprintf(stderr, "%d check(s) failed\n", t_failures);
	exit(t_failures ? 1 : 0);
}

const char *t_backend(void)
{
	const char *e = getenv("PAGEWATCH_SCAN");

	return e && *e ? e : "default";
}

struct pw_space *t_space(pid_t pid)
{
	struct pw_space *sp;
	int r = pw_space_open(&sp, pid, 0);

	if (r == -EOPNOTSUPP)
		t_skip("scan backend '%s' is not available on this kernel", t_backend());
	if (r) {
		fprintf(stderr, "pw_space_open: %s\n", strerror(-r));
		exit(1);
	}
	return sp;
}

char *t_map(size_t pages)
{
	size_t len = pages * PAGE, align = 2UL << 20;
	char *raw = mmap(NULL, len + align, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char *p;

	if (raw == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	p = (char *)(((uintptr_t)raw + align - 1) & ~(align - 1));
	if (p > raw)
		munmap(raw, (size_t)(p - raw));
	munmap(p + len, (size_t)(raw + len + align - (p + len)));
	return p;
}

void t_unmap(char *p, size_t pages)
{
	munmap(p, pages * PAGE);
}

struct pw_scan_arg t_arg(const void *start, size_t pages, struct pw_region *vec,
			 uint64_t vec_len)
{
	struct pw_scan_arg a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.start = (uintptr_t)start;
	a.end = (uintptr_t)start + pages * PAGE;
	a.vec = (uintptr_t)vec;
	a.vec_len = vec_len;
	return a;
}

long t_raw_scan(int fd, struct pw_scan_arg *arg)
{
	static int self = -1;
	long r;

	if (fd < 0) {
		if (self < 0)
			self = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
		fd = self;
	}
	r = ioctl(fd, _IOWR('f', 16, uint8_t[96]), arg);
	return r < 0 ? -errno : r;
}

int t_have_pagemap_scan(void)
{
	struct pw_scan_arg a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	return t_raw_scan(-1, &a) == 0;
}

struct pw_watch *t_watch(void *addr, size_t len)
{
	struct pw_watch *w;
	const char *be = getenv("PAGEWATCH_BACKEND");
	int r;

	/* soft-dirty parks the other threads with a signal around each
	 * read-and-clear; TSan's background thread blocks them all. */
	if (be && !strcmp(be, "soft-dirty"))
		t_skip_under_sanitizer("thread", "soft-dirty stops the world with a signal, "
				       "which TSan's background thread blocks (-EAGAIN)");
	r = pw_watch_start(&w, addr, len, PW_BACKEND_AUTO);
	if (r == -EOPNOTSUPP)
		t_skip("write-watch backend '%s' is not available on this kernel",
		       be && *be ? be : "auto");
	if (r) {
		fprintf(stderr, "pw_watch_start: %s\n", strerror(-r));
		exit(1);
	}
	return w;
}

size_t t_written(struct pw_watch *w, void *addr, size_t len, void **pages, size_t max)
{
	size_t n = max;
	int r = pw_watch_get(w, addr, len, 0, pages, &n);

	if (r) {
		fprintf(stderr, "pw_watch_get: %s\n", strerror(-r));
		t_failures++;
		return 0;
	}
	return n;
}

/* ---- Helpers for the scan_s* rule tests (added) ---- */

char *t_map_small(size_t pages)
{
	char *p = t_map(pages);

	if (madvise(p, pages * PAGE, MADV_NOHUGEPAGE)) {
		perror("madvise(MADV_NOHUGEPAGE)");
		exit(1);
	}
	return p;
}

void t_write_pages(char *p, size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to; i++)
		((volatile char *)p)[i * PAGE] = (char)(i + 1);
}

void t_read_pages(char *p, size_t from, size_t to)
{
	size_t i;
	char sum = 0;

	for (i = from; i < to; i++)
		sum += ((volatile char *)p)[i * PAGE];
	__asm__ volatile("" : : "r"(sum));
}

void t_dontneed(char *p, size_t from, size_t to)
{
	if (madvise(p + from * PAGE, (to - from) * PAGE, MADV_DONTNEED)) {
		perror("madvise(MADV_DONTNEED)");
		exit(1);
	}
}

static void cat_string(uint64_t c, char *buf, size_t len)
{
	static const char letters[] = "AWFPSZHDG";	/* bit order, see pagewatch.h */
	size_t i, o = 0;

	for (i = 0; i < 9 && o + 1 < len; i++)
		if (c >> i & 1)
			buf[o++] = letters[i];
	if (c >> 9 && o + 1 < len)
		buf[o++] = '+';
	if (!o && len > 1)
		buf[o++] = '-';
	buf[o] = 0;
}

void t_print_regions(const char *what, const void *base, const struct pw_region *r, long n)
{
	uint64_t b = (uintptr_t)base;
	char cs[16];
	long i;

	fprintf(stderr, "  %s: %ld region(s)\n", what, n);
	for (i = 0; i < n && i < 40; i++) {
		cat_string(r[i].categories, cs, sizeof(cs));
		fprintf(stderr, "    [%+lld, %+lld) pages %s (0x%llx)\n",
			(long long)(r[i].start - b) / (long long)PAGE,
			(long long)(r[i].end - b) / (long long)PAGE, cs,
			(unsigned long long)r[i].categories);
	}
	if (n > 40)
		fprintf(stderr, "    ...\n");
}

static void print_query(const char *file, int line, const struct pw_scan_arg *a)
{
	fprintf(stderr, "%s:%d: query: start 0x%llx end +%lld pages (+%lld bytes) flags 0x%llx "
		"vec_len %llu max_pages %llu inverted 0x%llx mask 0x%llx anyof 0x%llx return 0x%llx\n",
		file, line, (unsigned long long)a->start,
		(long long)(a->end - a->start) / (long long)PAGE,
		(long long)(a->end - a->start), (unsigned long long)a->flags,
		(unsigned long long)a->vec_len, (unsigned long long)a->max_pages,
		(unsigned long long)a->category_inverted, (unsigned long long)a->category_mask,
		(unsigned long long)a->category_anyof_mask, (unsigned long long)a->return_mask);
}

static int have_scan = -1;

static int have_raw(void)
{
	if (have_scan < 0)
		have_scan = t_have_pagemap_scan();
	return have_scan;
}

int t_scan_fd = -1;

long t_scan_at(const char *file, int line, struct pw_space *sp, struct pw_scan_arg *arg)
{
	struct pw_scan_arg k = *arg, in = *arg;
	struct pw_region *uvec = (struct pw_region *)(uintptr_t)arg->vec, *kvec = NULL;
	size_t n = 0;
	long r, kr;

	if (have_raw() && arg->vec && arg->vec_len) {
		if (arg->vec_len > (1u << 20)) {
			fprintf(stderr, "%s:%d: t_scan: vec_len too large\n", file, line);
			exit(1);
		}
		n = (size_t)arg->vec_len;
		kvec = malloc(n * sizeof(*kvec));
		if (!kvec) {
			perror("malloc");
			exit(1);
		}
		memcpy(kvec, uvec, n * sizeof(*kvec));
		k.vec = (uintptr_t)kvec;
	}
	r = pw_scan(sp, arg);
	if (!have_raw())
		return r;
	kr = t_raw_scan(t_scan_fd, &k);
	if (r != kr || (r >= 0 && (arg->walk_end != k.walk_end ||
				   (n && memcmp(uvec, kvec, n * sizeof(*kvec)))))) {
		print_query(file, line, &in);
		fprintf(stderr, "%s:%d: pw_scan [%s] differs from the kernel's ioctl:\n",
			file, line, pw_space_backend(sp));
		fprintf(stderr, "  pw_scan: %ld, walk_end %+lld pages\n", r,
			(long long)(arg->walk_end - in.start) / (long long)PAGE);
		if (r > 0)
			t_print_regions("pw_scan", (void *)(uintptr_t)in.start, uvec, r);
		fprintf(stderr, "  kernel:  %ld, walk_end %+lld pages\n", kr,
			(long long)(k.walk_end - in.start) / (long long)PAGE);
		if (kr > 0)
			t_print_regions("kernel", (void *)(uintptr_t)in.start, kvec, kr);
		if (r == kr && r >= 0 && n && memcmp(uvec, kvec, n * sizeof(*kvec)))
			fprintf(stderr, "  (the vec contents differ)\n");
		t_failures++;
	}
	free(kvec);
	return r;
}

long t_scan_err_at(const char *file, int line, struct pw_space *sp, struct pw_scan_arg *arg)
{
	struct pw_scan_arg k = *arg, in = *arg;
	long r = pw_scan(sp, arg), kr;

	if (!have_raw())
		return r;
	kr = t_raw_scan(t_scan_fd, &k);
	if (r != kr) {
		print_query(file, line, &in);
		fprintf(stderr, "%s:%d: pw_scan [%s] returned %ld, the kernel's ioctl %ld\n",
			file, line, pw_space_backend(sp), r, kr);
		t_failures++;
	}
	return r;
}

void t_expect_at(const char *file, int line, struct pw_space *sp,
		 struct pw_scan_arg *arg, long ret, const struct pw_region *exp,
		 size_t n, uint64_t walk_end)
{
	struct pw_scan_arg in = *arg;
	const struct pw_region *got = (const struct pw_region *)(uintptr_t)arg->vec;
	long r = t_scan_at(file, line, sp, arg);
	int bad = r != ret || (r >= 0 && arg->walk_end != walk_end);
	long i;

	if (!bad && r > 0 && (size_t)r == n)
		for (i = 0; i < r; i++)
			if (got[i].start != exp[i].start || got[i].end != exp[i].end ||
			    got[i].categories != exp[i].categories)
				bad = 1;
	if (!bad && r >= 0 && (size_t)r != n)
		bad = 1;
	if (!bad)
		return;
	print_query(file, line, &in);
	fprintf(stderr, "%s:%d: unexpected answer from pw_scan [%s]\n", file, line,
		pw_space_backend(sp));
	fprintf(stderr, "  expected: %ld, walk_end %+lld pages\n", ret,
		(long long)(walk_end - in.start) / (long long)PAGE);
	t_print_regions("expected", (void *)(uintptr_t)in.start, exp, (long)n);
	fprintf(stderr, "  got:      %ld, walk_end %+lld pages\n", r,
		(long long)(arg->walk_end - in.start) / (long long)PAGE);
	if (r > 0)
		t_print_regions("got", (void *)(uintptr_t)in.start, got, r);
	t_failures++;
}

size_t t_model(const uint64_t *cats, const unsigned char *mapped, size_t npages,
	       const void *base, const struct pw_scan_arg *arg,
	       struct pw_region *out, size_t cap)
{
	uint64_t b = (uintptr_t)base, end = (arg->end + PAGE - 1) & ~(uint64_t)(PAGE - 1);
	uint64_t addr;
	size_t n = 0;

	for (addr = arg->start; addr < end; addr += PAGE) {
		size_t i;
		uint64_t c, rc;

		if (addr < b || (addr - b) / PAGE >= npages)
			continue;
		i = (size_t)((addr - b) / PAGE);
		if (mapped && !mapped[i])
			continue;
		c = cats[i] ^ arg->category_inverted;
		if ((c & arg->category_mask) != arg->category_mask)
			continue;
		if (arg->category_anyof_mask && !(c & arg->category_anyof_mask))
			continue;
		rc = cats[i] & arg->return_mask;
		if (n && out[n - 1].end == addr && out[n - 1].categories == rc) {
			out[n - 1].end += PAGE;
			continue;
		}
		if (n == cap) {
			fprintf(stderr, "t_model: more than %zu regions\n", cap);
			exit(1);
		}
		out[n].start = addr;
		out[n].end = addr + PAGE;
		out[n].categories = rc;
		n++;
	}
	return n;
}

int t_tmpfile(size_t pages)
{
	char name[] = "/tmp/pw-test-XXXXXX";
	char buf[4096];
	int fd = mkstemp(name);
	size_t i;

	if (fd < 0)
		return -1;
	unlink(name);
	memset(buf, 'x', sizeof(buf));
	for (i = 0; i < pages; i++)
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf)) {
			close(fd);
			return -1;
		}
	return fd;
}

uint64_t t_user_top(void)
{
	/* With 5-level paging the kernel honours an mmap hint above 128 TiB. */
	void *hint = (void *)(uintptr_t)(1ULL << 48);
	void *p = mmap(hint, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t top = (1ULL << 47) - PAGE;

	if (p == MAP_FAILED)
		return top;
	if ((uintptr_t)p >= (1ULL << 47))
		top = (1ULL << 56) - PAGE;
	munmap(p, PAGE);
	return top;
}

const struct t_uffd_cfg t_uffd_cfgs[3] = {
	{ PW_BACKEND_UFFD_ASYNC, 0, "uffd-async" },
	{ PW_BACKEND_UFFD_SYNC, 0, "uffd-sync" },
	{ PW_BACKEND_UFFD_SYNC, 1, "uffd-sync prefault" },
};

int t_uffd_start(struct pw_watch **w, void *p, size_t len, const struct t_uffd_cfg *c)
{
	if (c->prefault)
		setenv("PAGEWATCH_UFFD_PREFAULT", "1", 1);
	else
		unsetenv("PAGEWATCH_UFFD_PREFAULT");
	return pw_watch_start(w, p, len, c->be);
}

void t_each_uffd_backend(void (*fn)(enum pw_backend backend, const char *name))
{
	static const enum pw_backend b[] = { PW_BACKEND_UFFD_ASYNC, PW_BACKEND_UFFD_SYNC };
	struct pw_watch *w;
	char *m = t_map(1);
	int i, ran = 0;

	for (i = 0; i < 2; i++) {
		if (pw_watch_start(&w, m, PAGE, b[i]))
			continue;
		pw_watch_stop(w);
		fn(b[i], pw_backend_name(b[i]));
		ran++;
	}
	t_unmap(m, 1);
	if (!ran)
		t_skip("no uffd write-watch backend on this kernel");
}

uint64_t t_raw_categories(void)
{
	struct pw_scan_arg a;
	uint64_t known = 0;
	int i;

	for (i = 0; i < 64; i++) {
		memset(&a, 0, sizeof(a));
		a.size = sizeof(a);
		a.return_mask = 1ULL << i;
		if (t_raw_scan(-1, &a) == 0)
			known |= 1ULL << i;
	}
	return known;
}

/* ---- sanitizers ---- */

#if defined(__SANITIZE_THREAD__)
#define T_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define T_TSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define T_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define T_ASAN 1
#endif
#endif

#ifdef T_TSAN
/* ThreadSanitizer's dynamic annotations (in its runtime, gcc's and clang's). */
void AnnotateIgnoreWritesBegin(const char *file, int line);
void AnnotateIgnoreWritesEnd(const char *file, int line);
#endif

int t_under_sanitizer(const char *san)
{
	const char *env = getenv("PAGEWATCH_SANITIZE");
	size_t n = strlen(san);

#ifdef T_TSAN
	if (!strcmp(san, "thread"))
		return 1;
#endif
#ifdef T_ASAN
	if (!strcmp(san, "address"))
		return 1;
#endif
	/* A comma-separated list: "address,undefined". */
	while (env && *env) {
		if (!strncmp(env, san, n) && (env[n] == ',' || env[n] == '\0'))
			return 1;
		env = strchr(env, ',');
		if (env)
			env++;
	}
	return 0;
}

void t_skip_under_sanitizer(const char *san, const char *why)
{
	if (t_under_sanitizer(san))
		t_skip("not run under the %s sanitizer: %s", san, why);
}

void t_racy_copy(void *dst, const void *src, size_t len)
{
	uint64_t *d = dst;
	const uint64_t *s = src;
	size_t i;

	for (i = 0; i < len / 8; i++)
		d[i] = __atomic_load_n(&s[i], __ATOMIC_RELAXED);
}

void t_racy_begin(void)
{
#ifdef T_TSAN
	AnnotateIgnoreWritesBegin(__FILE__, __LINE__);
#endif
}

void t_racy_end(void)
{
#ifdef T_TSAN
	AnnotateIgnoreWritesEnd(__FILE__, __LINE__);
#endif
}

uint64_t t_low_user(void)
{
	return t_under_sanitizer("thread") ? 0x7e8000000000ULL : 0x100080000000ULL;
}

int t_read_more(int fd, char **buf, size_t *len, size_t *cap)
{
	ssize_t n;

	if (*cap - *len < 4096) {
		char *b = realloc(*buf, *cap * 2 + 4096);

		if (!b)
			return -1;
		*buf = b;
		*cap = *cap * 2 + 4096;
	}
	do
		n = read(fd, *buf + *len, *cap - *len - 1);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -1;
	*len += (size_t)n;
	(*buf)[*len] = '\0';
	return 0;
}

long long t_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

unsigned t_rnd(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}
