/* SPDX-License-Identifier: MIT */
/*
 * The "mprotect" write-watch backend: mprotect + SIGSEGV, any kernel.
 *
 * A watched page is read-only while clean.  The first write faults; the
 * SIGSEGV handler makes that one page writable again, sets its bit in the
 * watch's dirty bitmap, and returns, so the write re-executes and succeeds.
 * get with reset and reset clear bits and make the pages read-only again.
 *
 * Finding the watch from the handler.  Watches live in a fixed table of
 * slots.  A slot publishes its watch with one atomic pointer store; the
 * handler counts itself into the slot's users, loads the pointer and, if
 * the address is in that watch, works on it, then counts itself out.
 * Retiring a watch stores NULL first and then waits for users to reach 0
 * before freeing anything: with sequentially consistent atomics either the
 * handler's load sees NULL, or the retiring thread's load of users sees the
 * handler (store-buffering can forbid neither).  The handler takes no lock,
 * allocates nothing and calls only mprotect, sigaction, pthread_sigmask,
 * raise and futex: it is async-signal-safe, and two threads faulting at
 * once only meet on a counter.
 *
 * Why no write is lost (no lock between the handler and get/reset).  Per
 * page: the handler does "mprotect RW, then set the bit"; get/reset do
 * "clear the bit, then mprotect RO".  Take any write W to page p that
 * completes at time tw, and the last "mprotect RO" of p before tw (by
 * start, get or reset) at tp.  p was writable at tw, so some handler made
 * it writable at tu in (tp, tw) and then set the bit at td > tu.  The
 * protector had cleared the bit before tp, so this set is a new one.
 *  - td > tw (another thread's write slipped in between tu and td): the
 *    bit is set after W; whichever get clears it later reports p and the
 *    caller reads the page after that get, after W.
 *  - td < tw and nobody clears the bit in (td, tw): the bit is set at tw,
 *    as above.
 *  - td < tw and a get clears the bit at tc in (td, tw): that get protects
 *    p after tc; as tp is the last protection before tw, it does so after
 *    tw.  It reports p, and its caller copies p after the get returned,
 *    so after W.
 * A handler may also set the bit after a get or reset protected the page
 * again (RW, clear, RO, set): the page is then dirty and read-only.  That
 * is harmless: the faulting write re-executes, faults once more, and is
 * the write the bit reports.  So the handler treats any write fault in a
 * live watch as its own, whatever the bit says.
 *
 * vm.max_map_count.  Every isolated writable page splits a mapping into up
 * to three, so scattered writes to a big watch can exhaust the limit, and
 * a failing mprotect in the handler would leave a write that cannot be
 * done.  The limit (/proc/sys/vm/max_map_count, or PAGEWATCH_MAX_MAP_COUNT
 * when smaller: a knob to simulate a small limit) and the number of
 * mappings are read at start.  The worst case is n + 1 more mappings for a
 * watch of n pages; instead of refusing big watches we budget: each page
 * the handler un-protects is "charged" two mappings, refunded when get or
 * reset protects it again (the charged bitmap remembers which pages hold a
 * charge).  When the budget is spent, or an un-protect fails anyway, the
 * handler un-protects the whole watch at once (that merges its mappings
 * instead of splitting them) and marks every page of it written, so no
 * write is lost, only precision.  The next pw_watch_get or pw_watch_reset
 * on that watch then returns -ENOMEM once, doing nothing else, re-measures
 * the mappings, and the calls after it work normally: a get reports every
 * page as written, and collecting them (get with reset, or reset) brings
 * the watch back to page granularity.  pw_watch_start itself returns
 * -ENOMEM when protecting the range could exceed the limit.  The budget is
 * an estimate (the application maps and unmaps too); a real ENOMEM from
 * mprotect takes the same path.
 *
 * The handler's own memory.  The handler writes its state with every
 * signal blocked, so a write fault there would be fatal: it must never
 * lie in a watched range.  All of it -- the slot table with the budget
 * counters, and each watch with its bitmaps -- is therefore allocated with
 * mmap of its own, never malloc (malloc's [heap] may be watched), and a
 * range that intersects any of it is refused with -EINVAL.  The pointer to
 * the slot table is only read by the handler, so it may sit in a protected
 * page.  Beyond that the handler, and the kernel delivering the signal,
 * write to the faulting thread's stack (the signal frame), its errno and
 * its rseq area (both in the thread's TLS, which a static program keeps
 * at the bottom of [heap]).  pw_watch_start refuses with -EINVAL a range
 * that intersects:
 *  - any [stack] mapping (the main thread's stack);
 *  - the calling thread's stack (pthread_getattr_np, else the mapping
 *    holding its current frame);
 *  - the calling thread's errno and rseq area;
 *  - the calling thread's alternate signal stack, if it has one enabled
 *    (sigaltstack): the handler runs there when the SIGSEGV handler it
 *    replaced asked for SA_ONSTACK, and so do the application's own
 *    SA_ONSTACK handlers, which may fault on a watched page in turn.
 * What pagewatch cannot see is the application's to keep out: a watch
 * must not cover a stack, an alternate signal stack or the TLS (errno,
 * rseq, the thread control block) of another thread -- a thread whose
 * stack is write-protected cannot take the signal that would un-protect
 * it, and the process is killed.
 *
 * fork().  The child inherits the protections, this handler, the slot
 * table and the bitmaps as copies: its writes fault, its handler
 * un-protects its own pages and sets bits in its own copy, and the parent's
 * watch never sees them.  A user count a parent thread held at the fork is
 * cleared in the child (pthread_atfork), so pw_watch_stop in the child
 * cannot wait for a thread the child does not have.
 * Only the forking thread is copied, and another thread may have been
 * half-way through a step at that moment: a handler between "mprotect RW"
 * and "set the bit", or a get/reset between "clear the bits" and
 * "mprotect RO".  The child would then hold a writable page whose bit is
 * clear, and lose its own writes to it.  Each watch therefore counts the
 * steps in progress on it (busy, counted in before the first and out after
 * the last change), and in the child every page of a watch whose count was
 * not zero is marked written: the child over-reports (pages it did not
 * write, for one get) and never under-reports.  The copy is consistent
 * for this: the child sees a prefix of each parent thread's stores, with
 * each mprotect either before the fork (done) or after it (not done,
 * mmap_lock orders the two), so a step half-done always shows its count.
 * The budget's counter is recounted from the charged bitmaps there too.
 *
 * Limits, by design of the mechanism:
 *  - The kernel does not fault on our behalf: a system call writing into a
 *    clean watched page (read() into the buffer, recvmsg, ...) fails with
 *    EFAULT, or returns a short count, and the page is not written.
 *    process_vm_writev from another process fails the same way.  Writes
 *    through /proc/PID/mem or ptrace, which force their way in, are not
 *    seen at all.
 *  - Only this mapping of the memory is protected: writes through another
 *    mapping of the same shmem/memfd pages (or by another process sharing
 *    them, a forked child included) are not seen.
 *  - The application must not mprotect pages of a watch itself.
 *  - The handler is installed by the first watch and never removed (a
 *    fault taken just before the last stop must still find it).  An
 *    application that installs its own SIGSEGV handler afterwards must
 *    chain to the one it replaced, as for any library.
 *  - A range spanning executable and non-executable mappings is refused
 *    with -EINVAL: one protection could not restore both.
 *  - Stacks, alternate signal stacks and TLS: the calling thread's are
 *    refused, every other thread's are the application's to keep out of
 *    a watch (see "The handler's own memory").
 *  - At most MP_SLOTS watches at once (-ENOSPC beyond).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 35))
#include <sys/rseq.h>
#define HAVE_RSEQ_OFFSET 1
#endif

#include "internal.h"

#define MP_SLOTS	256
#define WBITS		(8 * sizeof(unsigned long))
/* Mappings kept spare below the limit: the whole-watch fallback may split
 * a read-only neighbour it had merged with, and the budget is an estimate. */
