/* SPDX-License-Identifier: MIT */
/*
 * The emulated backend: PAGEMAP_SCAN's contract computed from
 * /proc/PID/maps and the classic /proc/PID/pagemap (plus /proc/kpageflags
 * and the mapping's filesystem where root may read them).
 *
 * The walk mirrors the kernel's so that return value, regions and walk_end
 * agree exactly: mappings in address order, PFNMAP mappings skipped (S14),
 * gaps never reported (S12), one category word per page, matched (S22),
 * merged into regions (S24) through a bounce buffer of min(512, vec_len)
 * regions that is flushed to the caller when full -- the kernel's refill
 * points decide where walk_end lands, so we refill at the same points.
 *
 * Empty entries (S18): the classic pagemap cannot tell a cleared entry in a
 * page table from a range with no page table.  We follow 6.18: an empty
 * entry is WRITTEN when its 2 MiB page-table block holds any non-empty
 * entry (so the table exists), and not WRITTEN otherwise.  6.18 differs in
 * two cases we cannot see: a table whose entries are all empty again, and
 * a uffd-wp-registered range with no table at all (WRITTEN there).
 *
 * HUGE: 512 present entries of one aligned THP (kpageflags) in a mapping
 * that smaps says holds PMD-mapped THPs.  PFNZERO: the zero page's PFN, or
 * an anonymous mapping's "file" page (the huge zero page).  Both need PFNs,
 * so they are claimed only where this process may see them.  See pw_scan(3).
 *
 * Cost: the kernel's pagemap read, plus reading /proc/PID/maps up to the
 * range on each call; pw_scan_all streams one walk (emulated_walk).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "internal.h"

#define CHUNK_PAGES	8192		/* 64 KiB of pagemap per read */
#define BOUNCE_MAX	512		/* the kernel's PAGEMAP_WALK_SIZE / PAGE_SIZE */
#define DEV_CACHE	8
#define SPECIAL_CACHE	8

enum vma_kind { VMA_NORMAL, VMA_ANON, VMA_HUGETLB, VMA_KINDS };

struct dev_verdict {
	unsigned int major, minor;
	bool hugetlb;
};

struct special_verdict {
	uint64_t start, end;
	bool pfnmap;
};

struct pw_emu {
	int kpf_fd;			/* -1: HUGE cannot be computed */
	uint64_t zero_pfn;		/* 0: PFNZERO of 4 KiB pages unknown */
	bool wp_known;			/* no WP_ASYNC here: nothing is WP-allowed */
	uint64_t lut[VMA_KINDS][512];	/* categories by pagemap bits 55-63 */
	pthread_mutex_t cache_lock;	/* scans of one space may run at once */
	struct dev_verdict devs[DEV_CACHE];
	unsigned int ndevs;
	struct special_verdict specials[SPECIAL_CACHE];
	unsigned int nspecials;
};

struct scan {
	struct pw_space *sp;
	struct pw_emu *emu;
	struct pw_scan_arg a;
	uint64_t user_arg;
	uint64_t interest;
	uint64_t found;
	struct pw_region *buf;
	size_t buf_len, idx;
	uint64_t vec_out, vec_left;
	long n_out;
	uint64_t walk_end;		/* 0: not set, as in the kernel */
	int err;
	uint64_t *ent;
	uint64_t blk[PW_PMD_PAGES];
	pw_region_fn sink;		/* pw_scan_all: regions go here, not to vec */
	void *sink_ctx;
	int sink_rc;			/* what the sink stopped the walk with */
	uint64_t cut_end;		/* where max_pages stopped the walk */
	struct pw_region *pmd_maps;	/* mappings smaps shows PMD-mapped THPs in */
	size_t npmd_maps;
	bool pmd_maps_read;
};

/* ---- categories of one pagemap entry ---- */

