/* SPDX-License-Identifier: MIT */
/* Small helpers shared by the test programs.  Exit 0 pass, 1 fail, 77 skip. */
#ifndef PW_TESTLIB_H
#define PW_TESTLIB_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "pagewatch.h"

#define PAGE 4096UL

extern int t_failures;

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__,	\
			__LINE__, #cond);				\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		t_failures++;						\
	}								\
} while (0)

#define CHECK_EQ(a, b) do {						\
	long long _a = (long long)(a), _b = (long long)(b);		\
	CHECK(_a == _b, "%s = %lld, expected %lld", #a, _a, _b);	\
} while (0)

/* Print the reason and exit 77. */
_Noreturn void t_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Exit 0 if no CHECK failed, else 1. */
_Noreturn void t_done(void);

/* Open this process's space on the backend PAGEWATCH_SCAN names (or the
 * default), skipping with a reason when that backend is not available. */
struct pw_space *t_space(pid_t pid);
/* The backend the test runs on: "native" or "emulated". */
const char *t_backend(void);

/* An anonymous private mapping of n pages, 2 MiB aligned. */
char *t_map(size_t pages);
void t_unmap(char *p, size_t pages);

/* A scan argument over [start, start + pages) with vec/vec_len set. */
struct pw_scan_arg t_arg(const void *start, size_t pages, struct pw_region *vec,
			 uint64_t vec_len);

/* The raw kernel ioctl on fd (this process's pagemap by default, -1). */
long t_raw_scan(int fd, struct pw_scan_arg *arg);
int t_have_pagemap_scan(void);


/* ---- Helpers for the scan_s* rule tests (added) ---- */

/* t_map, then MADV_NOHUGEPAGE so every page is its own 4 KiB entry. */
char *t_map_small(size_t pages);
/* Write one byte into each page of [p + from pages, p + to pages). */
void t_write_pages(char *p, size_t from, size_t to);
/* Read one byte from each page: untouched anonymous memory maps the zero page. */
void t_read_pages(char *p, size_t from, size_t to);
/* madvise(MADV_DONTNEED) of [p + from pages, p + to pages), failing on error. */
void t_dontneed(char *p, size_t from, size_t to);

/* A region [base + from pages, base + to pages) with categories c. */
#define T_R(base, from, to, c)						\
	{ (uint64_t)(uintptr_t)(base) + (uint64_t)(from) * PAGE,	\
	  (uint64_t)(uintptr_t)(base) + (uint64_t)(to) * PAGE, (c) }
#define T_PG(base, n) ((uint64_t)(uintptr_t)(base) + (uint64_t)(n) * PAGE)
#define T_N(a) (sizeof(a) / sizeof((a)[0]))

/* pw_scan(sp, arg); and, when the kernel has PAGEMAP_SCAN, the same query
 * through the raw ioctl with its own copy of the vec (same initial
 * contents): CHECKs that both give the same return value, walk_end and vec
 * contents, printing both answers when they differ.  Returns pw_scan's
 * value; *arg holds pw_scan's walk_end.  vec must be valid memory. */
#define t_scan(sp, arg) t_scan_at(__FILE__, __LINE__, (sp), (arg))
long t_scan_at(const char *file, int line, struct pw_space *sp, struct pw_scan_arg *arg);

/* As t_scan, for queries meant to fail or whose vec/arg may be invalid:
 * the kernel gets an identical copy of *arg (same vec pointer) and only the
 * return values are compared.  Returns pw_scan's value. */
#define t_scan_err(sp, arg) t_scan_err_at(__FILE__, __LINE__, (sp), (arg))
long t_scan_err_at(const char *file, int line, struct pw_space *sp, struct pw_scan_arg *arg);

/* t_scan, then CHECK the exact return value, regions and walk_end. */
#define t_expect(sp, arg, ret, exp, n, walk_end)			\
	t_expect_at(__FILE__, __LINE__, (sp), (arg), (ret), (exp), (n), (walk_end))
void t_expect_at(const char *file, int line, struct pw_space *sp,
		 struct pw_scan_arg *arg, long ret, const struct pw_region *exp,
		 size_t n, uint64_t walk_end);

/* The expected answer of a query over [base, base + npages) whose pages
 * have categories cats[i] (mapped[i] false: a gap), as S22-S24 define it:
 * match, filter by return_mask, merge.  Ignores vec_len and max_pages (the
 * caller keeps them out of the way); walk_end is the rounded end.
 * Returns the number of regions stored in out (at most cap). */
size_t t_model(const uint64_t *cats, const unsigned char *mapped, size_t npages,
	       const void *base, const struct pw_scan_arg *arg,
	       struct pw_region *out, size_t cap);

