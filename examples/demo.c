/* SPDX-License-Identifier: MIT */
/*
 * demo: lay out memory with pages of every kind pagewatch tells apart, then
 * run the pagewatch tool on this very process: `pagewatch maps PID`, then
 * `pagewatch scan PID --range <the demo area>`.
 *
 * The demo area, in address order, with a one-page hole between pieces so
 * that each is a mapping of its own:
 *   16 anonymous pages, written            -> written,present
 *   16 anonymous pages, only read          -> ...,pfnzero (the zero page)
 *   4 MiB with MADV_HUGEPAGE, written      -> ...,huge (when THP allows)
 *   8 pages of a file, shared: 4 read, 4 written
 *   the same 8 pages, private: read, then one written (a copy-on-write copy;
 *   the read maps every page already in the page cache: fault-around)
 *   4 anonymous pages, the middle 2 a guard region (MADV_GUARD_INSTALL)
 *
 * The tool is found next to this program: dirname(/proc/self/exe)/pagewatch.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

#define PAGE	4096UL
#define HUGE_SZ	(2UL << 20)
#define AREA	(8UL << 20)	/* the reservation the pieces go into */

struct piece {
	const char *what;
	size_t off, len;	/* within the area */
};

/* Offsets leave a page of hole after each piece; the THP piece starts on a
 * 2 MiB boundary so that the kernel can map it with huge pages. */
enum { P_WRITTEN, P_READ, P_THP, P_SHARED, P_PRIVATE, P_GUARD, NPIECES };

static struct piece pieces[NPIECES] = {
	[P_WRITTEN] = { "anonymous, written", 0, 16 * PAGE },
	[P_READ]    = { "anonymous, only read (the zero page)", 17 * PAGE, 16 * PAGE },
	[P_THP]     = { "anonymous, MADV_HUGEPAGE, written", HUGE_SZ, 2 * HUGE_SZ },
	[P_SHARED]  = { "file, shared: 4 pages read, 4 written",
			3 * HUGE_SZ + PAGE, 8 * PAGE },
	[P_PRIVATE] = { "the same file, private: read, page 6 written (copy-on-write)",
			3 * HUGE_SZ + 10 * PAGE, 8 * PAGE },
	[P_GUARD]   = { "anonymous, written, pages 2-3 a guard region",
			3 * HUGE_SZ + 19 * PAGE, 4 * PAGE },
};

static char *area;
static int guard_ok;

static void die(const char *what)
{
	fprintf(stderr, "demo: %s: %s\n", what, strerror(errno));
	exit(1);
}

static char *at(int piece)
{
	return area + pieces[piece].off;
}