#define MAP_RESERVE	8
#define DEFAULT_MAX_MAP_COUNT 65530

/* The handler may only use atomics that are plain instructions. */
_Static_assert(ATOMIC_LONG_LOCK_FREE == 2, "atomic long must be lock-free");
_Static_assert(ATOMIC_POINTER_LOCK_FREE == 2, "atomic pointers must be lock-free");
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "atomic int must be lock-free");
_Static_assert(ATOMIC_BOOL_LOCK_FREE == 2, "atomic bool must be lock-free");

struct mp_watch {
	uint64_t start, end;		/* immutable once published */
	size_t npages, nwords;
	size_t map_len;			/* this struct's own mapping */
	int prot_ro, prot_rw;
	unsigned int slot;
	bool zombie;			/* could not be made writable at stop */
	atomic_bool overflow;		/* fell back to whole-watch: -ENOMEM once */
	atomic_uint busy;		/* steps in progress that a fork can cut */
	_Atomic unsigned long *dirty;	/* written since last made clean */
	_Atomic unsigned long *charged;	/* un-protect counted in the budget */
	_Atomic unsigned long bits[];	/* dirty, then charged */
};

struct mp_slot {
	/* A hint for the handler's search, written before watch. */
	_Alignas(64) _Atomic uintptr_t start;
	_Atomic uintptr_t end;
	_Atomic(struct mp_watch *) watch;	/* NULL: free */
	atomic_uint users;			/* handlers looking at watch */
};

