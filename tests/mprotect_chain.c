/* SPDX-License-Identifier: MIT */
/*
 * The mprotect backend's SIGSEGV handler chains the handler installed
 * before it, and a fault outside every watch does what it would do without
 * pagewatch:
 *  - a SA_SIGINFO handler gets the faults outside watches, with si_addr,
 *    si_code, a context and its own sa_mask; watched faults never reach it;
 *  - a plain handler is called with the signal number;
 *  - with SIG_DFL a fault kills with SIGSEGV (also after every watch was
 *    stopped, and for an unmapped address); a SIGSEGV sent by kill() kills;
 *  - with SIG_IGN a fault still kills (the kernel's rule), kill() is ignored;
 *  - a SA_RESETHAND handler runs once, then the default kills.
 * Each disposition is tested in a child forked before this process starts
 * a watch, so that the child's pagewatch sees the child's disposition.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define N 8

static char *m;			/* watched */
static char *own;		/* the application's own read-only pages */
static volatile sig_atomic_t calls, last_sig, last_code, had_context;
static volatile sig_atomic_t usr1_blocked, segv_blocked;
static void *volatile last_addr;

/* A store the compiler keeps in place, before the checks that follow. */
static void poke(char *p, char v)
{
	*(volatile char *)p = v;
}

static void app_siginfo(int sig, siginfo_t *si, void *uc)
{
	sigset_t now;

	calls++;
	last_sig = sig;
	last_code = si->si_code;
	last_addr = si->si_addr;
	had_context = uc != NULL;
	pthread_sigmask(SIG_BLOCK, NULL, &now);
	usr1_blocked = sigismember(&now, SIGUSR1) == 1;
	segv_blocked = sigismember(&now, SIGSEGV) == 1;
	if ((char *)si->si_addr < own || (char *)si->si_addr >= own + 2 * PAGE)
		_exit(99);	/* a fault this handler does not own: give up */
	mprotect(own, 2 * PAGE, PROT_READ | PROT_WRITE);
}

static void app_plain(int sig)
{
	calls++;
	last_sig = sig;
	mprotect(own, PAGE, PROT_READ | PROT_WRITE);
}

static struct pw_watch *watch_or_exit(void)
{
	struct pw_watch *w;

	if (pw_watch_start(&w, m, N * PAGE, PW_BACKEND_MPROTECT))
		_exit(10);
	return w;
}

/* A watched write in the child works and is seen; exits otherwise. */
static void watched_write(struct pw_watch *w)
{
	void *pages[N];
	size_t n = N;

	poke(&m[3 * PAGE], 5);
	if (pw_watch_get(w, m, N * PAGE, 0, pages, &n) || n != 1 || pages[0] != m + 3 * PAGE)
		_exit(11);
}

static void set_disposition(void (*h)(int), int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = h;
	sa.sa_flags = flags;
	sigaction(SIGSEGV, &sa, NULL);
}

