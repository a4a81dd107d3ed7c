/* SPDX-License-Identifier: MIT */
/*
 * pw_probe: what this kernel offers, each feature probed on its own with
 * the operation that would use it, on throwaway objects (lesson 3).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

static void probe_uffd(struct pw_probe *p)
{
	struct pw_uffdio_api api = { .api = PW_UFFD_API };
	struct pw_uffdio_register reg;
	int fd = pw_uffd_open();
	void *m;

	if (fd < 0)
		return;
	p->uffd = 1;
	if (ioctl(fd, PW_UFFDIO_API, &api)) {
		close(fd);
		return;
	}
	p->uffd_features = api.features;
	p->uffd_wp_unpopulated = !!(api.features & PW_UFFD_FEATURE_WP_UNPOPULATED);
	p->uffd_wp_async = !!(api.features & PW_UFFD_FEATURE_WP_ASYNC);
	p->uffd_sigbus = !!(api.features & PW_UFFD_FEATURE_SIGBUS);
	p->uffd_wp_hugetlbfs_shmem = !!(api.features & PW_UFFD_FEATURE_WP_HUGETLBFS_SHMEM);
	/* The feature bit alone does not prove registration works. */
	m = mmap(NULL, PW_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m != MAP_FAILED) {
		memset(&reg, 0, sizeof(reg));
		reg.range.start = (uintptr_t)m;
		reg.range.len = PW_PAGE_SIZE;
		reg.mode = PW_UFFDIO_REGISTER_MODE_WP;
		p->uffd_wp = ioctl(fd, PW_UFFDIO_REGISTER, &reg) == 0;
		munmap(m, PW_PAGE_SIZE);
	}
	close(fd);
}

/* clear_refs is process-wide (lesson 8) and writing 4 succeeds even where
 * soft-dirty is compiled out: check that a page really goes clean and then
 * dirty, in a child so that our own soft-dirty bits are left alone. */
static int soft_dirty_child(void)
{
	volatile char *m = mmap(NULL, PW_PAGE_SIZE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	off_t off = (off_t)((uintptr_t)m / PW_PAGE_SIZE * 8);
	uint64_t clean = 0, dirty = 0;
	int pm, cr;

	if (m == MAP_FAILED)
		return 2;
	m[0] = 1;
	pm = open("/proc/self/pagemap", O_RDONLY);
	cr = open("/proc/self/clear_refs", O_WRONLY);
	if (pm < 0 || cr < 0 || write(cr, "4", 1) != 1)
		return 2;
	if (pread(pm, &clean, 8, off) != 8)
		return 2;
	m[0] = 2;
	if (pread(pm, &dirty, 8, off) != 8)
		return 2;
	return !(clean >> PM_SOFT_DIRTY_BIT & 1) && (dirty >> PM_SOFT_DIRTY_BIT & 1) ? 0 : 1;
}

/* The verdict comes back through a pipe, not the exit status: a caller
 * that ignores SIGCHLD gets its children reaped before waitpid could. */
bool pw_soft_dirty_works(void)
{
	char verdict = 1;
	int fds[2], status;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC))
		return false;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return false;
	}
	if (pid == 0) {
		verdict = (char)soft_dirty_child();
		_exit(write(fds[1], &verdict, 1) == 1 ? 0 : 1);
	}
	close(fds[1]);
	while (read(fds[0], &verdict, 1) < 0 && errno == EINTR)
		;
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return verdict == 0;
}

static void read_word(const char *path, char *out, size_t size)
{
	char buf[256], *l, *r;
	FILE *f = fopen(path, "re");
	size_t n;

	out[0] = '\0';
	if (!f)
		return;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	l = strchr(buf, '[');
	r = l ? strchr(l, ']') : NULL;
	if (!l || !r || (size_t)(r - l - 1) >= size)
		return;
	memcpy(out, l + 1, (size_t)(r - l - 1));
	out[r - l - 1] = '\0';
}

static void probe_hugetlb(struct pw_probe *p)
{
	char line[128];
	FILE *f = fopen("/proc/meminfo", "re");

	p->hugetlb_pages = -1;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "HugePages_Free: %ld", &p->hugetlb_pages);
		sscanf(line, "Hugepagesize: %ld", &p->hugetlb_page_kb);
	}
	fclose(f);
}

/* What PW_BACKEND_AUTO tries first: the best backend the probe found. */
static enum pw_backend auto_backend(const struct pw_probe *p)
{
	int b;

	for (b = PW_BACKEND_UFFD_ASYNC; b < PW_BACKEND_MPROTECT; b++)
		if (pw_backend_available((enum pw_backend)b, p))
			return (enum pw_backend)b;
	return PW_BACKEND_MPROTECT;
}

/* Asked each time: our credentials may have changed since start-up. */
static int kpageflags_readable(void)
{
	int fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	uint64_t e;
	int ok;

	if (fd < 0)
		return 0;
	ok = pread(fd, &e, sizeof(e), 0) == (ssize_t)sizeof(e);
	close(fd);
	return ok;
}

int pw_probe(struct pw_probe *out, size_t size)
{
	const struct pw_sysinfo *si = pw_sysinfo();
	struct pw_probe p;
	struct utsname u;
	uint64_t zero_pfn;

	if (!out || !size)
		return -EINVAL;
	memset(&p, 0, sizeof(p));
	p.pagemap_scan = si->pagemap_scan;
	p.scan_categories = si->scan_categories;
	p.pfn_visible = pw_pfns_visible(&zero_pfn);
	p.kpageflags = kpageflags_readable();
	p.guard_regions = si->guard_regions;
	p.guard_bit = si->guard_bit;
	probe_uffd(&p);
	p.soft_dirty = pw_soft_dirty_works();
	read_word("/sys/kernel/mm/transparent_hugepage/enabled", p.thp_mode, sizeof(p.thp_mode));
	probe_hugetlb(&p);
	if (uname(&u) == 0)
		snprintf(p.kernel, sizeof(p.kernel), "%s", u.release);
	p.auto_backend = (int)auto_backend(&p);
	memcpy(out, &p, size < sizeof(p) ? size : sizeof(p));
	return 0;
}

static struct pw_probe cached;
static pthread_once_t cached_once = PTHREAD_ONCE_INIT;

static void probe_once(void)
{
	pw_probe(&cached, sizeof(cached));
}

const struct pw_probe *pw_probe_cached(void)
{
	pthread_once(&cached_once, probe_once);
	return &cached;
}
