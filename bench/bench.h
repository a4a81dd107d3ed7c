/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the benchmarks: the clock, sampling, order statistics,
 * the environment header, peak-RSS probes and the common options.
 *
 * Everything here is static inline, so a benchmark pays only for what it
 * uses and -Wunused-function stays quiet.  Define _GNU_SOURCE before the
 * first #include of the benchmark.
 *
 * Conventions (issue: "report ratios against the bare kernel mechanism
 * measured in the same run; absolute times are noise"):
 *  - CLOCK_MONOTONIC; one warm-up call before measuring; nothing pinned;
 *  - a sample is a calibrated number of back-to-back calls lasting at least
 *    min_ns, so that short operations are not lost in the clock's overhead;
 *  - a sample during which the thread was preempted is taken again (the
 *    machine may be shared; see bench_sample_quiet);
 *  - the sides of a comparison alternate within each repetition;
 *  - report the median with p10/p90 (and min/max in the CSV).
 */
#ifndef PW_BENCH_H
#define PW_BENCH_H

#ifndef _GNU_SOURCE
#error "define _GNU_SOURCE before the first #include"
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

/* ---- time ---- */

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* One operation of a benchmark: 0 or a negative errno. */
typedef int (*bench_fn)(void *ctx);

static inline uint64_t bench_thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Time iters back-to-back calls of fn: *ns of CLOCK_MONOTONIC, and (when
 * cpu_ns is not NULL) the CPU time this thread got meanwhile. */
static inline int bench_sample(bench_fn fn, void *ctx, unsigned long iters, uint64_t *ns,
			       uint64_t *cpu_ns)
{
	uint64_t c0 = cpu_ns ? bench_thread_cpu_ns() : 0;
	uint64_t t0 = bench_now_ns();
	unsigned long i;
	int r;

	for (i = 0; i < iters; i++) {
		r = fn(ctx);
		if (r)
			return r;
	}
	*ns = bench_now_ns() - t0;
	if (cpu_ns)
		*cpu_ns = bench_thread_cpu_ns() - c0;
	return 0;
}

/* A sample is "quiet" when the thread ran for at least this share of it:
 * the operations measured here never block, so the rest is time spent
 * waiting for a CPU (other processes), which is not the operation's. */
#define BENCH_QUIET_SHARE	0.95

/* How hard to try for samples without preemption, and what it cost. */
struct bench_quiet {
	unsigned tries;		/* attempts per sample, at most */
	unsigned budget;	/* attempts thrown away, at most, in all */
	unsigned retried;	/* out: attempts thrown away */
	unsigned disturbed;	/* out: samples kept although preempted */
};

/*
 * One sample, taken again while the thread was preempted during it (up to
 * q->tries attempts, while q->budget lasts, so that a loaded machine slows
 * the benchmark by a bounded factor); *ns is that of the quietest attempt.
 * Time is still CLOCK_MONOTONIC: the thread's CPU clock only decides
 * whether a sample was disturbed.  (Time stolen by a hypervisor counts as
 * the guest thread's CPU time and cannot be seen here.)  prep, if any, is
 * called untimed before each attempt; q NULL takes one attempt and does
 * not look.  bench_sample_quiet and bench_sample_prepared are this.
 */
static inline int bench_sample_retry(bench_fn prep, bench_fn fn, void *ctx,
				     unsigned long iters, struct bench_quiet *q, uint64_t *ns)
{
	double best_share = -1;
	unsigned t;
	int r;

	*ns = 0;
	for (t = 0;; t++) {
		uint64_t wall, cpu;
		double share;

		r = prep ? prep(ctx) : 0;
		if (r)
			return r;
		r = bench_sample(fn, ctx, iters, &wall, q ? &cpu : NULL);
		if (r)
			return r;
		if (!q) {
			*ns = wall;
			return 0;
		}
		share = wall ? (double)cpu / (double)wall : 1.0;
		if (share > best_share) {
			best_share = share;
			*ns = wall;
		}
		if (best_share >= BENCH_QUIET_SHARE)
			return 0;
		if (t + 1 >= q->tries || q->retried >= q->budget)
			break;
		q->retried++;
	}
	q->disturbed++;
	return 0;
}

static inline int bench_sample_quiet(bench_fn fn, void *ctx, unsigned long iters,
				     struct bench_quiet *q, uint64_t *ns)
{
	return bench_sample_retry(NULL, fn, ctx, iters, q, ns);
}

/*
 * Warm up with one call, time a second one, and set *iters to the number
 * of calls that make a sample of at least min_ns (1 at the least).
 */
static inline int bench_calibrate(bench_fn fn, void *ctx, uint64_t min_ns, unsigned long *iters)
{
	uint64_t ns;
	int r = fn(ctx);

	if (r)
		return r;
	r = bench_sample(fn, ctx, 1, &ns, NULL);
	if (r)
		return r;
	if (!ns)
		ns = 1;
	*iters = ns >= min_ns ? 1 : (unsigned long)((min_ns + ns - 1) / ns);
	return 0;
}

/* ---- order statistics ---- */

struct bench_stats {
	double median, p10, p90, min, max;
	size_t n;
};

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The q-quantile of sorted[0..n), interpolated between order statistics. */
static inline double bench_quantile(const double *sorted, size_t n, double q)
{
	double pos = q * (double)(n - 1);
	size_t i = (size_t)pos;

	if (i + 1 >= n)
		return sorted[n - 1];
	return sorted[i] + (pos - (double)i) * (sorted[i + 1] - sorted[i]);
}

/* Statistics of v[0..n); v is sorted in place. */
static inline void bench_stats_of(double *v, size_t n, struct bench_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->n = n;
	if (!n)
		return;
	qsort(v, n, sizeof(*v), bench_cmp_double);
	s->min = v[0];
	s->max = v[n - 1];
	s->median = bench_quantile(v, n, 0.5);
	s->p10 = bench_quantile(v, n, 0.1);
	s->p90 = bench_quantile(v, n, 0.9);
}

/* ---- the environment ---- */

struct bench_env {
	char cpu[128];		/* "model name" of the first CPU */
	long cpus;		/* online */
	char kernel[65];	/* uname -r */
	bool vm;		/* the hypervisor CPU flag */
	char vm_product[64];	/* DMI product name, when readable */
	char thp[16];		/* transparent_hugepage/enabled: the [chosen] word */
	char thp_defrag[16];
	char clocksource[32];
	char compiler[64];
};

/* Copy src into dst[size], cut to fit, always terminated. */
static inline void bench_copy(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The first line of path, without its newline; "" when unreadable. */
static inline void bench_read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");

	buf[0] = '\0';
	if (!f)
		return;
	if (!fgets(buf, (int)size, f))
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/* The [bracketed] word of a sysfs choice file such as THP's "enabled". */
static inline void bench_read_choice(const char *path, char *buf, size_t size)
{
	char line[256], *a, *z;

	bench_read_line(path, line, sizeof(line));
	a = strchr(line, '[');
	z = a ? strchr(a, ']') : NULL;
	if (!a || !z) {
		bench_copy(buf, size, line[0] ? line : "unknown");
		return;
	}
	*z = '\0';
	bench_copy(buf, size, a + 1);
}

static inline void bench_env_get(struct bench_env *e)
{
	char line[4096];
	struct utsname u;
	bool got_model = false, got_flags = false;
	FILE *f;

	memset(e, 0, sizeof(*e));
	bench_copy(e->cpu, sizeof(e->cpu), "unknown");
	f = fopen("/proc/cpuinfo", "r");
	while (f && (!got_model || !got_flags) && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (!colon)
			continue;
		if (!got_model && !strncmp(line, "model name", 10)) {
			colon += 1 + (colon[1] == ' ');
			colon[strcspn(colon, "\n")] = '\0';
			bench_copy(e->cpu, sizeof(e->cpu), colon);
			got_model = true;
		} else if (!got_flags && !strncmp(line, "flags", 5)) {
			e->vm = strstr(colon, " hypervisor") != NULL;
			got_flags = true;
		}
	}
	if (f)
		fclose(f);
	e->cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (uname(&u) == 0)
		bench_copy(e->kernel, sizeof(e->kernel), u.release);
	bench_read_line("/sys/class/dmi/id/product_name", e->vm_product, sizeof(e->vm_product));
	bench_read_choice("/sys/kernel/mm/transparent_hugepage/enabled", e->thp, sizeof(e->thp));
	bench_read_choice("/sys/kernel/mm/transparent_hugepage/defrag", e->thp_defrag,
			  sizeof(e->thp_defrag));
	bench_read_line("/sys/devices/system/clocksource/clocksource0/current_clocksource",
			e->clocksource, sizeof(e->clocksource));
#if defined(__clang__)
	snprintf(e->compiler, sizeof(e->compiler), "clang %s", __clang_version__);
#elif defined(__GNUC__)
	snprintf(e->compiler, sizeof(e->compiler), "gcc %s", __VERSION__);
#else
	bench_copy(e->compiler, sizeof(e->compiler), "unknown");
#endif
	e->compiler[strcspn(e->compiler, "\n")] = '\0';
	while (e->compiler[0] && e->compiler[strlen(e->compiler) - 1] == ' ')
		e->compiler[strlen(e->compiler) - 1] = '\0';
}

/* The environment as a two-column Markdown table. */
static inline void bench_env_print(FILE *out, const struct bench_env *e)
{
	fprintf(out, "| environment | |\n|---|---|\n");
	fprintf(out, "| CPU | %s (%ld online) |\n", e->cpu, e->cpus);
	fprintf(out, "| kernel | %s |\n", e->kernel);
	fprintf(out, "| virtual machine | %s%s%s |\n", e->vm ? "yes (hypervisor flag)" : "no",
		e->vm && e->vm_product[0] ? ", " : "", e->vm ? e->vm_product : "");
	fprintf(out, "| THP | enabled=%s, defrag=%s |\n", e->thp, e->thp_defrag);
	fprintf(out, "| clocksource | %s |\n", e->clocksource[0] ? e->clocksource : "unknown");
	fprintf(out, "| compiler | %s |\n", e->compiler);
}

/* ---- memory ---- */

/* A "Key:   N kB" line of /proc/self/status in KiB, -1 when missing. */
static inline long bench_status_kib(const char *key)
{
	char line[256];
	size_t kl = strlen(key);
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, kl) && line[kl] == ':') {
			v = strtol(line + kl + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

/* Reset this process's peak RSS (VmHWM) to its current RSS: clear_refs 5,
 * Linux 4.0+.  False when the kernel or a sandbox refuses. */
static inline bool bench_reset_peak_rss(void)
{
	int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, "5", 1) == 1;
	close(fd);
	return ok;
}

/* getrusage's peak RSS in KiB. */
static inline long bench_maxrss_kib(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return -1;
	return ru.ru_maxrss;
}

/* ---- options every benchmark takes ---- */

struct bench_opts {
	bool smoke;		/* tiny sizes, a few repetitions, < 2 s */
	const char *csv;	/* --csv PATH: one line per measurement */
	int reps;		/* repetitions per side; 0: the benchmark's default */
};

/* 0, 1 after printing help, -1 after a usage error. */
static inline int bench_parse_opts(int argc, char **argv, struct bench_opts *o, const char *what)
{
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--smoke")) {
			o->smoke = true;
		} else if (!strcmp(argv[i], "--csv") && i + 1 < argc) {
			o->csv = argv[++i];
		} else if (!strcmp(argv[i], "--reps") && i + 1 < argc) {
			o->reps = atoi(argv[++i]);
			if (o->reps < 1 || o->reps > 100000) {
				fprintf(stderr, "%s: --reps wants 1..100000\n", argv[0]);
				return -1;
			}
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: %s [--smoke] [--reps N] [--csv PATH]\n%s\n", argv[0], what);
			return 1;
		} else {
			fprintf(stderr, "usage: %s [--smoke] [--reps N] [--csv PATH]\n", argv[0]);
			return -1;
		}
	}
	return 0;
}