/* Everything the handler writes, in a mapping of its own (see the top). */
struct mp_global {
	struct mp_slot slots[MP_SLOTS];
	atomic_uint nslots;		/* slots ever used: the handler's bound */
	atomic_bool prev_spent;		/* a SA_RESETHAND prev has run once */
	atomic_bool any_stopped;
	/* The budget, in pages: un-protected pages that may be charged at once. */
	atomic_long charged_pages, allowed_pages;
	atomic_long map_limit;
};

/* Set once, before the handler is installed; only read after that. */
static struct mp_global *g;
static bool installed;			/* under watch.c's registry lock */
static bool atfork_registered;		/* likewise */
static struct sigaction prev;		/* written once, before installing */

/* ---- the backend's memory: never malloc'ed ---- */

static size_t state_len(size_t bytes)
{
	return (size_t)pw_align_up(bytes, PW_PAGE_SIZE);
}

/* Zeroed pages of our own.  Named where the kernel can (5.17+), so that
 * /proc/PID/maps shows whose they are; a failure there is no matter. */
static void *state_alloc(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
#ifdef PR_SET_VMA
	prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)p, len,
	      (unsigned long)"pagewatch");
#endif
	return p;
}

/* ---- bitmaps ---- */

/* The bits of word wi that lie in the page range [a, b). */
static unsigned long range_mask(size_t wi, size_t a, size_t b)
{
	size_t lo = wi * WBITS, hi = lo + WBITS;
	unsigned long m = ~0UL;

	if (a > lo)
		m &= ~0UL << (a - lo);
	if (b < hi)
		m &= ~0UL >> (hi - b);
	return m;
}

/* Set or clear pages [a, b) of map; returns how many bits changed. */
static size_t bits_update(_Atomic unsigned long *map, size_t a, size_t b, bool set)
{
	size_t wi, n = 0;
	unsigned long m, old;

	if (a >= b)
		return 0;
	for (wi = a / WBITS; wi <= (b - 1) / WBITS; wi++) {
		m = range_mask(wi, a, b);
		if (set) {
			old = atomic_fetch_or(&map[wi], m);
			n += (size_t)__builtin_popcountl(m & ~old);
		} else {
			old = atomic_fetch_and(&map[wi], ~m);
			n += (size_t)__builtin_popcountl(m & old);
		}
	}
	return n;
}

/* The lowest max set bits of bits. */
static unsigned long lowest(unsigned long bits, size_t max)
{
	unsigned long got = 0;

	for (; bits && max; max--) {
		got |= bits & -bits;
		bits &= bits - 1;
	}
	return got;
}

/* Clear and return the lowest max bits of *word inside mask, as one
 * atomic step: exactly the bits returned are the bits cleared. */
static unsigned long take(_Atomic unsigned long *word, unsigned long mask, size_t max)
{
	unsigned long cur = atomic_load(word), got;

	do {
		got = lowest(cur & mask, max);
	} while (got && !atomic_compare_exchange_weak(word, &cur, cur & ~got));
	return got;
}

static void *page_addr(const struct mp_watch *m, size_t i)
{
	return (void *)(uintptr_t)(m->start + i * PW_PAGE_SIZE);
}

static size_t page_index(const struct mp_watch *m, uint64_t addr)
{
	return (size_t)((addr - m->start) / PW_PAGE_SIZE);
}

/* ---- the budget ---- */

static bool charge(void)
{
	if (atomic_fetch_add(&g->charged_pages, 1) < atomic_load(&g->allowed_pages))
		return true;
	atomic_fetch_sub(&g->charged_pages, 1);
	return false;
}

static void uncharge(size_t pages)
{
	atomic_fetch_sub(&g->charged_pages, (long)pages);
}

/* maps mappings exist now, extra more may come from a protection about to
 * be made: every page already charged stays allowed, and two mappings per
 * page of what is left below the limit. */
static void set_budget(long maps, long extra)
{
	long spare = atomic_load(&g->map_limit) - maps - extra - MAP_RESERVE;

	atomic_store(&g->allowed_pages, atomic_load(&g->charged_pages) + spare / 2);
}

/* ---- the signal handler ---- */

/* The budget is spent or an un-protect failed: let every write to the
 * watch through at once and mark every page written.  One mprotect over
 * the whole watch merges its mappings instead of splitting them.  False
 * when even that failed: the write cannot be done. */
