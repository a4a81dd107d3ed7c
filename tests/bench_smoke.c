/* SPDX-License-Identifier: MIT */
/*
 * Every benchmark program in $PW_BUILD/bench (default "build") runs with
 * --smoke and must exit 0 within 30 s: the benchmarks' only part in make
 * check, so that they keep building and running.  Speed is not judged
 * here.  Skips when the directory holds no program.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#define LIMIT_S		30
#define MAX_PROGS	64

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Run path --smoke, its Markdown to /dev/null and its progress to our
 * stderr; the exit status, or -1 when it ran out of time (and was killed). */
static int run_smoke(const char *path, double *seconds)
{
	uint64_t t0 = now_ns(), deadline = t0 + LIMIT_S * 1000000000ULL;
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	int status, fd;
	pid_t pid, r;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -2;
	if (pid == 0) {
		char *argv[] = { (char *)path, (char *)"--smoke", NULL };

		fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (fd >= 0)
			dup2(fd, STDOUT_FILENO);
		execv(path, argv);
		fprintf(stderr, "bench_smoke: exec %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return -2;
		if (now_ns() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			*seconds = (double)(now_ns() - t0) / 1e9;
			return -1;
		}
		nanosleep(&tick, NULL);
	}
	*seconds = (double)(now_ns() - t0) / 1e9;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	fprintf(stderr, "bench_smoke: %s: killed by signal %d\n", path, WTERMSIG(status));
	return 128 + WTERMSIG(status);
}

int main(void)
{
	const char *build = getenv("PW_BUILD");
	char dir[4096], path[4096 + 256], *names[MAX_PROGS];
	size_t n = 0, i;
	struct dirent *e;
	struct stat st;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/bench", build && *build ? build : "build");
	d = opendir(dir);
	if (!d)
		t_skip("no %s: %s", dir, strerror(errno));
	while ((e = readdir(d)) && n < MAX_PROGS) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) || !S_ISREG(st.st_mode) || access(path, X_OK))
			continue;
		names[n] = strdup(e->d_name);
		if (names[n])
			n++;
	}
	closedir(d);
	if (!n)
		t_skip("no benchmark program in %s", dir);
	qsort(names, n, sizeof(names[0]), by_name);

	for (i = 0; i < n; i++) {
		double s = 0;
		int rc;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		rc = run_smoke(path, &s);
		CHECK(rc != -1, "%s --smoke: still running after %d s (killed)", path, LIMIT_S);
		CHECK(rc != -2, "%s --smoke: could not be run: %s", path, strerror(errno));
		CHECK(rc <= 0, "%s --smoke: exit %d", path, rc);
		fprintf(stderr, "bench_smoke: %s --smoke: %s, %.1f s\n", names[i],
			rc == 0 ? "exit 0" : rc == -1 ? "timed out" : "failed", s);
		free(names[i]);
	}
	t_done();
}