/* A 2 MiB-aligned stretch of address space, PROT_NONE until filled. */
static void reserve(void)
{
	char *raw = mmap(NULL, AREA + HUGE_SZ, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char *end;

	if (raw == MAP_FAILED)
		die("mmap");
	area = (char *)(((uintptr_t)raw + HUGE_SZ - 1) & ~(HUGE_SZ - 1));
	end = area + AREA;
	if (area > raw)
		munmap(raw, (size_t)(area - raw));
	munmap(end, (size_t)(raw + AREA + HUGE_SZ - end));
}

static void place(int piece, int prot, int flags, int fd, off_t off)
{
	void *p = mmap(at(piece), pieces[piece].len, prot, flags | MAP_FIXED, fd, off);

	if (p == MAP_FAILED)
		die("mmap");
}

/* What is left of the reservation becomes holes: never reported. */
static void punch_holes(void)
{
	size_t cur = 0;
	int i;

	for (i = 0; i < NPIECES; i++) {
		if (pieces[i].off > cur)
			munmap(area + cur, pieces[i].off - cur);
		cur = pieces[i].off + pieces[i].len;
	}
	munmap(area + cur, AREA - cur);
}

static void touch_read(const char *p, size_t len)
{
	volatile const char *v = p;
	size_t i;

	for (i = 0; i < len; i += PAGE)
		(void)v[i];
}

static void anonymous(void)
{
	const int rw = PROT_READ | PROT_WRITE, anon = MAP_PRIVATE | MAP_ANONYMOUS;

	place(P_WRITTEN, rw, anon, -1, 0);
	memset(at(P_WRITTEN), 0x5a, pieces[P_WRITTEN].len);
	place(P_READ, rw, anon, -1, 0);
	touch_read(at(P_READ), pieces[P_READ].len);
	place(P_THP, rw, anon, -1, 0);
	/* Without THP the advice fails or is ignored: the pages stay 4 KiB. */
	madvise(at(P_THP), pieces[P_THP].len, MADV_HUGEPAGE);
	memset(at(P_THP), 0x5a, pieces[P_THP].len);
	place(P_GUARD, rw, anon, -1, 0);
	memset(at(P_GUARD), 0x5a, pieces[P_GUARD].len);
	/* Guard regions came with Linux 6.13: show them where they exist. */
	guard_ok = madvise(at(P_GUARD) + PAGE, 2 * PAGE, MADV_GUARD_INSTALL) == 0;
}

static void file_backed(void)
{
	char path[] = "/tmp/pagewatch-demo-XXXXXX";
	const int rw = PROT_READ | PROT_WRITE;
	int fd = mkstemp(path);

	if (fd < 0)
		die("mkstemp");
	if (ftruncate(fd, (off_t)pieces[P_SHARED].len)) {
		unlink(path);
		die("ftruncate");
	}
	place(P_SHARED, rw, MAP_SHARED, fd, 0);
	place(P_PRIVATE, rw, MAP_PRIVATE, fd, 0);
	/* The mappings keep the file alive; its name is not needed. */
	unlink(path);
	close(fd);
	touch_read(at(P_SHARED), 4 * PAGE);
	memset(at(P_SHARED) + 4 * PAGE, 0x5a, 4 * PAGE);
	touch_read(at(P_PRIVATE), pieces[P_PRIVATE].len);
	at(P_PRIVATE)[5 * PAGE] = 1;
}

static void describe(void)
{
	int i;

	printf("demo: pid %d, demo area %lx-%lx:\n", (int)getpid(),
	       (unsigned long)(uintptr_t)at(0),
	       (unsigned long)(uintptr_t)(at(NPIECES - 1) + pieces[NPIECES - 1].len));
	for (i = 0; i < NPIECES; i++) {
		if (i == P_GUARD && !guard_ok)
			printf("  %lx %5luK  anonymous, written (no guard regions: "
			       "MADV_GUARD_INSTALL needs Linux 6.13)\n",
			       (unsigned long)(uintptr_t)at(i), pieces[i].len / 1024);
		else
			printf("  %lx %5luK  %s\n", (unsigned long)(uintptr_t)at(i),
			       pieces[i].len / 1024, pieces[i].what);
	}
}

/* dirname(/proc/self/exe) + "/pagewatch" */
static void tool_path(char *out, size_t size)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n < 0)
		die("readlink /proc/self/exe");
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	if ((size_t)snprintf(out, size, "%s/pagewatch", slash ? exe : ".") >= size) {
		errno = ENAMETOOLONG;
		die("the tool's path");
	}
}

/* Run the tool and wait for it; its exit status, or 1 when killed. */
static int run(const char *tool, const char *header, char *const argv[])
{
	int status;
	pid_t pid;

	printf("\n== %s\n", header);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		execv(tool, argv);
		fprintf(stderr, "demo: cannot run %s: %s\n", tool, strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid");
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	fprintf(stderr, "demo: %s was killed by signal %d\n", tool, WTERMSIG(status));
	return 1;
}

int main(int argc, char **argv)
{
	char tool[PATH_MAX], pid[16], range[64], header[256];
	int r1, r2;

	if (argc > 1) {
		int help = !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help");

		fprintf(help ? stdout : stderr, "Usage: demo\nLays out pages of every "
			"kind in its own memory and runs pagewatch maps and pagewatch "
			"scan on itself.\n");
		return help ? 0 : 2;
	}
	tool_path(tool, sizeof(tool));
	reserve();
	anonymous();
	file_backed();
	punch_holes();
	describe();

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	snprintf(range, sizeof(range), "%lx-%lx", (unsigned long)(uintptr_t)at(0),
		 (unsigned long)(uintptr_t)(at(NPIECES - 1) + pieces[NPIECES - 1].len));
	snprintf(header, sizeof(header), "pagewatch maps %s: every mapping of this "
		 "process, pages per category", pid);
	r1 = run(tool, header, (char *const[]){ "pagewatch", "maps", pid, NULL });
	snprintf(header, sizeof(header), "pagewatch scan %s --range %s: the demo "
		 "area, region by region", pid, range);
	r2 = run(tool, header, (char *const[]){ "pagewatch", "scan", pid, "--range",
						range, NULL });
	return r1 ? r1 : r2;
}