static bool overflow(struct mp_watch *m)
{
	if (mprotect(page_addr(m, 0), m->end - m->start, m->prot_rw))
		return false;
	bits_update(m->dirty, 0, m->npages, true);
	uncharge(bits_update(m->charged, 0, m->npages, false));
	atomic_store(&m->overflow, true);
	return true;
}

/* A write fault on page i of m: un-protect, then mark (see the top). */
static bool unprotect_and_mark(struct mp_watch *m, size_t i)
{
	unsigned long bit = 1UL << (i % WBITS);
	size_t wi = i / WBITS;

	if (!charge())
		return overflow(m);
	if (mprotect(page_addr(m, i), PW_PAGE_SIZE, m->prot_rw)) {
		uncharge(1);
		/* The kernel's limit is nearer than the estimate: stop
		 * splitting until get or reset measures again. */
		atomic_store(&g->allowed_pages, atomic_load(&g->charged_pages));
		return overflow(m);
	}
	if (atomic_fetch_or(&m->charged[wi], bit) & bit)
		uncharge(1);	/* another thread's charge covers the page */
	atomic_fetch_or(&m->dirty[wi], bit);
	return true;
}

/* Counted in busy for the whole step: a fork in the middle of it makes
 * the child's copy of m all written (see fork() at the top). */
static bool resolve(struct mp_watch *m, size_t i)
{
	bool ok;

	atomic_fetch_add(&m->busy, 1);
	ok = unprotect_and_mark(m, i);
	atomic_fetch_sub(&m->busy, 1);
	return ok;
}

/* 1: addr is in a watch and may now be written; 0: it is in a watch that
 * could not be made writable; -1: it is in no watch. */
static int resolve_in_slots(uintptr_t addr)
{
	unsigned int i, n = atomic_load(&g->nslots);
	struct mp_watch *m;
	int r;

	for (i = 0; i < n; i++) {
		struct mp_slot *s = &g->slots[i];

		if (addr < atomic_load(&s->start) || addr >= atomic_load(&s->end))
			continue;
		r = -1;
		atomic_fetch_add(&s->users, 1);
		m = atomic_load(&s->watch);
		if (m && addr >= m->start && addr < m->end)
			r = resolve(m, page_index(m, addr)) ? 1 : 0;
		atomic_fetch_sub(&s->users, 1);
		if (r >= 0)
			return r;
	}
	return -1;
}

/* Whether addr may be written now.  A fault taken just before a watch was
 * stopped can reach the handler after the slot is gone; the page is then
 * writable again and the write only has to be retried.  FUTEX_WAKE_OP
 * adds 0 to the word at addr atomically (its value does not change, even
 * against concurrent writers) and fails with EFAULT exactly when the
 * kernel would refuse a write there. */
static bool writable_now(uintptr_t addr)
{
	static uint32_t unused;

	return syscall(SYS_futex, &unused, FUTEX_WAKE_OP_PRIVATE, 0, 0UL,
		       (uint32_t *)(addr & ~(uintptr_t)3),
		       FUTEX_OP(FUTEX_OP_ADD, 0, FUTEX_OP_CMP_EQ, 0)) >= 0;
}

static bool write_fault(const void *uc)
{
#if defined(__x86_64__) || defined(__i386__)
	/* The page-fault error code: bit 1 is set for a write. */
	return ((const ucontext_t *)uc)->uc_mcontext.gregs[REG_ERR] & 2;
#else
	(void)uc;
	return true;	/* watched pages are readable: only writes fault */
#endif
}

static bool ours(const siginfo_t *si, const void *uc)
{
	uintptr_t addr = (uintptr_t)si->si_addr;
	int r;

	if (si->si_code != SEGV_ACCERR || !write_fault(uc))
		return false;
	r = resolve_in_slots(addr);
	if (r >= 0)
		return r;
	/* Retrying a write that has become possible is what would have
	 * happened had the fault come a moment later, so it is safe even
	 * when the page is not one of ours. */
	return atomic_load(&g->any_stopped) && writable_now(addr);
}

/* Without pagewatch, a fault with SIGSEGV at SIG_DFL or SIG_IGN kills the
 * process (the kernel resets an ignored fault signal to the default), and
 * a SIGSEGV sent by a process is ignored or kills.  Restore the default;
 * a fault then kills when the instruction re-executes, with the same
 * signal and a core dump; a sent signal is sent again. */
static void act_by_default(int sig, const siginfo_t *si, bool ignored)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };

	if (si->si_code <= 0 && ignored)
		return;
	sigaction(sig, &dfl, NULL);
	if (si->si_code <= 0)
		raise(sig);
}