static uint64_t entry_categories(unsigned idx, enum vma_kind kind)
{
	bool sd = idx & 1, wp = idx >> 2 & 1, guard = idx >> 3 & 1;
	bool file = idx >> 6 & 1, swap = idx >> 7 & 1, present = idx >> 8 & 1;
	uint64_t c = sd ? PW_PAGE_SOFT_DIRTY : 0;

	if (present || swap) {
		c |= present ? PW_PAGE_PRESENT : PW_PAGE_SWAPPED;
		c |= wp ? 0 : PW_PAGE_WRITTEN;
		c |= file ? PW_PAGE_FILE : 0;
		c |= (swap && guard) ? PW_PAGE_GUARD : 0;
	}
	switch (kind) {
	case VMA_ANON:
		/* In anonymous memory only the huge zero page reads as a
		 * file page; the kernel calls it PFNZERO, HUGE, not FILE. */
		if (present && file)
			c = (c & ~PW_PAGE_FILE) | PW_PAGE_PFNZERO | PW_PAGE_HUGE;
		break;
	case VMA_HUGETLB:
		/* The classic file shows a hugetlb uffd-wp marker as bit 57
		 * alone; the kernel's scan calls it SWAPPED (S20). */
		if (!present && !swap && wp)
			c |= PW_PAGE_SWAPPED;
		if (present || swap || wp)
			c |= PW_PAGE_HUGE;
		break;
	default:
		break;
	}
	return c;
}

static void build_luts(struct pw_emu *emu)
{
	unsigned k, i;

	for (k = 0; k < VMA_KINDS; k++)
		for (i = 0; i < 512; i++)
			emu->lut[k][i] = entry_categories(i, (enum vma_kind)k);
}

/* ---- what kind of mapping ---- */

static bool path_is(const struct pw_vma *v, const char *s)
{
	size_t n = strlen(s);

	return v->path_len == n && !memcmp(v->path, s, n);
}

static bool path_starts(const struct pw_vma *v, const char *s)
{
	size_t n = strlen(s);

	return v->path_len >= n && !memcmp(v->path, s, n);
}

/* Private memory that no file backs: vma_is_anonymous() in the kernel. */
static bool vma_anonymous(const struct pw_vma *v)
{
	if (v->perms[3] != 'p')
		return false;
	if (path_is(v, "/dev/zero"))
		return true;
	if (v->inode)
		return false;
	return !v->path_len || path_is(v, "[heap]") || path_is(v, "[stack]") ||
	       path_starts(v, "[anon:");
}

/* smaps is the only place that shows VM_PFNMAP.  Reading it walks the
 * process's page tables, so ask only for the mappings that can be PFNMAP
 * (device files, the vDSO data pages) and remember the answer. */
static bool smaps_pfnmap(struct pw_space *sp, const struct pw_vma *v)
{
	char line[512], head[40];
	bool in = false, pf = false;
	size_t hl;
	FILE *f;
	int fd = openat(sp->proc_fd, "smaps", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return false;
	}
	hl = (size_t)snprintf(head, sizeof(head), "%llx-%llx ",
			      (unsigned long long)v->start, (unsigned long long)v->end);
	while (fgets(line, sizeof(line), f)) {
		if (!in) {
			in = !strncmp(line, head, hl);
			continue;
		}
		if (!strncmp(line, "VmFlags:", 8)) {
			pf = strstr(line, " pf") != NULL;
			break;
		}
	}
	fclose(f);
	return pf;
}

static bool vma_pfnmap(struct pw_space *sp, const struct pw_vma *v)
{
	struct pw_emu *emu = sp->emu;
	struct special_verdict *s;
	unsigned int i;
	bool pf;

	if (!path_starts(v, "[vvar") && !(path_starts(v, "/dev/") && !path_is(v, "/dev/zero")))
		return false;
	pthread_mutex_lock(&emu->cache_lock);
	for (i = 0; i < emu->nspecials; i++) {
		if (emu->specials[i].start == v->start && emu->specials[i].end == v->end) {
			pf = emu->specials[i].pfnmap;
			pthread_mutex_unlock(&emu->cache_lock);
			return pf;
		}
	}
	pf = smaps_pfnmap(sp, v);
	s = &emu->specials[emu->nspecials < SPECIAL_CACHE ? emu->nspecials++ : 0];
	s->start = v->start;
	s->end = v->end;
	s->pfnmap = pf;
	pthread_mutex_unlock(&emu->cache_lock);
	return pf;
}