/* CSV: one header, then one line per measurement, all with these columns. */
#define BENCH_CSV_HEADER \
	"bench,layout,query,metric,unit,median,p10,p90,min,max,reps,target,verdict,note\n"

static inline void bench_csv_row(FILE *f, const char *bench, const char *layout,
				 const char *query, const char *metric, const char *unit,
				 const struct bench_stats *s, const char *target,
				 const char *verdict, const char *note)
{
	if (!f)
		return;
	fprintf(f, "%s,%s,%s,%s,%s,", bench, layout, query, metric, unit);
	if (s)
		fprintf(f, "%.4g,%.4g,%.4g,%.4g,%.4g,%zu,", s->median, s->p10, s->p90,
			s->min, s->max, s->n);
	else
		fprintf(f, ",,,,,,");
	/* note is free text: quote it, doubling any quote. */
	fprintf(f, "%s,%s,\"", target ? target : "", verdict ? verdict : "");
	for (; note && *note; note++) {
		if (*note == '"')
			fputc('"', f);
		fputc(*note, f);
	}
	fprintf(f, "\"\n");
}

/* ---- additions for benchmarks with an untimed set-up per sample ---- */

/*
 * One sample of a single call of fn, preceded by an untimed call of prep
 * that sets the stage (a reset before timing writes, the writes before
 * timing their collection).  Taken again, prep included, while the thread
 * was preempted during fn, as bench_sample_quiet does; q NULL takes one
 * attempt and does not look: for operations that wait by design (a write
 * resolved by another thread), whose CPU share says nothing.
 */
static inline int bench_sample_prepared(bench_fn prep, bench_fn fn, void *ctx,
					struct bench_quiet *q, uint64_t *ns)
{
	return bench_sample_retry(prep, fn, ctx, 1, q, ns);
}

/* Statistics of the paired ratios num[i] / den[i], i < n (pairs with a
 * zero denominator are left out); scratch holds n doubles. */
static inline void bench_ratio_stats(const double *num, const double *den, size_t n,
				     double *scratch, struct bench_stats *s)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (den[i] > 0)
			scratch[k++] = num[i] / den[i];
	bench_stats_of(scratch, k, s);
}

/* A small deterministic generator (xorshift64*); *s must not be 0. */
static inline uint64_t bench_rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* "met", "MISSED", or "smoke" (tiny sizes are not judged) for a median
 * against a ceiling (at_most) or a floor. */
static inline const char *bench_verdict(double median, double target, bool at_most, bool smoke)
{
	if (smoke)
		return "smoke";
	if (at_most ? median <= target : median >= target)
		return "met";
	return "MISSED";
}

#endif /* PW_BENCH_H */
