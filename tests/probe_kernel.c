/* SPDX-License-Identifier: MIT */
/*
 * pw_probe against what this test observes directly, feature by feature:
 * the ioctl and its categories, userfaultfd and its features, soft-dirty
 * (checked in a child of our own), PFN visibility, kpageflags, guard
 * regions, THP mode, hugetlb, uname, the auto backend; the size argument;
 * and that probing leaves this process as it found it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kabi.h"
#include "testlib.h"


static uint64_t entry(int pm, const void *addr)
{
	uint64_t e = 0;

	if (pread(pm, &e, 8, (off_t)((uintptr_t)addr / PAGE * 8)) != 8)
		return ~0ULL;
	return e;
}

/* ---- userfaultfd, opened and asked directly ---- */

struct uffd_seen {
	int opened;
	int api_ok;
	uint64_t features;
	int wp_register;
};

static int uffd_open(void)
{
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | PW_UFFD_USER_MODE_ONLY);
	int dev;

	if (fd < 0 && errno == EINVAL)
		fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0 || errno != EPERM)
		return fd;
	dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return -1;
	fd = ioctl(dev, PW_DEV_USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
	close(dev);
	return fd;
}

static void uffd_look(struct uffd_seen *s)
{
	struct pw_uffdio_api api = { .api = PW_UFFD_API };
	struct pw_uffdio_register reg;
	int fd = uffd_open();
	void *m;

	memset(s, 0, sizeof(*s));
	if (fd < 0)
		return;
	s->opened = 1;
	if (ioctl(fd, PW_UFFDIO_API, &api) == 0) {
		s->api_ok = 1;
		s->features = api.features;
		m = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		memset(&reg, 0, sizeof(reg));
		reg.range.start = (uintptr_t)m;
		reg.range.len = PAGE;
		reg.mode = PW_UFFDIO_REGISTER_MODE_WP;
		s->wp_register = m != MAP_FAILED && ioctl(fd, PW_UFFDIO_REGISTER, &reg) == 0;
		munmap(m, PAGE);
	}
	close(fd);
}

/* ---- soft-dirty, verified in a child ---- */

static int soft_dirty_child(void)
{
	volatile char *m = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int pm = open("/proc/self/pagemap", O_RDONLY);
	int cr = open("/proc/self/clear_refs", O_WRONLY);
	uint64_t clean_w, clean_c, dirty_w, dirty_c;

	if (m == MAP_FAILED || pm < 0 || cr < 0)
		return 2;
	m[0] = 1;
	m[PAGE] = 1;
	if (write(cr, "4", 1) != 1)
		return 2;
	clean_w = entry(pm, (const void *)m);
	clean_c = entry(pm, (const void *)(m + PAGE));
	m[0] = 2;			/* dirty the first page only */
	dirty_w = entry(pm, (const void *)m);
	dirty_c = entry(pm, (const void *)(m + PAGE));
	if ((clean_w | clean_c | dirty_w | dirty_c) == ~0ULL)
		return 2;
	return !(clean_w >> 55 & 1) && !(clean_c >> 55 & 1) &&
	       (dirty_w >> 55 & 1) && !(dirty_c >> 55 & 1) ? 0 : 1;
}

static int soft_dirty_works(void)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		exit(1);
	if (pid == 0)
		_exit(soft_dirty_child());
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) == 2) {
		fprintf(stderr, "soft-dirty check child failed\n");
		exit(1);
	}
	return WEXITSTATUS(status) == 0;
}

/* 1 set, 0 not set, -1 unknown. */
static int kconfig(const char *opt)
{
	char cmd[160], line[256];
	int r = -1;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "zcat /proc/config.gz 2>/dev/null | grep -E '^(# )?%s[= ]'", opt);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	if (fgets(line, sizeof(line), f))
		r = line[0] != '#';
	pclose(f);
	return r;
}

/* ---- the rest of the facts ---- */

static void thp_word(char *out, size_t size)
{
	char buf[256] = "", *l, *r;
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	size_t n;

	out[0] = '\0';
	if (!f)
		return;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	l = strchr(buf, '[');
	r = l ? strchr(l, ']') : NULL;
	if (l && r && (size_t)(r - l - 1) < size) {
		memcpy(out, l + 1, (size_t)(r - l - 1));
		out[r - l - 1] = '\0';
	}
}