/* hugetlb mappings live on hugetlbfs; the filesystem of a mapping is only
 * visible through map_files (root), which is when HUGE is claimed at all. */
static bool fs_is_hugetlbfs(struct pw_space *sp, const struct pw_vma *v)
{
	struct statfs st;
	char path[64];
	bool h;
	int fd;

	snprintf(path, sizeof(path), "map_files/%llx-%llx",
		 (unsigned long long)v->start, (unsigned long long)v->end);
	fd = openat(sp->proc_fd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	h = fstatfs(fd, &st) == 0 && (unsigned long)st.f_type == HUGETLBFS_MAGIC_VALUE;
	close(fd);
	return h;
}

static bool vma_hugetlb(struct pw_space *sp, const struct pw_vma *v)
{
	struct pw_emu *emu = sp->emu;
	struct dev_verdict *d;
	unsigned int i;
	bool h;

	if (emu->kpf_fd < 0 || !v->inode)
		return false;
	pthread_mutex_lock(&emu->cache_lock);
	for (i = 0; i < emu->ndevs; i++) {
		if (emu->devs[i].major == v->dev_major && emu->devs[i].minor == v->dev_minor) {
			h = emu->devs[i].hugetlb;
			pthread_mutex_unlock(&emu->cache_lock);
			return h;
		}
	}
	h = fs_is_hugetlbfs(sp, v);
	d = &emu->devs[emu->ndevs < DEV_CACHE ? emu->ndevs++ : 0];
	d->major = v->dev_major;
	d->minor = v->dev_minor;
	d->hugetlb = h;
	pthread_mutex_unlock(&emu->cache_lock);
	return h;
}

/* ---- output, the kernel's way ---- */

/* pw_scan_all's walk: each region to the caller's function; a non-zero
 * answer stops the walk (returned as 1 here, the answer kept). */
static int flush_to_sink(struct scan *sc, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int rc = sc->sink(&sc->buf[i], sc->sink_ctx);

		sc->n_out++;
		if (rc) {
			sc->sink_rc = rc;
			sc->cut_end = sc->buf[i].end;
			return 1;
		}
	}
	sc->idx = 0;
	sc->buf[0].start = sc->buf[0].end = 0;
	return 0;
}

static int flush(struct scan *sc)
{
	size_t n = sc->idx;

	if (!sc->buf)
		return 0;
	if (sc->buf[n].end != sc->buf[n].start)
		n++;
	if (!n)
		return 0;
	if (sc->sink)
		return flush_to_sink(sc, n);
	if (pw_user_write(sc->vec_out, sc->buf, n * sizeof(*sc->buf)))
		return -EFAULT;
	sc->vec_out += n * sizeof(*sc->buf);
	sc->vec_left -= n;
	sc->n_out += (long)n;
	sc->idx = 0;
	if (sc->buf_len > sc->vec_left)
		sc->buf_len = sc->vec_left;
	sc->buf[0].start = sc->buf[0].end = 0;
	return 0;
}

static bool push(struct scan *sc, uint64_t cats, uint64_t addr, uint64_t end)
{
	struct pw_region *cur = &sc->buf[sc->idx];

	if (addr == cur->end && cats == cur->categories) {
		cur->end = end;
		return true;
	}
	if (cur->end) {
		if (sc->idx + 1 >= sc->buf_len)
			return false;
		cur = &sc->buf[++sc->idx];
	}
	cur->start = addr;
	cur->end = end;
	cur->categories = cats;
	return true;
}

