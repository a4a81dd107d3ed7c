/* SPDX-License-Identifier: MIT */
/*
 * Fuzz pw_scan's argument handling differentially: the same argument, built
 * from the input, through the kernel's PAGEMAP_SCAN (native backend) and
 * through the emulation.  Any difference in the return value, the regions
 * or walk_end is a crash.  Needs a kernel with PAGEMAP_SCAN; elsewhere the
 * input is only run through the emulation (which must not crash).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define WINDOW_PAGES 2048		/* 8 MiB */
#define VEC 700

static struct pw_space *native, *emulated;
static char *window;
static char *ro_vec;

/* A small layout: written, read (zero page), untouched, dropped, a THP,
 * shared memory, a guard page, read-only and PROT_NONE pieces and gaps. */
static void layout(void)
{
	char *w = mmap(NULL, WINDOW_PAGES * PW_PAGE_SIZE + PW_PMD_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	size_t i;

	if (w == MAP_FAILED)
		abort();
	window = (char *)pw_align_up((uintptr_t)w, PW_PMD_SIZE);
	madvise(window, PW_PMD_SIZE, MADV_NOHUGEPAGE);
	for (i = 0; i < 512; i++) {
		if (i % 3 == 0)
			window[i * PW_PAGE_SIZE] = 1;
		else if (i % 5 == 0)
			(void)*(volatile char *)(window + i * PW_PAGE_SIZE);
	}
	madvise(window + 30 * PW_PAGE_SIZE, 10 * PW_PAGE_SIZE, MADV_DONTNEED);
	madvise(window + 100 * PW_PAGE_SIZE, PW_PAGE_SIZE, MADV_GUARD_INSTALL);
	madvise(window + 512 * PW_PAGE_SIZE, PW_PMD_SIZE, MADV_HUGEPAGE);
	memset(window + 512 * PW_PAGE_SIZE, 2, PW_PMD_SIZE);
	mmap(window + 1100 * PW_PAGE_SIZE, 40 * PW_PAGE_SIZE, PROT_READ | PROT_WRITE,
	     MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	memset(window + 1100 * PW_PAGE_SIZE, 3, 20 * PW_PAGE_SIZE);
	mprotect(window + 1200 * PW_PAGE_SIZE, 16 * PW_PAGE_SIZE, PROT_READ);
	mprotect(window + 1300 * PW_PAGE_SIZE, 16 * PW_PAGE_SIZE, PROT_NONE);
	munmap(window + 1400 * PW_PAGE_SIZE, 50 * PW_PAGE_SIZE);
	for (i = 1500; i < WINDOW_PAGES; i += 7)
		window[i * PW_PAGE_SIZE] = 4;
	ro_vec = mmap(NULL, PW_PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static void init(void)
{
	if (window)
		return;
	layout();
	if (pw_space_open(&emulated, 0, PW_SPACE_EMULATED))
		abort();
	if (pw_space_open(&native, 0, PW_SPACE_NATIVE))
		native = NULL;
}

static uint64_t take(const uint8_t **p, size_t *n, unsigned bytes)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < bytes && *n; i++, (*p)++, (*n)--)
		v |= (uint64_t)**p << (8 * i);
	return v;
}

/* Mostly plausible arguments, sometimes anything at all. */
static void build(struct pw_scan_arg *a, const uint8_t *p, size_t n, struct pw_region *vec)
{
	uint64_t sel = take(&p, &n, 2);
	uint64_t base = (uintptr_t)window;

	memset(a, 0, sizeof(*a));
	a->size = sel & 1 ? take(&p, &n, 1) : sizeof(*a);
	a->flags = sel & 2 ? take(&p, &n, 1) : 0;
	a->start = base + take(&p, &n, 2) % (WINDOW_PAGES + 8) * PW_PAGE_SIZE;
	a->end = a->start + take(&p, &n, 2) % (WINDOW_PAGES + 8) * PW_PAGE_SIZE;
	if (sel & 4)
		a->start += take(&p, &n, 2) % PW_PAGE_SIZE;
	if (sel & 8)
		a->end += take(&p, &n, 2) % PW_PAGE_SIZE;
	if (sel & 16)
		a->end = take(&p, &n, 8);
	a->category_mask = take(&p, &n, 2);
	a->category_inverted = take(&p, &n, 2);
	a->category_anyof_mask = sel & 32 ? take(&p, &n, 2) : 0;
	a->return_mask = take(&p, &n, 2);
	if (!(sel & 64)) {
		a->category_mask &= PW_PAGE_ALL;
		a->category_inverted &= PW_PAGE_ALL;
		a->category_anyof_mask &= PW_PAGE_ALL;
		a->return_mask &= PW_PAGE_ALL;
	}
	a->vec_len = take(&p, &n, 2) % (VEC + 1);
	a->vec = (uintptr_t)vec;
	if (sel & 128)
		a->vec = sel & 256 ? (uintptr_t)ro_vec : 0;
	a->max_pages = sel & 512 ? take(&p, &n, 2) % 1000 : 0;
}

static void mismatch(const char *what, const struct pw_scan_arg *a, long r1, long r2)
{
	fprintf(stderr, "%s: native %ld emulated %ld; size %llu flags %#llx start +%#llx end +%#llx "
		"vec_len %llu max %llu inv %#llx mask %#llx anyof %#llx ret %#llx\n", what, r1, r2,
		(unsigned long long)a->size, (unsigned long long)a->flags,
		(unsigned long long)(a->start - (uintptr_t)window),
		(unsigned long long)(a->end - (uintptr_t)window),
		(unsigned long long)a->vec_len, (unsigned long long)a->max_pages,
		(unsigned long long)a->category_inverted, (unsigned long long)a->category_mask,
		(unsigned long long)a->category_anyof_mask, (unsigned long long)a->return_mask);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pw_region v1[VEC], v2[VEC];
	struct pw_scan_arg a1, a2, orig;
	uint64_t cats;
	long r1, r2;

	init();
	build(&orig, data, size, v1);
	a2 = orig;
	if (a2.vec == (uintptr_t)v1)
		a2.vec = (uintptr_t)v2;
	r2 = pw_scan(emulated, &a2);
	if (!native)
		return 0;
	a1 = orig;
	r1 = pw_scan(native, &a1);
	cats = orig.category_mask | orig.category_inverted | orig.category_anyof_mask | orig.return_mask;
	/* What the emulation documents it cannot do: it must say so, and
	 * only for an argument the kernel's own checks let through. */
	if (r2 == -EOPNOTSUPP && r1 != -EINVAL &&
	    ((orig.flags & (PW_SCAN_WP_MATCHING | PW_SCAN_CHECK_WPASYNC)) ||
	     (cats & ~pw_space_categories(emulated))))
		return 0;
	if (r1 != r2)
		mismatch("return", &orig, r1, r2);
	if (r1 >= 0 && a1.walk_end != a2.walk_end)
		mismatch("walk_end", &orig, (long)(a1.walk_end - (uintptr_t)window),
			 (long)(a2.walk_end - (uintptr_t)window));
	if (r1 > 0 && memcmp(v1, v2, (size_t)r1 * sizeof(*v1)))
		mismatch("regions", &orig, r1, r2);
	return 0;
}