static long meminfo(const char *key)
{
	char line[128];
	long v = -1;
	size_t kl = strlen(key);
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ':')
			v = strtol(line + kl + 1, NULL, 10);
	fclose(f);
	return v;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n++;
	closedir(d);
	return n - 1;	/* the directory's own fd */
}

static size_t read_all(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		return 0;
	while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	return len;
}

static union {
	struct pw_probe p;
	unsigned char b[sizeof(struct pw_probe) + 64];
} full, part;

static void check_facts(const struct pw_probe *p)
{
	uint64_t raw = t_raw_categories();
	struct uffd_seen us;
	struct utsname u;
	char thp[32];
	int pm = open("/proc/self/pagemap", O_RDONLY);
	int kfd, sd, cfg;
	volatile char *m;
	uint64_t e, pfn;

	CHECK_EQ(p->pagemap_scan, raw != 0);
	CHECK_EQ(p->pagemap_scan, t_have_pagemap_scan());
	CHECK(p->scan_categories == raw, "scan_categories %#llx, the ioctl accepts %#llx",
	      (unsigned long long)p->scan_categories, (unsigned long long)raw);

	uffd_look(&us);
	CHECK_EQ(p->uffd, us.opened);
	CHECK(p->uffd_features == us.features, "uffd_features %#llx, the API says %#llx",
	      (unsigned long long)p->uffd_features, (unsigned long long)us.features);
	CHECK_EQ(p->uffd_wp_unpopulated, !!(us.features & PW_UFFD_FEATURE_WP_UNPOPULATED));
	CHECK_EQ(p->uffd_wp_async, !!(us.features & PW_UFFD_FEATURE_WP_ASYNC));
	CHECK_EQ(p->uffd_sigbus, !!(us.features & PW_UFFD_FEATURE_SIGBUS));
	CHECK_EQ(p->uffd_wp_hugetlbfs_shmem, !!(us.features & PW_UFFD_FEATURE_WP_HUGETLBFS_SHMEM));
	CHECK_EQ(p->uffd_wp, us.wp_register);
	CHECK(!p->uffd_wp_async || p->uffd, "uffd_wp_async without uffd");
	CHECK(!p->uffd_wp || p->uffd, "uffd_wp without uffd");
	CHECK(!p->uffd_wp_unpopulated || p->uffd, "uffd_wp_unpopulated without uffd");

	sd = soft_dirty_works();
	CHECK_EQ(p->soft_dirty, sd);
	cfg = kconfig("CONFIG_MEM_SOFT_DIRTY");
	if (cfg == 0)
		CHECK_EQ(p->soft_dirty, 0);

	/* PFNs: a page we wrote has one, unless it is hidden from us. */
	m = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(m != MAP_FAILED, "mmap");
	m[0] = 1;
	e = entry(pm, (const void *)m);
	pfn = e & ((1ULL << 55) - 1);
	CHECK(e >> 63, "written page not present");
	CHECK_EQ(p->pfn_visible, pfn != 0);
	if (geteuid() == 0)
		CHECK_EQ(p->pfn_visible, 1);
	munmap((void *)m, PAGE);

	kfd = open("/proc/kpageflags", O_RDONLY);
	CHECK_EQ(p->kpageflags, kfd >= 0 && pread(kfd, &e, 8, 0) == 8);
	if (kfd >= 0)
		close(kfd);

	m = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (madvise((void *)m, PAGE, MADV_GUARD_INSTALL) == 0) {
		CHECK_EQ(p->guard_regions, 1);
		CHECK_EQ(p->guard_bit, (int)(entry(pm, (const void *)m) >> 58 & 1));
	} else {
		CHECK_EQ(p->guard_regions, 0);
		CHECK_EQ(p->guard_bit, 0);
	}
	munmap((void *)m, PAGE);

	thp_word(thp, sizeof(thp));
	CHECK(!strcmp(p->thp_mode, thp), "thp_mode '%s', the file says '%s'", p->thp_mode, thp);
	CHECK(!strcmp(thp, "always") || !strcmp(thp, "madvise") || !strcmp(thp, "never") ||
	      !thp[0], "odd THP mode '%s'", thp);

	CHECK_EQ(p->hugetlb_pages, meminfo("HugePages_Free"));
	CHECK_EQ(p->hugetlb_page_kb, meminfo("Hugepagesize") < 0 ? 0 : meminfo("Hugepagesize"));

	CHECK(uname(&u) == 0 && !strcmp(p->kernel, u.release), "kernel '%s', uname '%s'",
	      p->kernel, u.release);

	/* The auto backend is one this kernel has: uffd-async when it can. */
	CHECK(p->auto_backend >= PW_BACKEND_UFFD_ASYNC && p->auto_backend <= PW_BACKEND_MPROTECT,
	      "auto_backend %d", p->auto_backend);
	if (raw && us.wp_register && (us.features & PW_UFFD_FEATURE_WP_ASYNC) &&
	    (us.features & PW_UFFD_FEATURE_WP_UNPOPULATED))
		CHECK_EQ(p->auto_backend, PW_BACKEND_UFFD_ASYNC);
	if (p->auto_backend == PW_BACKEND_UFFD_ASYNC)
		CHECK(p->pagemap_scan && p->uffd_wp_async && p->uffd_wp, "uffd-async without its parts");
	if (p->auto_backend == PW_BACKEND_UFFD_SYNC)
		CHECK(p->uffd_wp, "uffd-sync without uffd_wp");
	if (p->auto_backend == PW_BACKEND_SOFT_DIRTY)
		CHECK(p->soft_dirty, "soft-dirty without soft_dirty");
	close(pm);
}