/* Call the handler installed before ours as the kernel would have: with
 * its own mask added, and the signal blocked unless it asked otherwise. */
static void chain(int sig, siginfo_t *si, void *uc)
{
	void (*h)(int) = prev.sa_handler;
	sigset_t mask;

	if (prev.sa_flags & SA_RESETHAND && atomic_exchange(&g->prev_spent, true))
		h = SIG_DFL;
	if (h == SIG_DFL || h == SIG_IGN) {
		act_by_default(sig, si, h == SIG_IGN);
		return;
	}
	mask = ((ucontext_t *)uc)->uc_sigmask;
	sigorset(&mask, &mask, &prev.sa_mask);
	if (!(prev.sa_flags & SA_NODEFER))
		sigaddset(&mask, sig);
	pthread_sigmask(SIG_SETMASK, &mask, NULL);
	if (prev.sa_flags & SA_SIGINFO)
		prev.sa_sigaction(sig, si, uc);
	else
		h(sig);
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	int saved_errno = errno;

	if (!ours(si, uc))
		chain(sig, si, uc);
	errno = saved_errno;
}

/* Every page of [0, npages) of map set, a word at a time. */
static void bits_fill(_Atomic unsigned long *map, size_t npages)
{
	size_t wi, nwords = (npages + WBITS - 1) / WBITS;

	for (wi = 0; wi < nwords; wi++)
		atomic_fetch_or(&map[wi], range_mask(wi, 0, npages));
}

static long bits_count(_Atomic unsigned long *map, size_t nwords)
{
	long n = 0;
	size_t wi;

	for (wi = 0; wi < nwords; wi++)
		n += __builtin_popcountl(atomic_load(&map[wi]));
	return n;
}

/*
 * Only the forking thread exists in the child: the users counted by the
 * others can never leave, and stop() must not wait for them.  A watch
 * another thread was changing at the fork may hold a writable page whose
 * bit is clear: all of its pages become written (over-report, never
 * under-report).  The charges held are what the charged bitmaps say: a
 * charge taken by a handler cut short is given back.
 */
static void after_fork_child(void)
{
	struct mp_watch *m;
	long charged = 0;
	unsigned int i;

	if (!g)
		return;
	for (i = 0; i < MP_SLOTS; i++) {
		atomic_store(&g->slots[i].users, 0);
		m = atomic_load(&g->slots[i].watch);
		if (!m)
			continue;
		if (atomic_exchange(&m->busy, 0))
			bits_fill(m->dirty, m->npages);
		charged += bits_count(m->charged, m->nwords);
	}
	atomic_store(&g->charged_pages, charged);
}

/* Once, by the first watch; called under watch.c's registry lock. */
static int install_handler(void)
{
	struct sigaction sa;
	int r;

	if (installed)
		return 0;
	if (!g) {
		g = state_alloc(state_len(sizeof(*g)));
		if (!g)
			return -ENOMEM;
	}
	if (!atfork_registered) {
		r = pthread_atfork(NULL, NULL, after_fork_child);
		if (r)
			return -r;
		atfork_registered = true;
	}
	if (sigaction(SIGSEGV, NULL, &prev))
		return -errno;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	/* Run where the previous handler ran (its alternate stack), and
	 * block everything while a slot is in use; chain() gives the
	 * previous handler the mask it asked for. */
	sa.sa_flags = SA_SIGINFO | (prev.sa_flags & (SA_ONSTACK | SA_RESTART));
	sigfillset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, NULL))
		return -errno;
	installed = true;
	return 0;
}

/* ---- watches ---- */

/* What /proc/self/maps says: how many mappings, whether those under
 * [start, end) are executable or a [stack], and which mapping holds the
 * address frame (0: none looked for). */
struct census {
	long maps;
	bool exec_any, exec_all;
	bool stack;
	uint64_t frame_start, frame_end;
};