/* Report [addr, end) with categories cats; true stops the walk. */
static bool output(struct scan *sc, uint64_t cats, uint64_t addr, uint64_t end)
{
	uint64_t n = (end - addr) >> PW_PAGE_SHIFT;
	bool stop = false;

	cats &= sc->a.return_mask;
	if (n > sc->a.max_pages - sc->found) {
		n = sc->a.max_pages - sc->found;
		end = addr + (n << PW_PAGE_SHIFT);
		stop = true;
	}
	if (n && !push(sc, cats, addr, end)) {
		/* The kernel stops here, flushes, and walks again from addr
		 * with an empty buffer, leaving walk_end = addr behind. */
		sc->walk_end = addr;
		sc->err = flush(sc);
		if (sc->err || !sc->vec_left)
			return true;
		push(sc, cats, addr, end);
	}
	sc->found += n;
	if (stop)
		sc->walk_end = sc->cut_end = end;
	return stop;
}

static bool emit(struct scan *sc, uint64_t cats, uint64_t addr, uint64_t end)
{
	uint64_t c = cats ^ sc->a.category_inverted;
	uint64_t any = sc->a.category_anyof_mask;

	if ((c & sc->a.category_mask) != sc->a.category_mask)
		return false;
	if (any && !(c & any))
		return false;
	return output(sc, cats, addr, end);
}

/* ---- the page walk ---- */

