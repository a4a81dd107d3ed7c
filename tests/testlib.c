/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
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