static int take_census(uint64_t start, uint64_t end, uint64_t frame, struct census *c)
{
	struct pw_maps_reader mr;
	struct pw_vma v;
	int fd;
	int r;

	memset(c, 0, sizeof(*c));
	c->exec_all = true;
	fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = pw_maps_begin(&mr, fd);
	while (!r && (r = pw_maps_next(&mr, &v)) > 0) {
		r = 0;
		c->maps++;
		if (v.start < end && start < v.end) {
			c->exec_any |= v.perms[2] == 'x';
			c->exec_all &= v.perms[2] == 'x';
			/* "[stack]", and "[stack:TID]" before Linux 4.5 */
			c->stack |= !strncmp(v.path, "[stack", 6);
		}
		if (frame >= v.start && frame < v.end) {
			c->frame_start = v.start;
			c->frame_end = v.end;
		}
	}
	pw_maps_end(&mr);
	close(fd);
	return r;
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/*
 * Private anonymous memory never written has no anon_vma yet; every piece
 * a fault un-protects then gets its own on its first write, and pieces with
 * different anon_vmas never merge again: the process would gain mappings
 * with every reset until vm.max_map_count.  Populating one page of each
 * such mapping for writing before we protect it gives the whole mapping one
 * anon_vma (the contents stay as they are: zeros).  Before 5.14 there is no
 * MADV_POPULATE_WRITE and the mappings may grow as described.
 */
static void give_anon_vma(uint64_t start, uint64_t end)
{
	struct pw_maps_reader mr;
	struct pw_vma v;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (!pw_maps_begin(&mr, fd)) {
		while (pw_maps_next(&mr, &v) > 0) {
			uint64_t a = v.start > start ? v.start : start;

			if (v.start >= end)
				break;
			if (v.end > start && v.perms[3] == 'p' && !v.inode)
				madvise((void *)(uintptr_t)a, PW_PAGE_SIZE, MADV_POPULATE_WRITE);
		}
	}
	pw_maps_end(&mr);
	close(fd);
}

static long read_limit(void)
{
	char buf[32];
	long limit = DEFAULT_MAX_MAP_COUNT, v;
	const char *env = getenv("PAGEWATCH_MAX_MAP_COUNT");
	char *end;
	ssize_t n;
	int fd = open("/proc/sys/vm/max_map_count", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = '\0';
			v = strtol(buf, &end, 10);
			if (end != buf && v > 0)
				limit = v;
		}
	}
	/* The knob can only lower the limit: it simulates a small one. */
	if (env && *env) {
		v = strtol(env, &end, 10);
		if (!*end && v > 0 && v < limit)
			limit = v;
	}
	return limit;
}

/* Measure again after tracking fell back or a protection failed. */
static void remeasure(void)
{
	struct census c;

	if (!take_census(0, 0, 0, &c))
		set_budget(c.maps, 0);
}

/* -ENOMEM once after the watch fell back to whole-watch granularity. */
static int overflowed(struct mp_watch *m)
{
	if (!atomic_load(&m->overflow) || !atomic_exchange(&m->overflow, false))
		return 0;
	remeasure();
	return -ENOMEM;
}

/* Make m's range writable again and forget m once no handler uses it.
 * If the range cannot be made writable, m stays published as a zombie:
 * the handler keeps un-protecting its pages on demand, so writes still
 * work; the next start or stop of any mprotect watch tries again. */
static bool retire(struct mp_watch *m)
{
	struct mp_slot *s = &g->slots[m->slot];

	if (mprotect(page_addr(m, 0), m->end - m->start, m->prot_rw)) {
		m->zombie = true;
		return false;
	}
	/* Before the slot goes: a handler that then misses it must know a
	 * page may have become writable under it. */
	atomic_store(&g->any_stopped, true);
	atomic_store(&s->watch, NULL);
	atomic_store(&s->start, 0);
	atomic_store(&s->end, 0);
	while (atomic_load(&s->users))
		sched_yield();
	/* No handler can reach m any more: its memory may go. */
	uncharge(bits_update(m->charged, 0, m->npages, false));
	munmap(m, m->map_len);
	return true;
}

/* Retire what earlier stops could not; -EBUSY if one still overlaps. */
static int reap_zombies(uint64_t start, uint64_t end)
{
	unsigned int i, n = g ? atomic_load(&g->nslots) : 0;
	struct mp_watch *m;
	int r = 0;

	for (i = 0; i < n; i++) {
		m = atomic_load(&g->slots[i].watch);
		if (!m || !m->zombie || retire(m))
			continue;
		if (start < m->end && m->start < end)
			r = -EBUSY;
	}
	return r;
}

static int claim_slot(void)
{
	unsigned int i, n = atomic_load(&g->nslots);

	for (i = 0; i < n; i++)
		if (!atomic_load(&g->slots[i].watch))
			return (int)i;
	if (n == MP_SLOTS)
		return -ENOSPC;
	atomic_store(&g->nslots, n + 1);
	return (int)n;
}

static struct mp_watch *new_watch(const struct pw_watch *w, bool exec)
{
	size_t npages = (size_t)((w->end - w->start) / PW_PAGE_SIZE);
	size_t nwords = (npages + WBITS - 1) / WBITS;
	size_t len = state_len(sizeof(struct mp_watch) + 2 * nwords * sizeof(unsigned long));
	struct mp_watch *m = state_alloc(len);