static ssize_t read_entries(struct scan *sc, uint64_t *dst, uint64_t start, size_t pages)
{
	off_t off = (off_t)(start >> PW_PAGE_SHIFT) * 8;
	size_t want = pages * 8, got = 0;

	while (got < want) {
		ssize_t n = pread(sc->sp->pagemap_fd, (char *)dst + got, want - got,
				  off + (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == ESRCH ? (ssize_t)(got / 8) : -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)(got / 8);
}

/* All 512 entries of the page-table block at blk: from the chunk when it
 * holds them, else read on the side (other mappings share the block). */
static const uint64_t *block_entries(struct scan *sc, uint64_t blk, uint64_t cs, uint64_t ce)
{
	ssize_t n;

	if (blk >= cs && blk + PW_PMD_SIZE <= ce)
		return sc->ent + ((blk - cs) >> PW_PAGE_SHIFT);
	n = read_entries(sc, sc->blk, blk, PW_PMD_PAGES);
	if (n < 0)
		n = 0;
	memset(sc->blk + n, 0, (PW_PMD_PAGES - (size_t)n) * 8);
	return sc->blk;
}

/* Whether any of n entries is non-empty (present or swapped), stopping at
 * the first: eight at a time, the way the compiler vectorises well. */
static bool any_nonempty(const uint64_t *e, size_t n)
{
	size_t i = 0, k;

	for (; i + 8 <= n; i += 8) {
		uint64_t any = 0;

		for (k = 0; k < 8; k++)
			any |= e[i + k];
		if (any >> PM_SWAP_BIT)
			return true;
	}
	for (; i < n; i++)
		if (e[i] >> PM_SWAP_BIT)
			return true;
	return false;
}

/* A transparent huge page mapped by one PMD: 512 present entries of one
 * aligned compound page.  (A THP fully mapped by 512 PTEs looks the same in
 * pagemap and kpageflags; pmd_mapped_in() tells them apart by mapping.) */
static bool block_thp(struct scan *sc, const uint64_t *e)
{
	const uint64_t same = (1ULL << 55) | (1ULL << 57) | (1ULL << 58) |
			      (7ULL << 61);
	uint64_t pfn = e[0] & PM_PFN_MASK, flags;
	size_t i;

	if (!(e[0] >> PM_PRESENT_BIT) || !pfn || pfn % PW_PMD_PAGES)
		return false;
	for (i = 1; i < PW_PMD_PAGES; i++)
		if ((e[i] & PM_PFN_MASK) != pfn + i || (e[i] & same) != (e[0] & same))
			return false;
	if (pread(sc->emu->kpf_fd, &flags, 8, (off_t)(pfn * 8)) != 8)
		return false;
	return flags >> KPF_THP & 1;
}

/* smaps counts the bytes each mapping has mapped by PMDs.  A mapping with
 * none cannot hold a HUGE page, however its pagemap looks: that is the one
 * thing that tells a THP whose PMD was split (all 512 pages still mapped by
 * PTEs, e.g. after an mprotect of part of it) from a PMD-mapped one.  Read
 * once per scan, and only once a candidate is seen. */
static bool pmd_mapped_in(struct scan *sc, uint64_t blk)
{
	size_t i;

	if (!sc->pmd_maps_read) {
		sc->pmd_maps_read = true;
		pw_pmd_mapped_maps(sc->sp->proc_fd, &sc->pmd_maps, &sc->npmd_maps);
	}
	for (i = 0; i < sc->npmd_maps; i++)
		if (sc->pmd_maps[i].start <= blk && blk < sc->pmd_maps[i].end)
			return true;
	return false;
}

/* Whether the page table of the block at blk exists (S18): some entry of
 * the block, in any mapping, is non-empty.  ent holds [bs, be) of it; the
 * rest is read only when those are all empty and not the whole block. */
static uint64_t empty_written(struct scan *sc, const uint64_t *ent, uint64_t bs, uint64_t be,
			      uint64_t cs, uint64_t ce)
{
	uint64_t blk = pw_align_down(bs, PW_PMD_SIZE);

	if (any_nonempty(ent, (be - bs) >> PW_PAGE_SHIFT))
		return PW_PAGE_WRITTEN;
	if (be - bs == PW_PMD_SIZE)
		return 0;
	return any_nonempty(block_entries(sc, blk, cs, ce), PW_PMD_PAGES) ? PW_PAGE_WRITTEN : 0;
}

/* The first index in [i, n) whose bits 55-63 are not f. */
static size_t same_flags_until(const uint64_t *ent, size_t i, size_t n, uint64_t f)
{
	size_t k;

	for (; i + 8 <= n; i += 8) {
		uint64_t d = 0;

		for (k = 0; k < 8; k++)
			d |= (ent[i + k] >> 55) ^ f;
		if (d)
			break;
	}
	while (i < n && ent[i] >> 55 == f)
		i++;
	return i;
}

/*
 * Categories of [bs, be), all inside one page-table block, emitted as runs.
 * A page's categories depend only on its entry's bits 55-63 (plus, for
 * PFNZERO, its PFN), so the loop jumps from one change of those bits to the
 * next: a block of identical entries costs a few vector compares.
 */
static bool walk_block(struct scan *sc, const struct pw_vma *v, enum vma_kind kind,
		       const uint64_t *ent, uint64_t bs, uint64_t be, uint64_t cs, uint64_t ce)
{
	const uint64_t *lut = sc->emu->lut[kind];
	uint64_t blk = pw_align_down(bs, PW_PMD_SIZE), extra = 0, empty_w = 0;
	uint64_t zero = (sc->interest & PW_PAGE_PFNZERO) ? sc->emu->zero_pfn : 0;
	uint64_t run_start = bs, run_c = 0;
	size_t i, j, n = (be - bs) >> PW_PAGE_SHIFT;
	bool empty_known = kind == VMA_HUGETLB || !(sc->interest & PW_PAGE_WRITTEN);

	if (kind != VMA_HUGETLB && sc->interest & PW_PAGE_HUGE && sc->emu->kpf_fd >= 0 &&
	    v->start <= blk && blk + PW_PMD_SIZE <= v->end &&
	    block_thp(sc, block_entries(sc, blk, cs, ce)) && pmd_mapped_in(sc, blk))
		extra = PW_PAGE_HUGE;
	for (i = 0; i < n; i = j) {
		/* walk_range read all n entries or stopped (the analyzer does
		 * not know the range is whole pages).
		 * NOLINTNEXTLINE(clang-analyzer-core.uninitialized.Assign) */
		uint64_t e = ent[i], f = e >> 55, c = lut[f] | extra;

		/* The zero page differs from its neighbours by PFN alone. */
		if (zero && (e >> PM_PRESENT_BIT)) {
			j = i + 1;
			if ((e & PM_PFN_MASK) == zero)
				c |= PW_PAGE_PFNZERO;
		} else {
			j = same_flags_until(ent, i + 1, n, f);
		}
		if (!(f >> 7)) {
			if (!empty_known) {
				empty_w = empty_written(sc, ent, bs, be, cs, ce);
				empty_known = true;
			}
			c |= empty_w;
		}
		if (i && c == run_c)
			continue;
		if (i && emit(sc, run_c, run_start, bs + (i << PW_PAGE_SHIFT)))
			return true;
		run_c = c;
		run_start = bs + (i << PW_PAGE_SHIFT);
	}
	return n && emit(sc, run_c, run_start, be);
}

static bool walk_range(struct scan *sc, const struct pw_vma *v, enum vma_kind kind,
		       uint64_t s, uint64_t e)
{
	uint64_t cs, ce, bs, be;

	for (cs = s; cs < e; cs = ce) {
		ssize_t got;

		ce = pw_align_down(cs, CHUNK_PAGES * PW_PAGE_SIZE) + CHUNK_PAGES * PW_PAGE_SIZE;
		if (ce > e)
			ce = e;
		got = read_entries(sc, sc->ent, cs, (size_t)((ce - cs) >> PW_PAGE_SHIFT));
		if (got < 0) {
			sc->err = (int)got;
			return true;
		}
		if ((uint64_t)got < (ce - cs) >> PW_PAGE_SHIFT) {
			/* The process exited under us: say so rather than
			 * hand back a walk that silently stopped short. */
			sc->err = -ESRCH;
			return true;
		}
		for (bs = cs; bs < ce; bs = be) {
			be = pw_align_down(bs, PW_PMD_SIZE) + PW_PMD_SIZE;
			if (be > ce)
				be = ce;
			if (walk_block(sc, v, kind, sc->ent + ((bs - cs) >> PW_PAGE_SHIFT),
				       bs, be, cs, ce))
				return true;
		}
	}
	return false;
}

static enum vma_kind vma_kind(struct scan *sc, const struct pw_vma *v)
{
	if (vma_anonymous(v))
		return VMA_ANON;
	if ((sc->interest & PW_PAGE_HUGE) && vma_hugetlb(sc->sp, v))
		return VMA_HUGETLB;
	return VMA_NORMAL;
}

/* Once the process's memory is gone the kernel answers ESRCH before it
 * even reads the argument; pagemap then reads as empty. */
static bool mm_gone(const struct pw_space *sp)
{
	uint64_t e;

	return pread(sp->pagemap_fd, &e, sizeof(e), 0) == 0;
}

/* The mappings of [start, end) in order, as walk_page_range visits them. */
static void walk(struct scan *sc)
{
	struct pw_maps_reader mr;
	struct pw_vma v;
	bool any = false;
	int r;

	pthread_mutex_lock(&sc->sp->maps_lock);
	r = pw_maps_slurp(&mr, sc->sp->maps_fd, sc->a.end);
	pthread_mutex_unlock(&sc->sp->maps_lock);
	if (r) {
		sc->err = r;
		pw_maps_end(&mr);
		return;
	}
	while ((r = pw_maps_next(&mr, &v)) > 0) {
		uint64_t s, e;

		any = true;
		if (v.end <= sc->a.start)
			continue;
		if (v.start >= sc->a.end)
			break;
		/* Nothing is WP-allowed here (S13). */
		if (sc->a.flags & PW_SCAN_CHECK_WPASYNC) {
			sc->err = -EPERM;
			break;
		}
		if (sc->a.category_mask & ~sc->a.category_inverted & PW_PAGE_WPALLOWED)
			continue;
		if (!sc->buf || vma_pfnmap(sc->sp, &v))
			continue;
		s = v.start > sc->a.start ? v.start : sc->a.start;
		e = v.end < sc->a.end ? v.end : sc->a.end;
		if (walk_range(sc, &v, vma_kind(sc, &v), s, e))
			break;
	}
	if (r < 0 && !sc->err)
		sc->err = r;
	/* A live process always has mappings: none means it just exited. */
	if (!any && !sc->err && mm_gone(sc->sp))
		sc->err = -ESRCH;
	pw_maps_end(&mr);
}

/* ---- validation, in the kernel's order (S2-S8) ---- */

static int validate(struct scan *sc, struct pw_scan_arg *arg)
{
	struct pw_scan_arg *a = &sc->a;
	uint64_t cats;
	int r;

	sc->user_arg = (uintptr_t)arg;
	if (pw_user_read(a, sc->user_arg, sizeof(*a)))
		return -EFAULT;
	if (a->size != sizeof(*a))
		return -EINVAL;
	if (a->flags & ~(PW_SCAN_WP_MATCHING | PW_SCAN_CHECK_WPASYNC))
		return -EINVAL;
	cats = a->category_inverted | a->category_mask | a->category_anyof_mask |
	       a->return_mask;
	if (cats & ~PW_PAGE_ALL)
		return -EINVAL;
	r = pw_scan_check_range(a);
	if (r)
		return r;
	/* The kernel would take this argument; can we honour it? */
	if (a->flags & PW_SCAN_WP_MATCHING)
		return -EOPNOTSUPP;
	if (a->flags & PW_SCAN_CHECK_WPASYNC && !sc->emu->wp_known)
		return -EOPNOTSUPP;
	if (cats & ~sc->sp->categories)
		return -EOPNOTSUPP;
	a->end = pw_align_up(a->end, PW_PAGE_SIZE);
	if (!a->max_pages)
		a->max_pages = UINT64_MAX;
	sc->interest = a->category_mask | a->category_anyof_mask | a->return_mask;
	return 0;
}

static int setup_buffers(struct scan *sc)
{
	sc->vec_out = sc->a.vec;
	sc->vec_left = sc->a.vec_len;
	if (!sc->a.vec_len)
		return 0;
	sc->buf_len = sc->a.vec_len < BOUNCE_MAX ? (size_t)sc->a.vec_len : BOUNCE_MAX;
	sc->buf = calloc(sc->buf_len, sizeof(*sc->buf));
	sc->ent = malloc(CHUNK_PAGES * sizeof(*sc->ent));
	if (!sc->buf || !sc->ent)
		return -ENOMEM;
	return 0;
}

static void scan_free(struct scan *sc)
{
	free(sc->buf);
	free(sc->ent);
	free(sc->pmd_maps);
	free(sc);
}

/* A scan of sp; *r is -ESRCH or -ENOMEM when there is none. */
static struct scan *scan_new(struct pw_space *sp, long *r)
{
	struct scan *sc;

	*r = 0;
	if (mm_gone(sp)) {
		*r = -ESRCH;
		return NULL;
	}
	sc = calloc(1, sizeof(*sc));
	if (!sc) {
		*r = -ENOMEM;
		return NULL;
	}
	sc->sp = sp;
	sc->emu = sp->emu;
	return sc;
}

static long emulated_scan(struct pw_space *sp, struct pw_scan_arg *arg)
{
	long r;
	struct scan *sc = scan_new(sp, &r);

	if (!sc)
		return r;
	r = validate(sc, arg);
	if (!r)
		r = setup_buffers(sc);
	if (r)
		goto out;
	if (sc->a.start < sc->a.end)
		walk(sc);
	r = flush(sc);
	if (!r)
		r = sc->err ? sc->err : sc->n_out;
	if (!sc->walk_end)
		sc->walk_end = sc->a.end;
	if (pw_user_write(sc->user_arg + offsetof(struct pw_scan_arg, walk_end),
			  &sc->walk_end, sizeof(sc->walk_end)))
		r = -EFAULT;
out:
	scan_free(sc);
	return r;
}

/*
 * pw_scan_all in one walk: the regions a resumed pw_scan would give (the
 * kernel never splits a region where it refills its buffer), streamed to
 * fn, with /proc/PID/maps read once instead of once per 512 regions.
 * *walk_end is set when the walk ran (not on a bad argument).
 */
static long emulated_walk(struct pw_space *sp, struct pw_scan_arg *arg, pw_region_fn fn,
			  void *ctx, uint64_t *walk_end)
{
	long r;
	struct scan *sc = scan_new(sp, &r);

	if (!sc)
		return r;
	sc->sink = fn;
	sc->sink_ctx = ctx;
	r = validate(sc, arg);
	if (!r) {
		sc->a.vec_len = UINT64_MAX;
		r = setup_buffers(sc);
	}
	if (r)
		goto out;
	if (sc->a.start < sc->a.end)
		walk(sc);
	if (!sc->sink_rc && !sc->err)
		flush(sc);
	r = sc->sink_rc ? sc->sink_rc : sc->err ? sc->err : sc->n_out;
	/* As the batched walk: no walk_end after an error. */
	if (sc->sink_rc || !sc->err)
		*walk_end = sc->cut_end ? sc->cut_end : sc->a.end;
out:
	scan_free(sc);
	return r;
}

/* ---- the space ---- */

static uint64_t claimed_categories(const struct pw_sysinfo *si, const struct pw_emu *emu)
{
	uint64_t c = PW_PAGE_PRESENT | PW_PAGE_SWAPPED | PW_PAGE_FILE |
		     PW_PAGE_WRITTEN | PW_PAGE_SOFT_DIRTY;

	if (emu->wp_known)
		c |= PW_PAGE_WPALLOWED;
	if (!si->guard_regions || si->guard_bit)
		c |= PW_PAGE_GUARD;
	if (emu->zero_pfn)
		c |= PW_PAGE_PFNZERO;
	if (emu->kpf_fd >= 0)
		c |= PW_PAGE_HUGE;
	return c;
}

static void emulated_close(struct pw_space *sp)
{
	struct pw_emu *emu = sp->emu;

	if (!emu)
		return;
	if (emu->kpf_fd >= 0)
		close(emu->kpf_fd);
	pthread_mutex_destroy(&emu->cache_lock);
	free(emu);
	sp->emu = NULL;
}

static int emulated_open(struct pw_space *sp)
{
	const struct pw_sysinfo *si = pw_sysinfo();
	struct pw_emu *emu = calloc(1, sizeof(*emu));

	if (!emu)
		return -ENOMEM;
	sp->emu = emu;
	emu->kpf_fd = -1;
	pthread_mutex_init(&emu->cache_lock, NULL);
	/* WP_ASYNC came with PAGEMAP_SCAN (6.7): without the ioctl, no
	 * mapping can be WP-allowed, so that category is known to be 0. */
	emu->wp_known = !si->pagemap_scan;
	/* Asked now: a process that dropped privileges sees PFNs no more. */
	if (pw_pfns_visible(&emu->zero_pfn))
		emu->kpf_fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	build_luts(emu);
	sp->categories = claimed_categories(si, emu);
	return 0;
}

const struct pw_scan_ops pw_scan_emulated_ops = {
	.name = "emulated",
	.open = emulated_open,
	.scan = emulated_scan,
	.walk = emulated_walk,
	.close = emulated_close,
};
