/* SPDX-License-Identifier: MIT */
/*
 * userfaultfd mechanics the two uffd backends share: opening and the API
 * handshake, registration cut at mapping boundaries, write-protect, and the
 * preparation of a range (THP split, population).  No watch state here.
 *
 * Write-protect and population run under uffd-sync's lock, which its
 * handler needs to resolve any write fault on watched memory -- and
 * malloc's heap may be watched.  So they allocate nothing and store into
 * nothing but the stack: where they must know the mappings of a range
 * they take a list the caller read beforehand, kept in a mapping of its
 * own (struct pw_usegs), and never read /proc/self/maps themselves.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "internal.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

/* The bit of _UFFDIO_WRITEPROTECT in uffdio_register.ioctls. */
#define UFFDIO_WRITEPROTECT_BIT (1ULL << 0x06)

/* UFFDIO_WRITEPROTECT says EAGAIN while the address space is changing
 * under a non-cooperative event; it is transient, so try again. */
#define EAGAIN_TRIES 1000

static bool private_anon(const struct pw_vma *v)
{
	return !v->inode && v->perms[3] == 'p';
}

static int grow(struct pw_useg **segs, size_t *cap, size_t n)
{
	struct pw_useg *s;

	if (n < *cap)
		return 0;
	*cap = *cap ? *cap * 2 : 8;
	s = realloc(*segs, *cap * sizeof(*s));
	if (!s)
		return -ENOMEM;
	*segs = s;
	return 0;
}

/* The pieces of [start, end) in each mapping; a gap is -EINVAL unless
 * gaps_ok, when it is skipped. */
static int collect(struct pw_maps_reader *mr, uint64_t start, uint64_t end,
		   bool gaps_ok, struct pw_useg **segs, size_t *n)
{
	struct pw_vma v;
	uint64_t next = start;
	size_t cap = 0;
	int r = 0;

	while (next < end && (r = pw_maps_next(mr, &v)) > 0) {
		if (v.end <= next)
			continue;
		if (v.start >= end)
			break;
		if (v.start > next && !gaps_ok)
			return -EINVAL;
		r = grow(segs, &cap, *n);
		if (r)
			return r;
		(*segs)[*n].start = v.start > next ? v.start : next;
		(*segs)[*n].end = v.end < end ? v.end : end;
		(*segs)[*n].anon = private_anon(&v);
		(*segs)[*n].readable = v.perms[0] == 'r';
		next = (*segs)[(*n)++].end;
	}
	if (r < 0)
		return r;
	return next < end && !gaps_ok ? -EINVAL : 0;
}

static int segments(uint64_t start, uint64_t end, bool gaps_ok,
		    struct pw_useg **segs, size_t *n)
{
	struct pw_maps_reader mr;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	int r;

	*segs = NULL;
	*n = 0;
	if (fd < 0)
		return -errno;
	r = pw_maps_begin(&mr, fd);
	if (!r)
		r = collect(&mr, start, end, gaps_ok, segs, n);
	pw_maps_end(&mr);
	close(fd);
	if (r) {
		free(*segs);
		*segs = NULL;
		*n = 0;
	}
	return r;
}

int pw_useg_collect(uint64_t start, uint64_t end, struct pw_useg **segs, size_t *n)
{
	return segments(start, end, false, segs, n);
}

bool pw_useg_shmem(const struct pw_useg *segs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!segs[i].anon)
			return true;
	return false;
}

int pw_usegs_set(struct pw_usegs *out, const struct pw_useg *segs, size_t n)
{
	size_t bytes = pw_align_up(n ? n * sizeof(*segs) : 1, PW_PAGE_SIZE);
	void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		return -errno;
	if (n)
		memcpy(m, segs, n * sizeof(*segs));
	out->v = m;
	out->n = n;
	out->bytes = bytes;
	return 0;
}

int pw_usegs_read(struct pw_usegs *out, uint64_t start, uint64_t end)
{
	struct pw_useg *segs;
	size_t n;
	int r = segments(start, end, true, &segs, &n);

	if (!r)
		r = pw_usegs_set(out, segs, n);
	free(segs);
	return r;
}