/* Run fn in a child with no core dumps; its wait status. */
static int in_child(void (*fn)(void))
{
	struct rlimit no_core = { 0, 0 };
	int status = -1;
	pid_t pid = fork();

	if (pid == 0) {
		setrlimit(RLIMIT_CORE, &no_core);
		alarm(20);
		fn();
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

static bool killed_by_segv(int status)
{
	return status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV;
}

static void plain_handler(void)
{
	set_disposition(app_plain, 0);
	watched_write(watch_or_exit());
	if (calls)
		_exit(12);		/* a watched fault reached it */
	poke(&own[7], 1);
	if (calls != 1 || last_sig != SIGSEGV || own[7] != 1)
		_exit(13);
}

static void default_fault(void)
{
	set_disposition(SIG_DFL, 0);
	watched_write(watch_or_exit());
	poke(&own[0], 1);
}

static void default_after_stop(void)
{
	set_disposition(SIG_DFL, 0);
	pw_watch_stop(watch_or_exit());
	poke(&m[0], 1);	/* writable again */
	poke(&own[0], 1);
}

static void default_unmapped(void)
{
	char *hole = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	set_disposition(SIG_DFL, 0);
	watched_write(watch_or_exit());
	munmap(hole, PAGE);
	poke(hole, 1);
}

static void default_kill(void)
{
	set_disposition(SIG_DFL, 0);
	watched_write(watch_or_exit());
	kill(getpid(), SIGSEGV);
	_exit(14);
}

static void ignored_fault(void)
{
	set_disposition(SIG_IGN, 0);
	watched_write(watch_or_exit());
	kill(getpid(), SIGSEGV);	/* ignored, as without pagewatch */
	poke(&m[6 * PAGE], 1);
	poke(&own[0], 1);	/* a fault kills even when ignored */
}

static void resethand(void)
{
	set_disposition(app_plain, SA_RESETHAND);
	watched_write(watch_or_exit());
	poke(&own[0], 1);	/* the handler, once */
	if (calls != 1)
		_exit(15);
	poke(&own[PAGE], 1);	/* then the default */
}

static void children(void)
{
	int st;

	st = in_child(plain_handler);
	CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "plain handler: status %#x", st);
	st = in_child(default_fault);
	CHECK(killed_by_segv(st), "SIG_DFL, fault outside watches: status %#x", st);
	st = in_child(default_after_stop);
	CHECK(killed_by_segv(st), "SIG_DFL, fault after stop: status %#x", st);
	st = in_child(default_unmapped);
	CHECK(killed_by_segv(st), "SIG_DFL, unmapped address: status %#x", st);
	st = in_child(default_kill);
	CHECK(killed_by_segv(st), "SIG_DFL, kill(): status %#x", st);
	st = in_child(ignored_fault);
	CHECK(killed_by_segv(st), "SIG_IGN, fault: status %#x", st);
	st = in_child(resethand);
	CHECK(killed_by_segv(st), "SA_RESETHAND, second fault: status %#x", st);
}

/* In this process: an application SA_SIGINFO handler, then a watch. */
static void siginfo_handler(void)
{
	struct sigaction sa;
	struct pw_watch *w;
	void *pages[N];
	size_t n = N;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = app_siginfo;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR1);
	CHECK_EQ(sigaction(SIGSEGV, &sa, NULL), 0);
	CHECK_EQ(pw_watch_start(&w, m, N * PAGE, PW_BACKEND_MPROTECT), 0);

	poke(&m[2 * PAGE + 1], 1);
	poke(&m[5 * PAGE], 2);
	CHECK_EQ(calls, 0);
	CHECK_EQ(pw_watch_get(w, m, N * PAGE, PW_WATCH_RESET, pages, &n), 0);
	CHECK(n == 2 && pages[0] == m + 2 * PAGE && pages[1] == m + 5 * PAGE,
	      "watched writes: %zu pages", n);

	poke(&own[PAGE + 9], 3);
	CHECK_EQ(calls, 1);
	CHECK_EQ(last_sig, SIGSEGV);
	CHECK_EQ(last_code, SEGV_ACCERR);
	CHECK(last_addr == own + PAGE + 9, "si_addr %p, expected %p", last_addr,
	      (void *)(own + PAGE + 9));
	CHECK(had_context, "no ucontext");
	CHECK(usr1_blocked, "the handler's sa_mask was not applied");
	CHECK(segv_blocked, "SIGSEGV not blocked in its handler");
	CHECK_EQ(own[PAGE + 9], 3);

	/* More watched writes after the chained one: still ours. */
	poke(&m[7 * PAGE], 4);
	CHECK_EQ(calls, 1);
	n = N;
	CHECK_EQ(pw_watch_get(w, m, N * PAGE, 0, pages, &n), 0);
	CHECK(n == 1 && pages[0] == m + 7 * PAGE, "after chaining: %zu pages", n);

	/* With every watch stopped the application's handler still works. */
	pw_watch_stop(w);
	mprotect(own, 2 * PAGE, PROT_READ);
	poke(&own[3], 5);
	CHECK_EQ(calls, 2);
	CHECK(last_addr == own + 3, "after stop: si_addr %p", last_addr);
	poke(&m[0], 6);
	CHECK_EQ(calls, 2);
}

int main(void)
{
	m = t_map(N);
	own = mmap(NULL, 2 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (own == MAP_FAILED)
		t_skip("mmap failed");
	children();
	siginfo_handler();
	t_done();
}
