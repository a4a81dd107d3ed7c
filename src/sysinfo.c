/* SPDX-License-Identifier: MIT */
/*
 * Facts about the kernel and our privileges that every space needs, probed
 * once per process on throwaway mappings (lesson 3: probe each feature on
 * its own, with the exact operation that will be used).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

static struct pw_sysinfo info;
static pthread_once_t info_once = PTHREAD_ONCE_INIT;

static uint64_t entry_of(int fd, const void *addr)
{
	uint64_t e = 0;
	off_t off = (off_t)((uintptr_t)addr / PW_PAGE_SIZE * 8);

	if (pread(fd, &e, sizeof(e), off) != (ssize_t)sizeof(e))
		return 0;
	return e;
}

/* A read of untouched anonymous memory maps the shared zero page; a write
 * maps a page of our own.  The PFNs show whether pagemap hides them, which
 * depends on our credentials now, not at start-up: asked per space. */
bool pw_pfns_visible(uint64_t *zero_pfn)
{
	volatile char *p = mmap(NULL, 2 * PW_PAGE_SIZE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	bool visible = false;
	uint64_t z, w;
	char c;

	if (p != MAP_FAILED && fd >= 0) {
		c = p[0];
		p[PW_PAGE_SIZE] = (char)(c + 1);
		z = entry_of(fd, (const void *)p);
		w = entry_of(fd, (const void *)(p + PW_PAGE_SIZE));
		visible = (w >> PM_PRESENT_BIT & 1) && (w & PM_PFN_MASK);
		*zero_pfn = visible && (z >> PM_PRESENT_BIT & 1) ? z & PM_PFN_MASK : 0;
	}
	if (p != MAP_FAILED)
		munmap((void *)p, 2 * PW_PAGE_SIZE);
	if (fd >= 0)
		close(fd);
	return visible;
}

static void probe_guard(int fd)
{
	void *p = mmap(NULL, PW_PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return;
	if (madvise(p, PW_PAGE_SIZE, MADV_GUARD_INSTALL) == 0) {
		info.guard_regions = true;
		info.guard_bit = entry_of(fd, p) >> PM_GUARD_BIT & 1;
	}
	munmap(p, PW_PAGE_SIZE);
}

/* With 5-level paging the kernel honours a hint above 128 TiB. */
static uint64_t probe_user_top(void)
{
	void *hint = (void *)(uintptr_t)(1ULL << 48);
	void *p = mmap(hint, PW_PAGE_SIZE, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t top = (1ULL << 47) - PW_PAGE_SIZE;

	if (p == MAP_FAILED)
		return top;
	if ((uintptr_t)p >= (1ULL << 47))
		top = (1ULL << 56) - PW_PAGE_SIZE;
	munmap(p, PW_PAGE_SIZE);
	return top;
}

static void probe_all(void)
{
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	info.user_top = probe_user_top();
	if (fd < 0)
		return;
	info.pagemap_scan = pw_native_categories(fd, &info.scan_categories) == 0;
	probe_guard(fd);
	close(fd);
}

const struct pw_sysinfo *pw_sysinfo(void)
{
	pthread_once(&info_once, probe_all);
	return &info;
}

/* The index of the environment variable's value in names, -1 when unset
 * or empty, -EINVAL for any other value. */
int pw_env_choice(const char *var, const char *const *names, int n)
{
	const char *v = getenv(var);
	int i;

	if (!v || !*v)
		return -1;
	for (i = 0; i < n; i++)
		if (!strcmp(v, names[i]))
			return i;
	return -EINVAL;
}