void pw_usegs_free(struct pw_usegs *s)
{
	if (s->bytes)
		munmap(s->v, s->bytes);
	s->v = NULL;
	s->n = 0;
	s->bytes = 0;
}

/* vm.unprivileged_userfaultfd=0 without CAP_SYS_PTRACE: the device
 * node's permissions are the other way in (6.1+). */
static int uffd_from_device(void)
{
	int dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	int fd;

	if (dev < 0)
		return -EPERM;
	fd = ioctl(dev, PW_DEV_USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		fd = -errno;
	close(dev);
	return fd;
}

/* User-mode faults only where the kernel knows the flag (5.11+) and we
 * do not need the kernel's own accesses to wait for us. */
static int uffd_open(bool user_mode_only)
{
	int flags = O_CLOEXEC | O_NONBLOCK;
	int fd = (int)syscall(SYS_userfaultfd, flags | (user_mode_only ? PW_UFFD_USER_MODE_ONLY : 0));

	if (fd < 0 && errno == EINVAL && user_mode_only)
		fd = (int)syscall(SYS_userfaultfd, flags);
	if (fd >= 0)
		return fd;
	if (errno != EPERM)
		return -errno;
	return uffd_from_device();
}

int pw_uffd_open(void)
{
	return uffd_open(true);
}

int pw_uffd_open_kernel(void)
{
	return uffd_open(false);
}

int pw_uffd_handshake(int fd, uint64_t features)
{
	struct pw_uffdio_api api = { .api = PW_UFFD_API, .features = features };

	if (ioctl(fd, PW_UFFDIO_API, &api))
		return -errno;
	return 0;
}

static int unregister_range(int fd, uint64_t start, uint64_t end)
{
	struct pw_uffdio_range range = { .start = start, .len = end - start };

	return ioctl(fd, PW_UFFDIO_UNREGISTER, &range) ? -errno : 0;
}

static int register_one(int fd, const struct pw_useg *s)
{
	struct pw_uffdio_register reg;

	memset(&reg, 0, sizeof(reg));
	reg.range.start = s->start;
	reg.range.len = s->end - s->start;
	reg.mode = PW_UFFDIO_REGISTER_MODE_WP;
	if (ioctl(fd, PW_UFFDIO_REGISTER, &reg))
		return -errno;
	/* Registered, but this memory type cannot be write-protected. */
	if (!(reg.ioctls & UFFDIO_WRITEPROTECT_BIT)) {
		unregister_range(fd, s->start, s->end);
		return -EOPNOTSUPP;
	}
	return 0;
}

int pw_uffd_register(int fd, const struct pw_useg *segs, size_t n)
{
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		r = register_one(fd, &segs[i]);
		if (r) {
			while (i--)
				unregister_range(fd, segs[i].start, segs[i].end);
			return r;
		}
	}
	return 0;
}

typedef int (*range_op)(int fd, uint64_t start, uint64_t end, bool flag);

/* Apply op to each piece of [start, end) in its own mapping, as they are
 * now: the fallback for kernels that want one mapping per call.  Gaps
 * (parts the application unmapped) are skipped, as newer kernels do.
 * With keep_going (unregistering what is left of a range the application
 * changed), a piece that fails does not stop the others; the first error
 * is returned. */
static int per_mapping(int fd, uint64_t start, uint64_t end, bool flag, range_op op,
		       bool keep_going)
{
	struct pw_useg *segs;
	size_t n, i;
	int r = segments(start, end, true, &segs, &n), e;

	for (i = 0; i < n && (!r || keep_going); i++) {
		e = op(fd, segs[i].start, segs[i].end, flag);
		if (!r)
			r = e;
	}
	free(segs);
	return r;
}

static int unregister_op(int fd, uint64_t start, uint64_t end, bool unused)
{
	(void)unused;
	return unregister_range(fd, start, end);
}

