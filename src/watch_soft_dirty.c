/* SPDX-License-Identifier: MIT */
/*
 * The soft-dirty backend: pagemap bit 55 and clear_refs, for kernels with
 * CONFIG_MEM_SOFT_DIRTY (x86, s390, ppc64, riscv; not arm64).
 *
 * Writing 4 to clear_refs cleans the whole process, not one range (lesson
 * 8).  So each watch keeps its own bitmap of written pages, and every
 * clear_refs is preceded by a harvest: the bits of *every* soft-dirty watch
 * are OR-ed into that watch's bitmap first.  A reset then cleans only its
 * own pages in its own bitmap, and no other watch loses anything.
 *
 * Between the harvest and the clear, a write by another thread would be
 * lost, so the other threads are parked for that moment (stop_world.c), as
 * garbage collectors do.  Writes by the kernel on our behalf (read() into a
 * watched buffer) set the bit like any other write.
 *
 * Known over-reporting: a mapping created or changed inside a watched range
 * (mprotect, mremap) starts wholly soft-dirty in the kernel, so its pages
 * read written until the next reset.  Nothing is ever under-reported.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

#define CHUNK 4096	/* pagemap entries per read */

struct sd_watch {
	struct pw_watch *w;
	uint64_t *dirty;		/* one bit per page */
	uint64_t *populated;		/* non-empty at the last harvest */
	struct sd_watch *next;
};

static pthread_mutex_t sd_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sd_watch *sd_all;
static int pagemap_fd = -1, clear_fd = -1;
static pid_t files_pid;			/* /proc/self meant this process */
static uint64_t entries[CHUNK];		/* used with the world stopped: no malloc */
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* A fork while another thread holds sd_lock must not leave it held in the
 * child (see registry_child() in watch.c). */
static void sd_child(void)
{
	pthread_mutex_init(&sd_lock, NULL);
}

static void sd_atfork(void)
{
	pthread_atfork(NULL, NULL, sd_child);
}

static void bit_set(uint64_t *map, uint64_t i)
{
	map[i / 64] |= 1ULL << (i % 64);
}

static void bit_clear(uint64_t *map, uint64_t i)
{
	map[i / 64] &= ~(1ULL << (i % 64));
}

static size_t bitmap_bytes(uint64_t pages)
{
	return (size_t)(pages + 63) / 64 * sizeof(uint64_t);
}

static bool bit_test(const uint64_t *map, uint64_t i)
{
	return map[i / 64] >> (i % 64) & 1;
}

/* /proc/self files opened before a fork() still name the parent: the
 * child opens its own. */
static int open_files(void)
{
	if (files_pid != getpid()) {
		if (pagemap_fd >= 0)
			close(pagemap_fd);
		if (clear_fd >= 0)
			close(clear_fd);
		pagemap_fd = clear_fd = -1;
		files_pid = getpid();
	}
	if (pagemap_fd < 0)
		pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (pagemap_fd < 0)
		return -errno;
	if (clear_fd < 0)
		clear_fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
	return clear_fd < 0 ? -errno : 0;
}

/* OR the kernel's soft-dirty bits of [start, end) into the watch's bitmap.
 * A page dropped since the last harvest (MADV_DONTNEED: no write, no bit,
 * but its contents changed) counts as written too -- if it is still
 * unpopulated now: a read since maps the zero page, which looks clean. */
static int harvest(struct sd_watch *s, uint64_t start, uint64_t end)
{
	uint64_t a = start;

	while (a < end) {
		size_t n = (size_t)((end - a) / PW_PAGE_SIZE), i;
		ssize_t got;

		if (n > CHUNK)
			n = CHUNK;
		got = pread(pagemap_fd, entries, n * 8, (off_t)(a / PW_PAGE_SIZE * 8));
		if (got != (ssize_t)(n * 8))
			return got < 0 ? -errno : -EIO;
		for (i = 0; i < n; i++) {
			uint64_t p = (a - s->w->start) / PW_PAGE_SIZE + i;
			bool now = entries[i] >> PM_SWAP_BIT;

			if (entries[i] >> PM_SOFT_DIRTY_BIT & 1 || (bit_test(s->populated, p) && !now))
				bit_set(s->dirty, p);
			if (now)
				bit_set(s->populated, p);
			else
				bit_clear(s->populated, p);
		}
		a += n * PW_PAGE_SIZE;
	}
	return 0;
}

