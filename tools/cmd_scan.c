/* SPDX-License-Identifier: MIT */
/*
 * pagewatch scan: the regions PAGEMAP_SCAN reports for a range, each cut at
 * mapping boundaries so that every row names the one mapping it lies in.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

const char usage_scan[] =
	"Usage: pagewatch scan PID|self [OPTION]...\n"
	"The regions of pages of a process with their categories, one row per\n"
	"region and mapping: start-end, size, pages, categories, mapping.\n"
	"\n"
	"  --range A-B          only [A, B): hexadecimal, 0x optional, A page-aligned\n"
	"                       (default: the whole user address space)\n"
	"  --require C,...      pages that have every category C\n"
	"  --exclude C,...      pages that have none of the categories C\n"
	"  --anyof C,...        pages that have at least one of the categories C\n"
	"  --return C,...       the categories shown (default: every category the\n"
	"                       scan backend reports exactly)\n"
	"  --max-pages N        stop after N pages (0: no limit)\n"
	"  --backend B          native (PAGEMAP_SCAN), emulated (/proc/PID/pagemap)\n"
	"                       or auto (the default; PAGEWATCH_SCAN overrides it)\n"
	"  --json               a JSON array of regions\n"
	"  -h, --help           this text\n"
	"\n"
	"Categories: wpallowed, written, file, present, swapped, pfnzero, huge,\n"
	"soft-dirty, guard.\n";

enum { S_RANGE = 1, S_REQUIRE, S_EXCLUDE, S_ANYOF, S_RETURN, S_MAX, S_BACKEND,
	S_JSON, S_HELP };

static const struct tool_opt scan_opts[] = {
	{ "--range", 0, true, S_RANGE },
	{ "--require", 0, true, S_REQUIRE },
	{ "--exclude", 0, true, S_EXCLUDE },
	{ "--anyof", 0, true, S_ANYOF },
	{ "--return", 0, true, S_RETURN },
	{ "--max-pages", 0, true, S_MAX },
	{ "--backend", 0, true, S_BACKEND },
	{ "--json", 0, false, S_JSON },
	{ "--help", 'h', false, S_HELP },
	{ NULL, 0, false, 0 },
};

struct scan_opts {
	const char *pid_word;
	pid_t pid;
	bool have_range, have_return, json;
	uint64_t start, end;
	uint64_t require, exclude, anyof, ret, max_pages;
	unsigned flags;
};

/* One printed row: a region, or the part of it inside one mapping. */
struct row {
	uint64_t start, end, cats;
	const char *mapping;	/* NULL: the mapping changed under the scan */
};

struct scan_out {
	struct tool_maps *maps;
	size_t cursor;		/* the first mapping that may still matter */
	struct row *rows;
	size_t n, cap;
};

static int bad_range(const char *s)
{
	return tool_usage_error(usage_scan, "--range wants A-B in hexadecimal, not '%s'", s);
}

static int parse_range(const char *s, struct scan_opts *o)
{
	const char *dash = strchr(s, '-');
	char a[32];
	size_t len;

	if (!dash || (len = (size_t)(dash - s)) >= sizeof(a))
		return bad_range(s);
	memcpy(a, s, len);
	a[len] = '\0';
	if (tool_parse_hex(a, &o->start) || tool_parse_hex(dash + 1, &o->end))
		return bad_range(s);
	if (o->start & (tool_page_size() - 1))
		return tool_usage_error(usage_scan, "--range: start 0x%" PRIx64
					" is not page-aligned", o->start);
	if (o->end < o->start)
		return tool_usage_error(usage_scan, "--range: end 0x%" PRIx64
					" is below start 0x%" PRIx64, o->end, o->start);
	o->have_range = true;
	return 0;
}