int pw_uffd_unregister(int fd, uint64_t start, uint64_t end)
{
	int r = unregister_range(fd, start, end);

	if (r == -EINVAL || r == -ENOENT)
		r = per_mapping(fd, start, end, false, unregister_op, true);
	return r;
}

static int wp_op(int fd, uint64_t start, uint64_t end, bool protect)
{
	struct pw_uffdio_writeprotect wp;
	int tries = 0;

	wp.range.start = start;
	wp.range.len = end - start;
	wp.mode = protect ? PW_UFFDIO_WRITEPROTECT_MODE_WP : 0;
	while (ioctl(fd, PW_UFFDIO_WRITEPROTECT, &wp)) {
		if (errno != EAGAIN || ++tries == EAGAIN_TRIES)
			return -errno;
		sched_yield();
	}
	return 0;
}

/* op on each piece of segs inside [start, end), in order, up to the
 * first failure; parts of the range in no piece are skipped. */
static int each_piece(int fd, const struct pw_usegs *segs, uint64_t start, uint64_t end,
		      bool flag, range_op op)
{
	uint64_t a, b;
	size_t i;
	int r;

	for (i = 0; i < segs->n && segs->v[i].start < end; i++) {
		a = segs->v[i].start > start ? segs->v[i].start : start;
		b = segs->v[i].end < end ? segs->v[i].end : end;
		if (a >= b)
			continue;
		r = op(fd, a, b, flag);
		if (r)
			return r;
	}
	return 0;
}

int pw_uffd_wp(int fd, uint64_t start, uint64_t end, bool protect,
	       const struct pw_usegs *segs)
{
	int r = wp_op(fd, start, end, protect);

	/* 6.1 wants the range inside one mapping and says ENOENT otherwise;
	 * a single page cannot cross one, so ENOENT is then final. */
	if (r == -ENOENT && end - start > PW_PAGE_SIZE && segs)
		r = each_piece(fd, segs, start, end, protect, wp_op);
	return r;
}

int pw_uffd_wake(int fd, uint64_t start, uint64_t end)
{
	struct pw_uffdio_range range = { .start = start, .len = end - start };

	return ioctl(fd, PW_UFFDIO_WAKE, &range) ? -errno : 0;
}

/*
 * A PMD-mapped THP is split by any change of protection that covers only
 * part of it; write-protecting one of its 4 KiB pages through the
 * userfaultfd is such a change.  Unlike mprotect(PROT_READ) and back, it
 * never leaves a window in which another thread's write to that page
 * fails: the write is resolved like any other protected write (by the
 * kernel in async mode, by our handler in sync mode).  Anonymous THPs keep
 * their data in place, PTE-mapped; a shmem PMD is dropped and its pages
 * fault back in from the page cache as 4 KiB entries.  The caller protects
 * the whole range right after, so this protection is no extra state.
 */
static int split_chunks(int fd, uint64_t start, uint64_t end)
{
	uint64_t c, page;
	int r;

	for (c = pw_align_down(start, PW_PMD_SIZE); c < end; c += PW_PMD_SIZE) {
		page = c < start ? start : c;
		r = wp_op(fd, page, page + PW_PAGE_SIZE, true);
		if (r)
			return r;
	}
	return 0;
}

#define HUGE_VEC 64

/* Split the THPs PAGEMAP_SCAN reports as HUGE. */
static int split_found(int fd, int pm, uint64_t start, uint64_t end)
{
	struct pw_region vec[HUGE_VEC];
	struct pw_scan_arg a;
	long n, i;
	int r = 0;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.start = start;
	a.end = end;
	a.vec = (uintptr_t)vec;
	a.vec_len = HUGE_VEC;
	a.category_mask = a.return_mask = PW_PAGE_HUGE;
	do {
		n = ioctl(pm, PW_PAGEMAP_SCAN, &a);
		if (n < 0) {
			r = -errno;
			break;
		}
		for (i = 0; !r && i < n; i++)
			r = split_chunks(fd, vec[i].start, vec[i].end);
		a.start = a.walk_end;
	} while (!r && n == HUGE_VEC && a.walk_end < end);
	return r;
}

