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

#endif