	if (!m)
		return NULL;
	m->map_len = len;
	m->start = w->start;
	m->end = w->end;
	m->npages = npages;
	m->nwords = nwords;
	m->prot_ro = PROT_READ | (exec ? PROT_EXEC : 0);
	m->prot_rw = m->prot_ro | PROT_WRITE;
	m->dirty = m->bits;
	m->charged = m->bits + nwords;
	return m;
}

static bool overlaps(uint64_t start, uint64_t end, const void *p, size_t len)
{
	uint64_t a = (uintptr_t)p;

	return len && a < end && start < a + len;
}

/* Where the calling thread's stack is: pthread_getattr_np when it knows
 * (and agrees with where we run), else the mapping we run in. */
static void own_stack(uint64_t frame, const struct census *c, uint64_t *lo, uint64_t *hi)
{
	pthread_attr_t attr;
	size_t size = 0;
	void *addr = NULL;

	*lo = c->frame_start;
	*hi = c->frame_end;
	if (pthread_getattr_np(pthread_self(), &attr))
		return;
	if (!pthread_attr_getstack(&attr, &addr, &size) &&
	    frame >= (uintptr_t)addr && frame - (uintptr_t)addr < size) {
		*lo = (uintptr_t)addr;
		*hi = (uintptr_t)addr + size;
	}
	pthread_attr_destroy(&attr);
}

/* Where the kernel writes when it runs the handler in this thread (its
 * rseq area, glibc 2.35+), in [*p, *p + *len); *len 0 when unknown. */
static void own_rseq(const void **p, size_t *len)
{
	*p = NULL;
	*len = 0;
#if defined(HAVE_RSEQ_OFFSET) && defined(__has_builtin)
#if __has_builtin(__builtin_thread_pointer)
	if (__rseq_size) {
		*p = (const char *)__builtin_thread_pointer() + __rseq_offset;
		/* The kernel's struct rseq is 32 bytes, whatever glibc
		 * says it uses of it. */
		*len = __rseq_size < 32 ? 32 : __rseq_size;
	}
#endif
#endif
}

/*
 * -EINVAL when [start, end) holds memory the handler, or the kernel
 * delivering SIGSEGV to this thread, would write (see "The handler's own
 * memory" at the top): a write fault there could not be resolved.  Under
 * the registry lock, so the published watches stay put.
 */
static int refuse_handler_memory(uint64_t start, uint64_t end, uint64_t frame,
				 const struct census *c)
{
	unsigned int i, n;
	struct mp_watch *m;
	const void *rseq;
	uint64_t lo, hi;
	size_t rseq_len;
	stack_t ss;

	if (c->stack)
		return -EINVAL;
	own_stack(frame, c, &lo, &hi);
	if (lo < end && start < hi)
		return -EINVAL;
	/* The alternate signal stack: ours runs there when the handler we
	 * replaced asked for SA_ONSTACK, the application's own SA_ONSTACK
	 * handlers always do.  Only this thread's can be seen. */
	if (!sigaltstack(NULL, &ss) && !(ss.ss_flags & SS_DISABLE) &&
	    overlaps(start, end, ss.ss_sp, ss.ss_size))
		return -EINVAL;
	if (overlaps(start, end, &errno, sizeof(errno)))
		return -EINVAL;
	own_rseq(&rseq, &rseq_len);
	if (overlaps(start, end, rseq, rseq_len))
		return -EINVAL;
	if (!g)
		return 0;
	if (overlaps(start, end, g, state_len(sizeof(*g))))
		return -EINVAL;
	n = atomic_load(&g->nslots);
	for (i = 0; i < n; i++) {
		m = atomic_load(&g->slots[i].watch);
		if (m && overlaps(start, end, m, m->map_len))
			return -EINVAL;
	}
	return 0;
}

/* Publish, then protect: a write faulting on a page just protected must
 * find its watch. */
static int publish(struct mp_watch *m, int slot)
{
	struct mp_slot *s = &g->slots[slot];
	int r;

	m->slot = (unsigned int)slot;
	atomic_store(&s->start, (uintptr_t)m->start);
	atomic_store(&s->end, (uintptr_t)m->end);
	atomic_store(&s->watch, m);
	if (!mprotect(page_addr(m, 0), m->end - m->start, m->prot_ro))
		return 0;
	r = -errno;
	retire(m);
	return r;
}