int pw_uffd_split_thp(int fd, uint64_t start, uint64_t end)
{
	int pm, r;

	/* No new THP here, and khugepaged keeps away: one 2 MiB entry would
	 * make 511 clean pages look written.  EINVAL: no THP in this kernel. */
	if (madvise((void *)(uintptr_t)start, end - start, MADV_NOHUGEPAGE) &&
	    errno != EINVAL)
		return -errno;
	/* Without PAGEMAP_SCAN (5.7 to 6.6), or without access to our own
	 * pagemap (a process made non-dumpable by a change of credentials),
	 * we cannot cheaply tell which 2 MiB blocks are THPs: split them all,
	 * one ioctl per block. */
	pm = pw_sysinfo()->pagemap_scan ? open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC) : -1;
	if (pm < 0)
		return split_chunks(fd, start, end);
	r = split_found(fd, pm, start, end);
	close(pm);
	return r;
}

static void read_pages(uint64_t start, uint64_t end)
{
	volatile const char *p;
	char sum = 0;

	for (p = (const char *)(uintptr_t)start; (uintptr_t)p < end; p += PW_PAGE_SIZE)
		sum = (char)(sum + *p);
	__asm__ volatile("" : : "r"(sum));
}

#define READ_BATCH 64

/*
 * A read of one byte of each page, as the kernel's own access would do it:
 * process_vm_readv on ourselves faults the pages in for reading (the zero
 * page where nothing is mapped yet) and says EFAULT, instead of raising
 * SIGSEGV, for a page the application has made unreadable since the list
 * of pieces was read.  Where the call is refused (a seccomp sandbox) we
 * read the pages directly, if the piece was readable.
 */
static void read_pages_safe(uint64_t start, uint64_t end, bool readable)
{
	struct iovec local, remote[READ_BATCH];
	char sink[READ_BATCH];
	uint64_t p = start;
	size_t k;
	ssize_t n;

	while (p < end) {
		for (k = 0; k < READ_BATCH && p + k * PW_PAGE_SIZE < end; k++) {
			remote[k].iov_base = (void *)(uintptr_t)(p + k * PW_PAGE_SIZE);
			remote[k].iov_len = 1;
		}
		local.iov_base = sink;
		local.iov_len = k;
		n = process_vm_readv(getpid(), &local, 1, remote, k, 0);
		if (n < 0 && errno != EFAULT) {
			if (readable)
				read_pages(p, end);
			return;
		}
		if (n < 0)
			n = 0;
		/* The first n pages were read; the next one could not be. */
		p += ((size_t)n + ((size_t)n < k)) * PW_PAGE_SIZE;
	}
}

/* MADV_POPULATE_READ (5.14+); where the kernel lacks it, or part of the
 * piece cannot be populated that way (made unreadable), a read of each
 * page.  ENOMEM: part of the piece is not mapped any more -- the list of
 * pieces is out of date, and the caller reads it again. */
static int populate_piece(const struct pw_useg *s, uint64_t start, uint64_t end)
{
	if (!madvise((void *)(uintptr_t)start, end - start, MADV_POPULATE_READ))
		return 0;
	if (errno != EINVAL)
		return -errno;
	read_pages_safe(start, end, s->readable);
	return 0;
}

int pw_uffd_populate(uint64_t start, uint64_t end, bool anon_only,
		     const struct pw_usegs *segs)
{
	const struct pw_useg *v;
	uint64_t a, b;
	size_t i;
	int r;

	/* The common case in one call: no need to tell the kinds apart. */
	if (!anon_only) {
		if (!madvise((void *)(uintptr_t)start, end - start, MADV_POPULATE_READ))
			return 0;
		if (errno != EINVAL && errno != ENOMEM)
			return -errno;
	}
	for (i = 0; i < segs->n && segs->v[i].start < end; i++) {
		v = &segs->v[i];
		a = v->start > start ? v->start : start;
		b = v->end < end ? v->end : end;
		if (a >= b || (anon_only && !v->anon))
			continue;
		r = populate_piece(v, a, b);
		if (r)
			return r;
	}
	return 0;
}