static void check_size(void)
{
	static const size_t sizes[] = {
		1, 4, 8, offsetof(struct pw_probe, uffd), offsetof(struct pw_probe, thp_mode) + 3,
		offsetof(struct pw_probe, kernel), sizeof(struct pw_probe) - 1,
		sizeof(struct pw_probe),
	};
	unsigned i;
	size_t j;

	CHECK_EQ(pw_probe(NULL, sizeof(struct pw_probe)), -EINVAL);
	CHECK_EQ(pw_probe(NULL, 0), -EINVAL);
	memset(&part, 0xab, sizeof(part));
	CHECK_EQ(pw_probe(&part.p, 0), -EINVAL);
	for (j = 0; j < sizeof(part.b) && part.b[j] == 0xab; j++)
		;
	CHECK(j == sizeof(part.b), "size 0 wrote byte %zu", j);

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];

		memset(&part, 0xab, sizeof(part));
		CHECK_EQ(pw_probe(&part.p, n), 0);
		CHECK(!memcmp(part.b, full.b, n), "size %zu: the prefix differs", n);
		for (j = n; j < sizeof(part.b) && part.b[j] == 0xab; j++)
			;
		CHECK(j == sizeof(part.b), "size %zu: byte %zu after it was written", n, j);
	}
}

/* Probing must leave us as it found us: our pages' pagemap bits (and so
 * our soft-dirty state), our fds, our mappings, no child left behind. */
static void check_undisturbed(void)
{
	static char before[1 << 16], after[1 << 16];
	uint64_t e0[8], e1[8];
	int pm = open("/proc/self/pagemap", O_RDONLY);
	char *m = t_map(8);
	int fds, i;

	for (i = 0; i < 8; i += 2)
		m[i * PAGE] = 1;
	for (i = 0; i < 8; i++)
		e0[i] = entry(pm, m + i * PAGE);
	fds = count_fds();
	read_all("/proc/self/maps", before, sizeof(before));

	CHECK_EQ(pw_probe(&part.p, sizeof(part.p)), 0);

	read_all("/proc/self/maps", after, sizeof(after));
	CHECK(!strcmp(before, after), "pw_probe changed our mappings:\n%s\n---\n%s", before, after);
	CHECK_EQ(count_fds(), fds);
	errno = 0;
	CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD, "a child was left behind");
	for (i = 0; i < 8; i++) {
		e1[i] = entry(pm, m + i * PAGE);
		CHECK(e0[i] >> 55 == e1[i] >> 55, "page %d: flags %#llx became %#llx (soft-dirty %d->%d)",
		      i, (unsigned long long)(e0[i] >> 55), (unsigned long long)(e1[i] >> 55),
		      (int)(e0[i] >> 55 & 1), (int)(e1[i] >> 55 & 1));
	}
	t_unmap(m, 8);
	close(pm);
}

int main(void)
{
	unsetenv("PAGEWATCH_BACKEND");
	unsetenv("PAGEWATCH_SCAN");
	memset(&full, 0xab, sizeof(full));
	CHECK_EQ(pw_probe(&full.p, sizeof(full.p)), 0);
	check_facts(&full.p);
	check_size();
	check_undisturbed();
	t_done();
}
