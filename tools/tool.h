/* SPDX-License-Identifier: MIT */
/* pagewatch(1): what the verbs share. */
#ifndef PW_TOOL_H
#define PW_TOOL_H

#include <stdbool.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "pagewatch.h"

/* Exit statuses, as pagewatch(1) documents them. */
#define EXIT_OK		0
#define EXIT_FAIL	1
#define EXIT_USAGE	2

/* The top of a 4-level user address space: the default end of a walk. */
#define TOOL_USER_TOP	0x7ffffffff000ULL

/* The categories pagewatch maps shows, in column order. */
#define TOOL_MAPS_COLUMNS 8
extern const uint64_t tool_maps_columns[TOOL_MAPS_COLUMNS];

/* ---- verbs (each returns the exit status) ---- */
int cmd_probe(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_maps(int argc, char **argv);

extern const char usage_probe[], usage_scan[], usage_maps[];

/* ---- messages ---- */
/* "pagewatch: <message>" on stderr; returns EXIT_FAIL. */
int tool_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "pagewatch: <message>", then the usage text, on stderr; returns EXIT_USAGE. */
int tool_usage_error(const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The usage text on stdout (for --help); returns EXIT_OK. */
int tool_help(const char *usage);
/* Flush stdout and report a write error (a full disk, a closed pipe). */
int tool_finish(int status);

/* ---- options: a small hand-written parser ---- */
struct tool_opt {
	const char *name;	/* "--range" */
	char short_name;	/* 'h', or 0 */
	bool has_arg;
	int id;
};

enum { OPT_END = -1, OPT_POSITIONAL = -2, OPT_BAD = -3 };

struct tool_args {
	int argc, i;
	char **argv;
	bool no_more_opts;	/* after "--" */
};

/* The next option's id with *arg set when it takes one, OPT_POSITIONAL
 * with *arg the word, OPT_END, or OPT_BAD after the message was printed. */
int tool_next_opt(struct tool_args *st, const struct tool_opt *opts,
		  const char *usage, const char **arg);

/* ---- parsing, strictly: no sign, no trailing junk, no overflow ---- */
int tool_parse_u64(const char *s, uint64_t *out);	/* decimal or 0x hex */
int tool_parse_hex(const char *s, uint64_t *out);	/* hex, 0x optional */
/* "self" is 0; else a decimal PID from 1 to INT_MAX. */
int tool_parse_pid(const char *s, pid_t *out);
/* The PID argument: only one, and a valid one; else a usage error. */
int tool_take_pid(const char *arg, const char *usage, const char **word, pid_t *pid);
/* A category list; a usage error naming the unknown word. */
int tool_parse_categories(const char *list, const char *usage, uint64_t *out);
/* "native", "emulated" or "auto"; a usage error otherwise. */
int tool_parse_backend(const char *s, const char *usage, unsigned *flags);

/* ---- the address space ---- */
/* pw_space_open with every failure explained on stderr: 0 or EXIT_FAIL. */
int tool_open_space(struct pw_space **out, pid_t pid, unsigned flags);
/* The categories a space cannot report, as a message; 0 or EXIT_FAIL. */
int tool_check_categories(struct pw_space *sp, uint64_t wanted);

struct tool_map {
	uint64_t start, end;
	char perms[5];
	char *name;		/* path, or "[anon]" */
};

struct tool_maps {
	struct tool_map *v;
	size_t n, cap;
};

/* Every mapping intersecting [start, end), in address order. */
int tool_maps_load(struct pw_space *sp, uint64_t start, uint64_t end,
		   struct tool_maps *maps);
void tool_maps_free(struct tool_maps *maps);
/* Where a whole-space walk should end: the 4-level top, or above it when
 * the space has mappings there (5-level paging). */
uint64_t tool_walk_end(const struct tool_maps *maps);

/* ---- output ---- */
/* 4K, 1.5M, 2G ... into buf (at least 16 bytes). */
void tool_human_size(uint64_t bytes, char *buf, size_t len);
/* A JSON string literal: escaped, and valid UTF-8 whatever the input. */
void tool_json_string(FILE *f, const char *s);
/* A mapping's name for a terminal: control bytes as \ooo. */
void tool_print_name(FILE *f, const char *name);
/* Category names joined by sep into buf; "-" when there are none. */
void tool_categories_str(uint64_t cats, char *buf, size_t len);
/* A JSON array of category names. */
void tool_json_categories(FILE *f, uint64_t cats);
/* How many hex digits an address column needs (at least 12). */
int tool_addr_width(uint64_t max_addr);

unsigned long tool_page_size(void);

#endif /* PW_TOOL_H */
