/* SPDX-License-Identifier: MIT */
/* pagewatch probe: what this kernel offers, as pw_probe finds it. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

const char usage_probe[] =
	"Usage: pagewatch probe [--json]\n"
	"What this kernel offers: PAGEMAP_SCAN and its categories, userfaultfd\n"
	"features, soft-dirty (verified), THP, hugetlb, PFN visibility, guard\n"
	"regions, the write-watch backend 'auto' picks, and the scan backend\n"
	"pagewatch uses here with the categories it reports exactly.\n"
	"\n"
	"  --json       one JSON object\n"
	"  -h, --help   this text\n";

enum { P_JSON = 1, P_HELP };

static const struct tool_opt probe_opts[] = {
	{ "--json", 0, false, P_JSON },
	{ "--help", 'h', false, P_HELP },
	{ NULL, 0, false, 0 },
};

/* What the scan backend pagewatch would use on this process is. */
struct self_scan {
	int err;		/* 0, or why no space could be opened */
	const char *backend;
	uint64_t categories;
};

static void probe_self(struct self_scan *s)
{
	struct pw_space *sp;

	memset(s, 0, sizeof(*s));
	s->err = pw_space_open(&sp, 0, 0);
	if (s->err)
		return;
	s->backend = pw_space_backend(sp);	/* a string literal: outlives sp */
	s->categories = pw_space_categories(sp);
	pw_space_close(sp);
}

/* ---- human output: "key: value", values aligned ---- */

#define KEY_WIDTH 26

