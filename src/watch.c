/* SPDX-License-Identifier: MIT */
/*
 * Write watches: argument checks, the registry of watches, and the one
 * place where a backend is chosen.  The backends themselves (watch_*.c)
 * never see a bad range and never know about each other.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

#include "internal.h"

static const char *const backend_names[] = {
	[PW_BACKEND_AUTO] = "auto",
	[PW_BACKEND_UFFD_ASYNC] = "uffd-async",
	[PW_BACKEND_UFFD_SYNC] = "uffd-sync",
	[PW_BACKEND_SOFT_DIRTY] = "soft-dirty",
	[PW_BACKEND_MPROTECT] = "mprotect",
};
#define NBACKENDS ((int)(sizeof(backend_names) / sizeof(backend_names[0])))

static const struct pw_watch_ops *const backend_ops[] = {
	[PW_BACKEND_UFFD_ASYNC] = &pw_watch_uffd_async_ops,
	[PW_BACKEND_UFFD_SYNC] = &pw_watch_uffd_sync_ops,
	[PW_BACKEND_SOFT_DIRTY] = &pw_watch_soft_dirty_ops,
	[PW_BACKEND_MPROTECT] = &pw_watch_mprotect_ops,
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pw_watch *registry;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* A fork while another thread holds the lock must not leave the child's
 * copy locked forever.  The child, alone, starts from a fresh lock: no
 * prepare handler, so no order among the backends' own locks to get
 * wrong. */
static void registry_child(void)
{
	pthread_mutex_init(&registry_lock, NULL);
}

static void registry_atfork(void)
{
	pthread_atfork(NULL, NULL, registry_child);
}

const char *pw_backend_name(enum pw_backend backend)
{
	if ((unsigned)backend >= (unsigned)NBACKENDS)
		return NULL;
	return backend_names[backend];
}

bool pw_backend_available(enum pw_backend b, const struct pw_probe *p)
{
	switch (b) {
	case PW_BACKEND_UFFD_ASYNC:
		return p->pagemap_scan && p->uffd_wp && p->uffd_wp_async &&
		       p->uffd_wp_unpopulated;
	case PW_BACKEND_UFFD_SYNC:
		return p->uffd_wp;
	case PW_BACKEND_SOFT_DIRTY:
		return p->soft_dirty;
	case PW_BACKEND_MPROTECT:
		return true;
	default:
		return false;
	}
}

/*
 * The backends to try, best first: one when it is asked for by name (the
 * argument, or PAGEWATCH_BACKEND for AUTO), else every one the probe found,
 * in the order uffd-async > uffd-sync > soft-dirty > mprotect -- the probe
 * uses private anonymous memory, and a backend may still refuse a range
 * (shmem on an old kernel, a pagemap this process may not open), so AUTO
 * goes down the list.  Returns how many, or -errno.
 */
static int choose_backends(enum pw_backend req, const struct pw_watch_ops **out)
{
	const struct pw_probe *p;
	int env, n = 0, b;

	if ((unsigned)req >= (unsigned)NBACKENDS)
		return -EINVAL;
	if (req == PW_BACKEND_AUTO) {
		env = pw_env_choice("PAGEWATCH_BACKEND", backend_names, NBACKENDS);
		if (env == -EINVAL)
			return -EINVAL;
		if (env > 0)
			req = (enum pw_backend)env;
	}
	p = pw_probe_cached();
	if (req != PW_BACKEND_AUTO) {
		if (!pw_backend_available(req, p))
			return -EOPNOTSUPP;
		out[0] = backend_ops[req];
		return 1;
	}
	for (b = PW_BACKEND_UFFD_ASYNC; b <= PW_BACKEND_MPROTECT; b++)
		if (pw_backend_available((enum pw_backend)b, p))
			out[n++] = backend_ops[b];
	return n;
}

/* The first of the candidates that starts; else the first one's error. */
static int start_first(struct pw_watch *w, const struct pw_watch_ops **ops, int n)
{
	int i, r, first = 0;

	for (i = 0; i < n; i++) {
		w->ops = ops[i];
		r = ops[i]->start(w);
		if (!r)
			return 0;
		if (!first)
			first = r;
	}
	return first;
}

/* Mappings a watch may cover: anonymous memory, private or shared, and
 * shmem (memfd, SysV, /dev/shm). */
