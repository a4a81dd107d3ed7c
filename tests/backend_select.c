/* SPDX-License-Identifier: MIT */
/* Backend choice: AUTO picks the best the probe found; PAGEWATCH_BACKEND
 * forces one; a backend this kernel lacks is -EOPNOTSUPP, never a silent
 * substitute; names are the documented ones. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "testlib.h"

static const char *names[] = { "auto", "uffd-async", "uffd-sync", "soft-dirty", "mprotect" };

static int available(enum pw_backend b, const struct pw_probe *p)
{
	switch (b) {
	case PW_BACKEND_UFFD_ASYNC:
		return p->pagemap_scan && p->uffd_wp && p->uffd_wp_async && p->uffd_wp_unpopulated;
	case PW_BACKEND_UFFD_SYNC:
		return p->uffd_wp;
	case PW_BACKEND_SOFT_DIRTY:
		return p->soft_dirty;
	default:
		return 1;
	}
}

int main(void)
{
	char *m = t_map(4);
	struct pw_probe p;
	struct pw_watch *w;
	int b, r;

	unsetenv("PAGEWATCH_BACKEND");
	for (b = 0; b <= PW_BACKEND_MPROTECT; b++)
		CHECK(!strcmp(pw_backend_name((enum pw_backend)b), names[b]), "name %d", b);
	CHECK(pw_backend_name((enum pw_backend)5) == NULL, "name out of range");
	CHECK(pw_backend_name((enum pw_backend)-1) == NULL, "name negative");
	CHECK_EQ(pw_probe(&p, sizeof(p)), 0);

	/* Each forced backend: works when the probe says so, else -EOPNOTSUPP. */
	for (b = PW_BACKEND_UFFD_ASYNC; b <= PW_BACKEND_MPROTECT; b++) {
		r = pw_watch_start(&w, m, 4 * PAGE, (enum pw_backend)b);
		if (r == 0) {
			CHECK_EQ(pw_watch_backend(w), b);
			pw_watch_stop(w);
		}
		/* Placeholders answer -EOPNOTSUPP too; a real backend must
		 * not fail when the probe says it is there. */
		if (!available((enum pw_backend)b, &p))
			CHECK(r == -EOPNOTSUPP, "%s: %d without the feature", names[b], r);
		else
			CHECK(r == 0 || r == -EOPNOTSUPP, "%s: %d", names[b], r);
		/* The same through the environment. */
		setenv("PAGEWATCH_BACKEND", names[b], 1);
		CHECK_EQ(pw_watch_start(&w, m, 4 * PAGE, PW_BACKEND_AUTO), r);
		if (!r) {
			CHECK_EQ(pw_watch_backend(w), b);
			pw_watch_stop(w);
		}
	}
	setenv("PAGEWATCH_BACKEND", "bogus", 1);
	CHECK_EQ(pw_watch_start(&w, m, 4 * PAGE, PW_BACKEND_AUTO), -EINVAL);
	/* The environment does not override an explicit choice. */
	r = pw_watch_start(&w, m, 4 * PAGE, PW_BACKEND_MPROTECT);
	CHECK(r == 0 || r == -EOPNOTSUPP, "explicit mprotect: %d", r);
	if (!r)
		pw_watch_stop(w);
	setenv("PAGEWATCH_BACKEND", "auto", 1);
	r = pw_watch_start(&w, m, 4 * PAGE, PW_BACKEND_AUTO);
	if (!r) {
		CHECK_EQ(pw_watch_backend(w), p.auto_backend);
		pw_watch_stop(w);
	}
	unsetenv("PAGEWATCH_BACKEND");
	t_done();
}