static int one_opt(int id, const char *arg, struct scan_opts *o)
{
	switch (id) {
	case S_RANGE:
		return parse_range(arg, o);
	case S_REQUIRE:
		return tool_parse_categories(arg, usage_scan, &o->require);
	case S_EXCLUDE:
		return tool_parse_categories(arg, usage_scan, &o->exclude);
	case S_ANYOF:
		return tool_parse_categories(arg, usage_scan, &o->anyof);
	case S_RETURN:
		o->have_return = true;
		return tool_parse_categories(arg, usage_scan, &o->ret);
	case S_MAX:
		if (tool_parse_u64(arg, &o->max_pages))
			return tool_usage_error(usage_scan, "--max-pages wants a number, "
						"not '%s'", arg);
		return 0;
	case S_BACKEND:
		return tool_parse_backend(arg, usage_scan, &o->flags);
	case S_JSON:
		o->json = true;
		return 0;
	case OPT_POSITIONAL:
		return tool_take_pid(arg, usage_scan, &o->pid_word, &o->pid);
	}
	return EXIT_USAGE;
}

/* Masks that contradict each other would silently match nothing. */
static int check_masks(const struct scan_opts *o)
{
	char names[256];
	uint64_t both = o->require & o->exclude;

	if (!both)
		both = o->anyof & o->exclude;
	if (!both)
		return 0;
	tool_categories_str(both, names, sizeof(names));
	return tool_usage_error(usage_scan, "%s cannot be both excluded and %s", names,
				o->require & o->exclude ? "required" : "in --anyof");
}

static int parse_args(int argc, char **argv, struct scan_opts *o)
{
	struct tool_args st = { .argc = argc, .argv = argv, .i = 1 };
	const char *arg;
	int id, r;

	memset(o, 0, sizeof(*o));
	while ((id = tool_next_opt(&st, scan_opts, usage_scan, &arg)) != OPT_END) {
		if (id == S_HELP)
			return -1;
		r = one_opt(id, arg, o);
		if (r)
			return r;
	}
	if (!o->pid_word)
		return tool_usage_error(usage_scan, "missing PID (a number, or self)");
	return check_masks(o);
}

/* ---- the walk ---- */