static int mp_start(struct pw_watch *w)
{
	uint64_t frame = (uintptr_t)__builtin_frame_address(0);
	struct mp_watch *m;
	struct census c;
	long limit;
	int r, slot;

	r = reap_zombies(w->start, w->end);
	if (!r)
		r = take_census(w->start, w->end, frame, &c);
	if (!r)
		r = refuse_handler_memory(w->start, w->end, frame, &c);
	if (r)
		return r;
	if (c.exec_any && !c.exec_all)
		return -EINVAL;
	/* Protecting the range splits at most the two mappings at its ends. */
	limit = read_limit();
	if (c.maps + 2 > limit)
		return -ENOMEM;
	r = install_handler();
	if (r)
		return r;
	give_anon_vma(w->start, w->end);
	m = new_watch(w, c.exec_all);
	if (!m)
		return -ENOMEM;
	slot = claim_slot();
	if (slot < 0) {
		munmap(m, m->map_len);
		return slot;
	}
	atomic_store(&g->map_limit, limit);
	set_budget(c.maps, 2);
	r = publish(m, slot);
	if (r)
		return r;
	w->priv = m;
	return 0;
}

/* Refund the pages of [a, b), then protect them.  In this order a
 * handler racing with us can only leave a charge on a page that ends up
 * read-only (refunded when it is next protected), never a writable page
 * without one. */
static int protect(struct mp_watch *m, size_t a, size_t b)
{
	uncharge(bits_update(m->charged, a, b, false));
	if (mprotect(page_addr(m, a), (b - a) * PW_PAGE_SIZE, m->prot_ro))
		return -errno;
	return 0;
}

/* The bits were cleared: protect [a, b) again.  If that fails, set them
 * again so nothing written there is lost, and report it next time. */
static void protect_run(struct mp_watch *m, size_t a, size_t b)
{
	if (!protect(m, a, b))
		return;
	bits_update(m->dirty, a, b, true);
	atomic_store(&m->overflow, true);
}

/* One mprotect per run of adjacent pages (pages is ascending). */
static void protect_taken(struct mp_watch *m, void *const *pages, size_t n)
{
	size_t i = 0, j, a;

	while (i < n) {
		for (j = i + 1; j < n; j++)
			if ((uintptr_t)pages[j] != (uintptr_t)pages[j - 1] + PW_PAGE_SIZE)
				break;
		a = page_index(m, (uintptr_t)pages[i]);
		protect_run(m, a, a + (j - i));
		i = j;
	}
}

static size_t emit(const struct mp_watch *m, size_t wi, unsigned long bits,
		   void **pages, size_t n)
{
	while (bits) {
		pages[n++] = page_addr(m, wi * WBITS + (size_t)__builtin_ctzl(bits));
		bits &= bits - 1;
	}
	return n;
}

static int mp_get(struct pw_watch *w, uint64_t start, uint64_t end, bool reset,
		  void **pages, size_t *count)
{
	struct mp_watch *m = w->priv;
	size_t a = page_index(m, start), b = page_index(m, end);
	size_t wi, n = 0, max = *count;
	unsigned long mask, got;
	int r = overflowed(m);

	*count = 0;
	if (r)
		return r;
	if (reset)
		atomic_fetch_add(&m->busy, 1);
	for (wi = a / WBITS; wi <= (b - 1) / WBITS && n < max; wi++) {
		mask = range_mask(wi, a, b);
		if (reset)
			got = take(&m->dirty[wi], mask, max - n);
		else
			got = lowest(atomic_load(&m->dirty[wi]) & mask, max - n);
		n = emit(m, wi, got, pages, n);
	}
	if (reset) {
		protect_taken(m, pages, n);
		atomic_fetch_sub(&m->busy, 1);
	}
	*count = n;
	return 0;
}

static int mp_reset(struct pw_watch *w, uint64_t start, uint64_t end)
{
	struct mp_watch *m = w->priv;
	size_t a = page_index(m, start), b = page_index(m, end);
	int r = overflowed(m);

	if (r)
		return r;
	atomic_fetch_add(&m->busy, 1);
	bits_update(m->dirty, a, b, false);
	r = protect(m, a, b);
	if (r)	/* Some pages may still be writable: call them all written. */
		bits_update(m->dirty, a, b, true);
	atomic_fetch_sub(&m->busy, 1);
	if (r)
		remeasure();
	return r;
}

static void mp_stop(struct pw_watch *w)
{
	retire(w->priv);
	reap_zombies(0, 0);
}

const struct pw_watch_ops pw_watch_mprotect_ops = {
	.id = PW_BACKEND_MPROTECT,
	.start = mp_start,
	.get = mp_get,
	.reset = mp_reset,
	.stop = mp_stop,
};