static void kv(const char *key, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void kv(const char *key, const char *fmt, ...)
{
	va_list ap;

	printf("%s:%*s", key, (int)(KEY_WIDTH - strlen(key)), "");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static const char *yn(int v)
{
	return v ? "yes" : "no";
}

static void human_hugetlb(const struct pw_probe *p)
{
	char size[16];

	if (p->hugetlb_page_kb <= 0 || p->hugetlb_pages < 0) {
		kv("hugetlb pages", "unknown");
		return;
	}
	tool_human_size((uint64_t)p->hugetlb_page_kb * 1024, size, sizeof(size));
	kv("hugetlb pages", "%ld free, %s each", p->hugetlb_pages, size);
}

static const char *auto_name(const struct pw_probe *p)
{
	const char *name = pw_backend_name((enum pw_backend)p->auto_backend);

	return name ? name : "unknown";
}

/* The kernel's choice, and the environment's when it overrides it. */
static void human_watch(const struct pw_probe *p)
{
	const char *env = getenv("PAGEWATCH_BACKEND");

	if (env && *env)
		kv("write-watch backend", "%s (PAGEWATCH_BACKEND=%s overrides it)",
		   auto_name(p), env);
	else
		kv("write-watch backend", "%s", auto_name(p));
}

static void human_self(const struct self_scan *s)
{
	char cats[256];

	const char *env = getenv("PAGEWATCH_SCAN");

	if (s->err == -EINVAL && env && *env) {
		kv("scan backend (self)", "unavailable: PAGEWATCH_SCAN is '%s', not "
		   "'native' or 'emulated'", env);
		return;
	}
	if (s->err) {
		kv("scan backend (self)", "unavailable: %s", strerror(-s->err));
		return;
	}
	tool_categories_str(s->categories, cats, sizeof(cats));
	kv("scan backend (self)", "%s", s->backend);
	kv("scan backend categories", "%s", cats);
}

static void print_human(const struct pw_probe *p, const struct self_scan *s)
{
	char cats[256];

	kv("kernel", "%s", p->kernel[0] ? p->kernel : "unknown");
	kv("pagemap_scan", "%s", yn(p->pagemap_scan));
	tool_categories_str(p->scan_categories, cats, sizeof(cats));
	kv("pagemap_scan categories", "%s", p->pagemap_scan ? cats : "-");
	kv("userfaultfd", "%s", yn(p->uffd));
	kv("userfaultfd features", "0x%" PRIx64, p->uffd_features);
	kv("uffd wp", "%s", yn(p->uffd_wp));
	kv("uffd wp_unpopulated", "%s", yn(p->uffd_wp_unpopulated));
	kv("uffd wp_async", "%s", yn(p->uffd_wp_async));
	kv("uffd sigbus", "%s", yn(p->uffd_sigbus));
	kv("uffd wp_hugetlbfs_shmem", "%s", yn(p->uffd_wp_hugetlbfs_shmem));
	kv("soft-dirty", "%s", p->soft_dirty ? "yes (verified)" : "no");
	kv("thp", "%s", p->thp_mode[0] ? p->thp_mode : "unavailable");
	human_hugetlb(p);
	kv("pfn visible", "%s", yn(p->pfn_visible));
	kv("kpageflags", "%s", yn(p->kpageflags));
	kv("guard regions", "%s", yn(p->guard_regions));
	kv("guard bit (pagemap 58)", "%s", p->guard_regions ? yn(p->guard_bit) : "-");
	human_watch(p);
	human_self(s);
}

/* ---- JSON ---- */

static void jbool(const char *key, int v)
{
	printf(",\"%s\":%s", key, v ? "true" : "false");
}

static void jstr_or_null(const char *key, const char *v)
{
	printf(",\"%s\":", key);
	if (v && *v)
		tool_json_string(stdout, v);
	else
		fputs("null", stdout);
}

static void json_self(const struct self_scan *s)
{
	if (s->err) {
		fputs(",\"scan_backend\":null,\"scan_backend_categories\":null", stdout);
		jstr_or_null("scan_backend_error", strerror(-s->err));
		return;
	}
	jstr_or_null("scan_backend", s->backend);
	fputs(",\"scan_backend_categories\":", stdout);
	tool_json_categories(stdout, s->categories);
}

static void print_json(const struct pw_probe *p, const struct self_scan *s)
{
	fputs("{\"kernel\":", stdout);
	tool_json_string(stdout, p->kernel);
	jbool("pagemap_scan", p->pagemap_scan);
	fputs(",\"pagemap_scan_categories\":", stdout);
	tool_json_categories(stdout, p->pagemap_scan ? p->scan_categories : 0);
	jbool("userfaultfd", p->uffd);
	printf(",\"userfaultfd_features\":\"0x%" PRIx64 "\"", p->uffd_features);
	jbool("uffd_wp", p->uffd_wp);
	jbool("uffd_wp_unpopulated", p->uffd_wp_unpopulated);
	jbool("uffd_wp_async", p->uffd_wp_async);
	jbool("uffd_sigbus", p->uffd_sigbus);
	jbool("uffd_wp_hugetlbfs_shmem", p->uffd_wp_hugetlbfs_shmem);
	jbool("soft_dirty", p->soft_dirty);
	jstr_or_null("thp", p->thp_mode);
	if (p->hugetlb_pages >= 0)
		printf(",\"hugetlb_free_pages\":%ld", p->hugetlb_pages);
	else
		fputs(",\"hugetlb_free_pages\":null", stdout);
	if (p->hugetlb_page_kb > 0)
		printf(",\"hugetlb_page_size\":%lld", (long long)p->hugetlb_page_kb * 1024);
	else
		fputs(",\"hugetlb_page_size\":null", stdout);
	jbool("pfn_visible", p->pfn_visible);
	jbool("kpageflags", p->kpageflags);
	jbool("guard_regions", p->guard_regions);
	jbool("guard_bit", p->guard_bit);
	jstr_or_null("write_watch_backend", pw_backend_name((enum pw_backend)p->auto_backend));
	jstr_or_null("write_watch_backend_env", getenv("PAGEWATCH_BACKEND"));
	json_self(s);
	fputs("}\n", stdout);
}

int cmd_probe(int argc, char **argv)
{
	struct tool_args st = { .argc = argc, .argv = argv, .i = 1 };
	struct self_scan self;
	struct pw_probe p;
	bool json = false;
	const char *arg;
	int id, r;

	while ((id = tool_next_opt(&st, probe_opts, usage_probe, &arg)) != OPT_END) {
		switch (id) {
		case P_JSON:
			json = true;
			break;
		case P_HELP:
			return tool_help(usage_probe);
		case OPT_POSITIONAL:
			return tool_usage_error(usage_probe, "probe takes no argument, "
						"not '%s'", arg);
		default:
			return EXIT_USAGE;
		}
	}
	r = pw_probe(&p, sizeof(p));
	if (r)
		return tool_error("probe: %s", strerror(-r));
	probe_self(&self);
	if (json)
		print_json(&p, &self);
	else
		print_human(&p, &self);
	return EXIT_OK;
}