/* Harvest every watch, then clean the whole process: the one moment a
 * write could slip through, so nobody else runs. */
static int harvest_all_and_clear(void)
{
	struct sd_watch *s;
	int r;

	r = pw_world_stop();
	if (r)
		return r;
	for (s = sd_all; s && !r; s = s->next)
		r = harvest(s, s->w->start, s->w->end);
	if (!r && write(clear_fd, "4", 1) != 1)
		r = -errno;
	pw_world_resume();
	return r;
}

/* The bitmaps are written while the other threads are parked: they live
 * in a mapping of our own, never on a heap the application may watch
 * with another backend (a fault there could wait on a parked thread). */
static uint64_t *bitmap_new(uint64_t pages)
{
	void *m = mmap(NULL, bitmap_bytes(pages), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		return NULL;
	return m;
}

static void sd_free(struct sd_watch *s)
{
	uint64_t pages = (s->w->end - s->w->start) / PW_PAGE_SIZE;

	if (s->dirty)
		munmap(s->dirty, bitmap_bytes(pages));
	if (s->populated)
		munmap(s->populated, bitmap_bytes(pages));
	free(s);
}

static int sd_start(struct pw_watch *w)
{
	uint64_t pages = (w->end - w->start) / PW_PAGE_SIZE;
	struct sd_watch *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	pthread_once(&atfork_once, sd_atfork);
	s->w = w;
	s->dirty = bitmap_new(pages);
	s->populated = bitmap_new(pages);
	if (!s->dirty || !s->populated) {
		sd_free(s);
		return -ENOMEM;
	}
	pthread_mutex_lock(&sd_lock);
	r = open_files();
	if (!r)
		r = pw_thp_split(w->start, w->end);
	/* The others keep what they had; the new watch is harvested too, for
	 * what is populated now, then starts clean. */
	if (!r) {
		s->next = sd_all;
		sd_all = s;
		r = harvest_all_and_clear();
		if (r)
			sd_all = s->next;
		memset(s->dirty, 0, bitmap_bytes(pages));
	}
	if (!r)
		w->priv = s;
	pthread_mutex_unlock(&sd_lock);
	if (r)
		sd_free(s);
	return r;
}

static int sd_get(struct pw_watch *w, uint64_t start, uint64_t end, bool reset,
		  void **pages, size_t *count)
{
	struct sd_watch *s = w->priv;
	uint64_t i, first = (start - w->start) / PW_PAGE_SIZE;
	uint64_t last = (end - w->start) / PW_PAGE_SIZE;
	size_t n = 0;
	int r;

	pthread_mutex_lock(&sd_lock);
	r = open_files();
	if (!r)
		r = reset ? harvest_all_and_clear() : harvest(s, start, end);
	for (i = first; !r && i < last && n < *count; i++) {
		if (!bit_test(s->dirty, i))
			continue;
		pages[n++] = (void *)(uintptr_t)(w->start + i * PW_PAGE_SIZE);
		if (reset)
			bit_clear(s->dirty, i);
	}
	pthread_mutex_unlock(&sd_lock);
	if (r)
		return r;
	*count = n;
	return 0;
}

static int sd_reset(struct pw_watch *w, uint64_t start, uint64_t end)
{
	struct sd_watch *s = w->priv;
	uint64_t i;
	int r;

	pthread_mutex_lock(&sd_lock);
	r = open_files();
	if (!r)
		r = harvest_all_and_clear();
	for (i = (start - w->start) / PW_PAGE_SIZE; !r && i < (end - w->start) / PW_PAGE_SIZE; i++)
		bit_clear(s->dirty, i);
	pthread_mutex_unlock(&sd_lock);
	return r;
}

static void sd_stop(struct pw_watch *w)
{
	struct sd_watch *s = w->priv, **pp;

	pthread_mutex_lock(&sd_lock);
	for (pp = &sd_all; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	pthread_mutex_unlock(&sd_lock);
	sd_free(s);
}

const struct pw_watch_ops pw_watch_soft_dirty_ops = {
	.id = PW_BACKEND_SOFT_DIRTY,
	.start = sd_start,
	.get = sd_get,
	.reset = sd_reset,
	.stop = sd_stop,
};