static int add_row(struct scan_out *out, uint64_t start, uint64_t end, uint64_t cats,
		   const char *mapping)
{
	struct row *r;

	if (out->n == out->cap) {
		size_t cap = out->cap ? out->cap * 2 : 256;
		struct row *v = realloc(out->rows, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		out->rows = v;
		out->cap = cap;
	}
	r = &out->rows[out->n++];
	r->start = start;
	r->end = end;
	r->cats = cats;
	r->mapping = mapping;
	return 0;
}

/* Regions and mappings both ascend: cut each region at the edges of the
 * mappings it crosses, without going back. */
static int on_region(const struct pw_region *reg, void *ctx)
{
	struct scan_out *out = ctx;
	const struct tool_maps *maps = out->maps;
	uint64_t cur = reg->start, stop;
	const char *name;
	int r;

	while (cur < reg->end) {
		while (out->cursor < maps->n && maps->v[out->cursor].end <= cur)
			out->cursor++;
		if (out->cursor < maps->n && maps->v[out->cursor].start <= cur) {
			stop = maps->v[out->cursor].end;
			name = maps->v[out->cursor].name;
		} else {
			stop = out->cursor < maps->n ? maps->v[out->cursor].start : reg->end;
			name = NULL;
		}
		if (stop > reg->end)
			stop = reg->end;
		r = add_row(out, cur, stop, reg->categories, name);
		if (r)
			return r;
		cur = stop;
	}
	return 0;
}

static int scan_failed(long r, const struct scan_opts *o)
{
	if (r == -EFAULT)
		return tool_error("scan: 0x%" PRIx64 "-0x%" PRIx64 " is not inside the "
				  "user address space", o->start, o->end);
	if (r == -ESRCH)
		return tool_error("no process %s", o->pid_word);
	return tool_error("scan: %s", strerror((int)-r));
}

static int run_scan(struct pw_space *sp, const struct scan_opts *o, struct scan_out *out)
{
	struct pw_scan_arg a;
	long r;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.start = o->start;
	a.end = o->end;
	a.max_pages = o->max_pages;
	a.category_mask = o->require | o->exclude;
	a.category_inverted = o->exclude;
	a.category_anyof_mask = o->anyof;
	a.return_mask = o->have_return ? o->ret : pw_space_categories(sp);
	r = tool_check_categories(sp, a.category_mask | a.category_anyof_mask |
				  a.return_mask);
	if (r)
		return (int)r;
	r = pw_scan_all(sp, &a, on_region, out);
	if (r == -ENOMEM)
		return tool_error("scan: out of memory");
	return r < 0 ? scan_failed(r, o) : 0;
}

/* ---- output ---- */

static int digits(uint64_t v)
{
	int n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

static void print_human(const struct scan_out *out)
{
	int aw = 12, sw = 4, pw = 5, cw = 10;
	unsigned long ps = tool_page_size();
	char size[16], cats[256];
	size_t i;

	for (i = 0; i < out->n; i++) {
		const struct row *r = &out->rows[i];
		int n;

		aw = tool_addr_width(r->end) > aw ? tool_addr_width(r->end) : aw;
		tool_human_size(r->end - r->start, size, sizeof(size));
		sw = (int)strlen(size) > sw ? (int)strlen(size) : sw;
		pw = digits((r->end - r->start) / ps) > pw ? digits((r->end - r->start) / ps) : pw;
		tool_categories_str(r->cats, cats, sizeof(cats));
		n = (int)strlen(cats);
		cw = n > cw ? n : cw;
	}
	printf("%-*s %*s %*s  %-*s  %s\n", 2 * aw + 1, "START-END", sw, "SIZE", pw, "PAGES",
	       cw, "CATEGORIES", "MAPPING");
	for (i = 0; i < out->n; i++) {
		const struct row *r = &out->rows[i];

		tool_human_size(r->end - r->start, size, sizeof(size));
		tool_categories_str(r->cats, cats, sizeof(cats));
		printf("%0*" PRIx64 "-%0*" PRIx64 " %*s %*" PRIu64 "  %-*s  ",
		       aw, r->start, aw, r->end, sw, size, pw, (r->end - r->start) / ps,
		       cw, cats);
		tool_print_name(stdout, r->mapping ? r->mapping : "?");
		putchar('\n');
	}
}

static void print_json(const struct scan_out *out)
{
	unsigned long ps = tool_page_size();
	size_t i;

	fputs("[", stdout);
	for (i = 0; i < out->n; i++) {
		const struct row *r = &out->rows[i];

		printf("%s\n  {\"start\":\"0x%" PRIx64 "\",\"end\":\"0x%" PRIx64 "\","
		       "\"pages\":%" PRIu64 ",\"categories\":", i ? "," : "",
		       r->start, r->end, (r->end - r->start) / ps);
		tool_json_categories(stdout, r->cats);
		fputs(",\"mapping\":", stdout);
		if (r->mapping)
			tool_json_string(stdout, r->mapping);
		else
			fputs("null", stdout);
		fputs("}", stdout);
	}
	fputs(out->n ? "\n]\n" : "]\n", stdout);
}

int cmd_scan(int argc, char **argv)
{
	struct scan_out out = { 0 };
	struct tool_maps maps;
	struct pw_space *sp;
	struct scan_opts o;
	int r;

	r = parse_args(argc, argv, &o);
	if (r < 0)
		return tool_help(usage_scan);
	if (r)
		return r;
	r = tool_open_space(&sp, o.pid, o.flags);
	if (r)
		return r;
	r = tool_maps_load(sp, o.start, o.have_range ? o.end : 0, &maps);
	if (r)
		goto out_space;
	if (!o.have_range)
		o.end = tool_walk_end(&maps);
	out.maps = &maps;
	r = run_scan(sp, &o, &out);
	if (!r && o.json)
		print_json(&out);
	else if (!r)
		print_human(&out);
	free(out.rows);
	tool_maps_free(&maps);
out_space:
	pw_space_close(sp);
	return r;
}