/* Print regions relative to base on stderr, one per line. */
void t_print_regions(const char *what, const void *base, const struct pw_region *r, long n);

/* A file of pages pages in /tmp, filled with 'x', already unlinked; -1 on
 * failure. */
int t_tmpfile(size_t pages);

/* ---- write watches ---- */
/* Start a watch with PW_BACKEND_AUTO (PAGEWATCH_BACKEND picks the backend
 * under test), skipping with a reason when it is not available here. */
struct pw_watch *t_watch(void *addr, size_t len);
/* Every written page of [addr, addr + len) without reset, into pages (room
 * for max); returns the count, fails the test on an error. */
size_t t_written(struct pw_watch *w, void *addr, size_t len, void **pages, size_t max);

/* The pagemap fd t_scan and t_scan_err give the kernel (-1: this process). */
extern int t_scan_fd;

/* Short names for the category bits in expected answers. */
#define T_A PW_PAGE_WPALLOWED
#define T_W PW_PAGE_WRITTEN
#define T_F PW_PAGE_FILE
#define T_P PW_PAGE_PRESENT
#define T_S PW_PAGE_SWAPPED
#define T_Z PW_PAGE_PFNZERO
#define T_H PW_PAGE_HUGE
#define T_D PW_PAGE_SOFT_DIRTY
#define T_G PW_PAGE_GUARD

/* The top of user space the kernel's access_ok() accepts for an end
 * address (TASK_SIZE_MAX: 0x7ffffffff000 with 4-level paging). */
uint64_t t_user_top(void);

/* Append what one read() of fd gives to *buf (grown as needed, kept
 * NUL-terminated); -1 at its end or on an error. */
int t_read_more(int fd, char **buf, size_t *len, size_t *cap);
/* CLOCK_MONOTONIC in nanoseconds. */
long long t_now_ns(void);
/* A small, fast, seedable pseudo-random number. */
unsigned t_rnd(unsigned *seed);

/* The userfaultfd configurations the uffd_* tests go through: async, sync,
 * and sync with the pre-fault path forced (PAGEWATCH_UFFD_PREFAULT). */
struct t_uffd_cfg {
	enum pw_backend be;
	int prefault;
	const char *name;
};
extern const struct t_uffd_cfg t_uffd_cfgs[3];
/* fn(backend, name) for uffd-async and uffd-sync where this kernel has
 * them; skips the test when it has neither. */
void t_each_uffd_backend(void (*fn)(enum pw_backend backend, const char *name));
/* The category bits the raw ioctl accepts: a zero-length scan per bit. */
uint64_t t_raw_categories(void);
int t_uffd_start(struct pw_watch **w, void *p, size_t len, const struct t_uffd_cfg *c);

/* ---- sanitizers (make check SANITIZE=...) ---- */
/* Whether this run is instrumented with sanitizer san ("address",
 * "undefined", "thread"): the compiler says so, or PAGEWATCH_SANITIZE
 * (exported by the Makefile) names it. */
int t_under_sanitizer(const char *san);
/* Skip (exit 77) saying why, when running under sanitizer san. */
void t_skip_under_sanitizer(const char *san, const char *why);

/* Deliberate races in the stress tests (writers against a copying reader),
 * in a form ThreadSanitizer accepts: aligned words stored and loaded as
 * relaxed atomics, which compile to plain moves. */
static inline void t_racy_store64(void *p, uint64_t v)
{
	__atomic_store_n((uint64_t *)p, v, __ATOMIC_RELAXED);
}
/* memcpy from memory other threads write concurrently: relaxed atomic
 * 8-byte loads (src and len 8-byte aligned). */
void t_racy_copy(void *dst, const void *src, size_t len);
/* Around a deliberately racing write ThreadSanitizer cannot see as atomic:
 * one by the kernel (read() into watched memory), a store straddling two
 * pages, or one racing with the library's memcpy (a snapshot restore).
 * Under TSan the accesses in between are not checked; elsewhere nothing. */
void t_racy_begin(void);
void t_racy_end(void);
/* Where tests' "whole address space" scans start: above the shadow
 * memory of AddressSanitizer (it ends at 0x10007fff8000), and under
 * ThreadSanitizer above its shadow, meta and allocator reservations (tens
 * of TiB up to 0x7e8000000000): the emulation reads pagemap for every page
 * of every mapping, and terabytes would take hours.  What the tests map
 * (mmap, libraries, stack) lies above it; without TSan, the program and
 * its heap too. */
uint64_t t_low_user(void);

#endif