static bool trackable(const struct pw_vma *v)
{
	static const char *const shmem[] = {
		"/dev/zero", "/memfd:", "/SYSV", "[anon_shmem:", "/dev/shm/",
	};
	size_t i;

	if (v->perms[0] != 'r' || v->perms[1] != 'w')
		return false;
	if (!v->inode && v->perms[3] == 'p' &&
	    (!v->path_len || !strcmp(v->path, "[heap]") || !strcmp(v->path, "[stack]") ||
	     !strncmp(v->path, "[anon:", 6)))
		return true;
	for (i = 0; i < sizeof(shmem) / sizeof(shmem[0]); i++)
		if (!strncmp(v->path, shmem[i], strlen(shmem[i])))
			return true;
	return false;
}

int pw_watch_range_ok(uint64_t start, uint64_t end)
{
	struct pw_maps_reader mr;
	struct pw_vma v;
	uint64_t next = start;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	int r;

	if (fd < 0)
		return -errno;
	r = pw_maps_begin(&mr, fd);
	while (!r && next < end && (r = pw_maps_next(&mr, &v)) > 0) {
		r = 0;
		if (v.end <= next)
			continue;
		if (v.start > next || !trackable(&v))
			r = -EINVAL;
		next = v.end;
	}
	pw_maps_end(&mr);
	close(fd);
	if (r < 0)
		return r;
	return next >= end ? 0 : -EINVAL;
}

/* Round [addr, addr + len) outward to pages; -EINVAL for len 0 or wrap. */
static int page_range(const void *addr, size_t len, uint64_t *start, uint64_t *end)
{
	uint64_t a = (uintptr_t)addr;

	if (!len || a + len < a || a + len > UINT64_MAX - PW_PAGE_SIZE)
		return -EINVAL;
	*start = pw_align_down(a, PW_PAGE_SIZE);
	*end = pw_align_up(a + len, PW_PAGE_SIZE);
	return 0;
}

static int sub_range(const struct pw_watch *w, const void *addr, size_t len,
		     uint64_t *start, uint64_t *end)
{
	if (!w || page_range(addr, len, start, end))
		return -EINVAL;
	if (*start < w->start || *end > w->end)
		return -EINVAL;
	return 0;
}

static bool overlaps_locked(uint64_t start, uint64_t end)
{
	struct pw_watch *o;

	for (o = registry; o; o = o->next)
		if (start < o->end && o->start < end)
			return true;
	return false;
}

int pw_watch_start(struct pw_watch **out, void *addr, size_t len, enum pw_backend backend)
{
	const struct pw_watch_ops *ops[NBACKENDS];
	struct pw_watch *w;
	uint64_t start = (uintptr_t)addr;
	int r, n;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!len || start % PW_PAGE_SIZE || len % PW_PAGE_SIZE || start + len < start)
		return -EINVAL;
	n = choose_backends(backend, ops);
	if (n < 0)
		return n;
	pthread_once(&atfork_once, registry_atfork);
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->start = start;
	w->end = start + len;
	/* Overlap first: a range another watch protects may not look
	 * writable any more, and the answer there is -EBUSY. */
	pthread_mutex_lock(&registry_lock);
	r = overlaps_locked(w->start, w->end) ? -EBUSY : pw_watch_range_ok(w->start, w->end);
	if (!r)
		r = start_first(w, ops, n);
	if (!r) {
		w->next = registry;
		registry = w;
	}
	pthread_mutex_unlock(&registry_lock);
	if (r) {
		free(w);
		return r;
	}
	*out = w;
	return 0;
}

int pw_watch_get(struct pw_watch *w, void *addr, size_t len, unsigned flags,
		 void **pages, size_t *count)
{
	uint64_t start, end;
	size_t room;
	int r;

	if (!pages || !count || !*count || flags & ~PW_WATCH_RESET)
		return -EINVAL;
	room = *count;
	if (sub_range(w, addr, len, &start, &end))
		return -EINVAL;
	r = w->ops->get(w, start, end, flags & PW_WATCH_RESET, pages, count);
	if (r)
		*count = room;	/* on an error, as it was */
	return r;
}

int pw_watch_reset(struct pw_watch *w, void *addr, size_t len)
{
	uint64_t start, end;

	if (sub_range(w, addr, len, &start, &end))
		return -EINVAL;
	return w->ops->reset(w, start, end);
}

enum pw_backend pw_watch_backend(const struct pw_watch *w)
{
	return w ? w->ops->id : PW_BACKEND_AUTO;
}

void pw_watch_stop(struct pw_watch *w)
{
	struct pw_watch **pp;

	if (!w)
		return;
	pthread_mutex_lock(&registry_lock);
	for (pp = &registry; *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	}
	w->ops->stop(w);
	pthread_mutex_unlock(&registry_lock);
	free(w);
}
