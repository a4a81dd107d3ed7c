/* SPDX-License-Identifier: MIT */
/* pagewatch(1): argument parsing, messages, mappings and output helpers. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

const uint64_t tool_maps_columns[TOOL_MAPS_COLUMNS] = {
	PW_PAGE_PRESENT, PW_PAGE_SWAPPED, PW_PAGE_FILE, PW_PAGE_PFNZERO,
	PW_PAGE_HUGE, PW_PAGE_WRITTEN, PW_PAGE_SOFT_DIRTY, PW_PAGE_GUARD,
};

/* ---- messages ---- */

int tool_error(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("pagewatch: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_FAIL;
}

int tool_usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("pagewatch: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fputs(usage, stderr);
	return EXIT_USAGE;
}

int tool_help(const char *usage)
{
	fputs(usage, stdout);
	return tool_finish(EXIT_OK);
}

int tool_finish(int status)
{
	int err = 0;

	/* ferror catches a failure fflush no longer sees (an earlier one). */
	if (fflush(stdout))
		err = errno;
	else if (ferror(stdout))
		err = EIO;
	if (!err)
		return status;
	fprintf(stderr, "pagewatch: writing the output: %s\n", strerror(err));
	return EXIT_FAIL;
}

/* ---- options ---- */

static const struct tool_opt *find_long(const struct tool_opt *opts, const char *word,
					size_t len)
{
	for (; opts->name; opts++)
		if (strlen(opts->name) == len && !strncmp(opts->name, word, len))
			return opts;
	return NULL;
}

static const struct tool_opt *find_short(const struct tool_opt *opts, char c)
{
	for (; opts->name; opts++)
		if (opts->short_name && opts->short_name == c)
			return opts;
	return NULL;
}

/* The option's argument: glued ("--range=A-B") or the next word. */
static int take_arg(struct tool_args *st, const struct tool_opt *o, const char *glued,
		    const char *usage, const char **arg)
{
	if (!o->has_arg) {
		if (glued) {
			tool_usage_error(usage, "option %s takes no argument", o->name);
			return OPT_BAD;
		}
		return o->id;
	}
	if (glued) {
		*arg = glued;
		return o->id;
	}
	if (st->i >= st->argc) {
		tool_usage_error(usage, "option %s needs an argument", o->name);
		return OPT_BAD;
	}
	*arg = st->argv[st->i++];
	return o->id;
}

/* It recurses once at most: past "--", which sets no_more_opts.
 * NOLINTNEXTLINE(misc-no-recursion) */
int tool_next_opt(struct tool_args *st, const struct tool_opt *opts,
		  const char *usage, const char **arg)
{
	const struct tool_opt *o;
	const char *w, *eq;

	*arg = NULL;
	if (st->i >= st->argc)
		return OPT_END;
	w = st->argv[st->i++];
	if (st->no_more_opts || w[0] != '-' || !w[1]) {
		*arg = w;
		return OPT_POSITIONAL;
	}
	if (!strcmp(w, "--")) {
		st->no_more_opts = true;
		return tool_next_opt(st, opts, usage, arg);
	}
	if (w[1] == '-') {
		eq = strchr(w, '=');
		o = find_long(opts, w, eq ? (size_t)(eq - w) : strlen(w));
		if (!o) {
			tool_usage_error(usage, "unknown option '%.*s'",
					 (int)(eq ? eq - w : (long)strlen(w)), w);
			return OPT_BAD;
		}
		return take_arg(st, o, eq ? eq + 1 : NULL, usage, arg);
	}
	o = w[2] ? NULL : find_short(opts, w[1]);
	if (!o) {
		tool_usage_error(usage, "unknown option '%s'", w);
		return OPT_BAD;
	}
	return take_arg(st, o, NULL, usage, arg);
}

/* ---- numbers ---- */

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

/* Digits only: strtoull would take a sign, spaces and leading junk. */
static int parse_base(const char *s, unsigned base, uint64_t *out)
{
	uint64_t v = 0;
	unsigned d;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		d = (unsigned)digit_value(*s);
		if (d >= base)
			return -EINVAL;
		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	*out = v;
	return 0;
}

static bool has_hex_prefix(const char *s)
{
	return s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
}

int tool_parse_u64(const char *s, uint64_t *out)
{
	if (has_hex_prefix(s))
		return parse_base(s + 2, 16, out);
	return parse_base(s, 10, out);
}

int tool_parse_hex(const char *s, uint64_t *out)
{
	return parse_base(has_hex_prefix(s) ? s + 2 : s, 16, out);
}

int tool_parse_pid(const char *s, pid_t *out)
{
	uint64_t v;

	if (!strcmp(s, "self")) {
		*out = 0;
		return 0;
	}
	if (parse_base(s, 10, &v) || v < 1 || v > INT_MAX)
		return -EINVAL;
	*out = (pid_t)v;
	return 0;
}

int tool_take_pid(const char *arg, const char *usage, const char **word, pid_t *pid)
{
	if (*word)
		return tool_usage_error(usage, "unexpected argument '%s'", arg);
	if (tool_parse_pid(arg, pid))
		return tool_usage_error(usage, "'%s' is not a process ID (a number, or self)",
					arg);
	*word = arg;
	return 0;
}

int tool_parse_categories(const char *list, const char *usage, uint64_t *out)
{
	const char *bad = NULL;
	uint64_t mask;

	if (pw_category_parse(list, &mask, &bad)) {
		if (!bad || !*bad || *bad == ',')
			return tool_usage_error(usage, "empty category name in '%s'", list);
		return tool_usage_error(usage, "unknown category '%.*s' (known: %s)",
					(int)strcspn(bad, ","), bad,
					"wpallowed, written, file, present, swapped, "
					"pfnzero, huge, soft-dirty, guard");
	}
	*out |= mask;
	return 0;
}

int tool_parse_backend(const char *s, const char *usage, unsigned *flags)
{
	if (!strcmp(s, "native"))
		*flags = PW_SPACE_NATIVE;
	else if (!strcmp(s, "emulated"))
		*flags = PW_SPACE_EMULATED;
	else if (!strcmp(s, "auto"))
		*flags = 0;
	else
		return tool_usage_error(usage, "unknown backend '%s' (native, emulated or auto)",
					s);
	return 0;
}

/* ---- the address space ---- */

static const char *who(pid_t pid, char *buf, size_t len)
{
	if (!pid)
		return "self";
	snprintf(buf, len, "%d", (int)pid);
	return buf;
}

/* The kernel says ESRCH both for no process and for one without memory. */
static bool pid_exists(pid_t pid)
{
	char path[32];

	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	return pid > 0 && access(path, F_OK) == 0;
}

static int explain_open(int r, pid_t pid, unsigned flags)
{
	const char *env = getenv("PAGEWATCH_SCAN");
	char b[16];

	switch (r) {
	case -ESRCH:
		if (pid_exists(pid))
			return tool_error("process %s has no user memory (a kernel thread, "
					  "or a process that is exiting)", who(pid, b, sizeof(b)));
		return tool_error("no process %s", who(pid, b, sizeof(b)));
	case -EACCES:
	case -EPERM:
		return tool_error("process %s: permission denied: reading its pages needs "
				  "ptrace read access to it (the same user, and the process "
				  "not made non-dumpable), or CAP_SYS_PTRACE",
				  who(pid, b, sizeof(b)));
	case -EOPNOTSUPP:
		return tool_error("the native scan backend needs the PAGEMAP_SCAN ioctl "
				  "(Linux 6.7 or later), which this kernel does not have");
	case -EINVAL:
		if (!flags && env && *env)
			return tool_error("PAGEWATCH_SCAN is '%s': it must be "
					  "'native' or 'emulated'", env);
		break;
	}
	return tool_error("process %s: %s", who(pid, b, sizeof(b)), strerror(-r));
}

int tool_open_space(struct pw_space **out, pid_t pid, unsigned flags)
{
	int r = pw_space_open(out, pid, flags);

	return r ? explain_open(r, pid, flags) : 0;
}

/* Why the emulation lacks a category: privileges, or the kernel. */
static const char *emulated_hint(uint64_t missing)
{
	if (missing & (PW_PAGE_PFNZERO | PW_PAGE_HUGE))
		return " (pfnzero and huge need CAP_SYS_ADMIN: the page frame numbers "
		       "and /proc/kpageflags)";
	if (missing & PW_PAGE_WPALLOWED)
		return " (wpallowed comes from the kernel's PAGEMAP_SCAN: try "
		       "--backend native)";
	if (missing & PW_PAGE_GUARD)
		return " (pagemap shows guard pages from Linux 6.15)";
	return "";
}

int tool_check_categories(struct pw_space *sp, uint64_t wanted)
{
	uint64_t missing = wanted & ~pw_space_categories(sp);
	char names[256];

	if (!missing)
		return 0;
	tool_categories_str(missing, names, sizeof(names));
	if (strcmp(pw_space_backend(sp), "emulated"))
		return tool_error("this kernel's PAGEMAP_SCAN cannot report %s "
				  "(try --backend emulated)", names);
	return tool_error("the emulated scan backend cannot report %s here%s", names,
			  emulated_hint(missing));
}

static int add_map(const struct pw_mapping *m, void *ctx)
{
	struct tool_maps *maps = ctx;
	struct tool_map *t;

	if (maps->n == maps->cap) {
		size_t cap = maps->cap ? maps->cap * 2 : 64;
		struct tool_map *v = realloc(maps->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		maps->v = v;
		maps->cap = cap;
	}
	t = &maps->v[maps->n];
	t->start = m->start;
	t->end = m->end;
	memcpy(t->perms, m->perms, sizeof(t->perms));
	t->perms[4] = '\0';
	/* Unnamed anonymous memory has no path in maps: give it a name. */
	t->name = strdup(m->path && *m->path ? m->path : "[anon]");
	if (!t->name)
		return -ENOMEM;
	maps->n++;
	return 0;
}

int tool_maps_load(struct pw_space *sp, uint64_t start, uint64_t end,
		   struct tool_maps *maps)
{
	int r;

	memset(maps, 0, sizeof(*maps));
	r = pw_space_mappings(sp, start, end, add_map, maps);
	if (r < 0)
		return tool_error("reading the mappings: %s", strerror(-r));
	return 0;
}

void tool_maps_free(struct tool_maps *maps)
{
	size_t i;

	for (i = 0; i < maps->n; i++)
		free(maps->v[i].name);
	free(maps->v);
	memset(maps, 0, sizeof(*maps));
}

uint64_t tool_walk_end(const struct tool_maps *maps)
{
	/* With 5-level paging user space ends below 2^56; above that only
	 * the vsyscall page shows, and no scan can reach it. */
	const uint64_t limit = 1ULL << 56;
	uint64_t end = TOOL_USER_TOP;
	size_t i;

	for (i = 0; i < maps->n; i++)
		if (maps->v[i].end > end && maps->v[i].end < limit)
			end = maps->v[i].end;
	return end;
}

/* ---- output ---- */

void tool_human_size(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "BKMGTPE";
	uint64_t unit = 1, tenths;
	unsigned u = 0;

	while (u + 1 < sizeof(units) - 1 && bytes >= unit * 1024) {
		unit *= 1024;
		u++;
	}
	if (!u) {
		snprintf(buf, len, "%" PRIu64 "B", bytes);
		return;
	}
	/* Tenths of the unit, rounded, with the remainder counted in
	 * 1/1024ths of the unit so that nothing overflows; what would show
	 * as 1024K is 1M. */
	tenths = bytes / unit * 10 + ((bytes % unit) / (unit / 1024) * 10 + 512) / 1024;
	if (tenths >= 10235 && u + 1 < sizeof(units) - 1) {
		u++;
		tenths = 10;
	}
	if (tenths % 10 == 0)
		snprintf(buf, len, "%" PRIu64 "%c", tenths / 10, units[u]);
	else if (tenths < 1000)
		snprintf(buf, len, "%" PRIu64 ".%" PRIu64 "%c", tenths / 10,
			 tenths % 10, units[u]);
	else	/* whole units, rounded from the bytes: 101.45K is 101K */
		snprintf(buf, len, "%" PRIu64 "%c", bytes / unit + (bytes % unit >= unit / 2),
			 units[u]);
}

/* The length of the valid UTF-8 sequence at s, or 0. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned c = s[0], n, i;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and anything above U+10FFFF. */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

void tool_json_string(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n;

	fputc('"', f);
	while (*s) {
		if (*s == '"' || *s == '\\') {
			fputc('\\', f);
			fputc(*s++, f);
		} else if (*s < 0x20 || *s == 0x7f) {
			fprintf(f, "\\u%04x", *s++);
		} else if ((n = utf8_len(s))) {
			fwrite(s, 1, n, f);
			s += n;
		} else {
			/* File names are bytes, JSON is UTF-8. */
			fputs("\\ufffd", f);
			s++;
		}
	}
	fputc('"', f);
}

void tool_print_name(FILE *f, const char *name)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t n;

	/* A file name may hold terminal escapes: show control bytes, and
	 * bytes that are not UTF-8, the way /proc/PID/maps shows a newline. */
	while (*s) {
		if (*s >= 0x20 && *s != 0x7f && (n = utf8_len(s))) {
			fwrite(s, 1, n, f);
			s += n;
		} else {
			fprintf(f, "\\%03o", *s++);
		}
	}
}

void tool_categories_str(uint64_t cats, char *buf, size_t len)
{
	size_t used = 0;
	uint64_t bit;

	buf[0] = '\0';
	for (bit = 1; bit & PW_PAGE_ALL; bit <<= 1) {
		const char *name = (cats & bit) ? pw_category_name(bit) : NULL;
		int n;

		if (!name)
			continue;
		n = snprintf(buf + used, len - used, "%s%s", used ? "," : "", name);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
	if (!used)
		snprintf(buf, len, "-");
}

void tool_json_categories(FILE *f, uint64_t cats)
{
	const char *sep = "";
	uint64_t bit;

	fputc('[', f);
	for (bit = 1; bit & PW_PAGE_ALL; bit <<= 1) {
		if (!(cats & bit) || !pw_category_name(bit))
			continue;
		fputs(sep, f);
		tool_json_string(f, pw_category_name(bit));
		sep = ",";
	}
	fputc(']', f);
}

int tool_addr_width(uint64_t max_addr)
{
	int w = 0;

	while (max_addr) {
		w++;
		max_addr >>= 4;
	}
	return w < 12 ? 12 : w;
}

unsigned long tool_page_size(void)
{
	long ps = sysconf(_SC_PAGESIZE);

	return ps > 0 ? (unsigned long)ps : 4096;
}
