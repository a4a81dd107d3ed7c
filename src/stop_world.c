/* SPDX-License-Identifier: MIT */
/*
 * Stopping this process's other threads for a moment.
 *
 * Soft-dirty's reset (clear_refs) is process-wide and not atomic with our
 * reading of the bits: a write landing between the read and the clear would
 * be lost.  Garbage collectors solve this by parking every other thread in
 * a signal handler; so do we.  While the world is stopped the caller must
 * not take locks another thread may hold (no malloc, no stdio): everything
 * here uses raw system calls and preallocated memory.
 *
 * A thread that blocks PW_STOP_SIGNAL cannot be stopped; after a timeout
 * the attempt is abandoned and -EAGAIN returned, having changed nothing.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define MAX_TIDS	4096
#define TIMEOUT_NS	2000000000LL

static atomic_int stopping;		/* a stop is in progress */
static atomic_uint generation;		/* bumped to release parked threads */
static atomic_int parked;		/* threads inside the handler */
static pid_t signalled[MAX_TIDS];
static int nsignalled;
static bool installed;
static struct sigaction previous;	/* the application's, if it had one */

/* The signal is the application's, not ours: give it what it installed. */
static void chain(int sig, siginfo_t *si, void *uc)
{
	if (previous.sa_flags & SA_SIGINFO) {
		if (previous.sa_sigaction)
			previous.sa_sigaction(sig, si, uc);
		return;
	}
	if (previous.sa_handler == SIG_IGN)
		return;
	if (previous.sa_handler == SIG_DFL) {
		/* Its default (terminate) is what would have happened. */
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	previous.sa_handler(sig);
}

static void park(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;
	unsigned g = atomic_load(&generation);

	/* Ours come by tgkill from this process; a late one, after the stop
	 * ended, is simply dropped. */
	if (si->si_code != SI_TKILL || si->si_pid != getpid()) {
		chain(sig, si, uc);
		errno = saved;
		return;
	}
	/* Read the generation first: a stop that ends after that read is
	 * seen either as not stopping or as a changed generation. */
	if (!atomic_load(&stopping)) {
		errno = saved;
		return;
	}
	atomic_fetch_add(&parked, 1);
	while (atomic_load(&generation) == g)
		syscall(SYS_futex, &generation, FUTEX_WAIT_PRIVATE, g, NULL, NULL, 0);
	atomic_fetch_sub(&parked, 1);
	errno = saved;
}

static int install(void)
{
	struct sigaction sa;

	if (installed)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = park;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigfillset(&sa.sa_mask);
	if (sigaction(PW_STOP_SIGNAL, &sa, &previous))
		return -errno;
	installed = true;
	return 0;
}

/* pagewatch's own threads (the uffd-sync handlers) are never parked: they
 * touch only their own state, and a parked one could leave the stopping
 * thread waiting on a write fault it alone can resolve. */
#define MAX_EXEMPT 256
static _Atomic pid_t exempt[MAX_EXEMPT];
static pthread_once_t exempt_once = PTHREAD_ONCE_INIT;

/* A child of fork() has none of its parent's threads, ours included; a
 * stale entry could even name one of its own threads later. */
static void exempt_child(void)
{
	int i;

	for (i = 0; i < MAX_EXEMPT; i++)
		atomic_store(&exempt[i], 0);
}

static void exempt_atfork(void)
{
	pthread_atfork(NULL, NULL, exempt_child);
}

int pw_world_exempt_self(void)
{
	pid_t self = (pid_t)syscall(SYS_gettid), none;
	int i;

	pthread_once(&exempt_once, exempt_atfork);
	for (i = 0; i < MAX_EXEMPT; i++) {
		none = 0;
		if (atomic_compare_exchange_strong(&exempt[i], &none, self))
			return 0;
	}
	return -ENOSPC;
}

void pw_world_unexempt_self(void)
{
	pid_t self = (pid_t)syscall(SYS_gettid);
	int i;

	for (i = 0; i < MAX_EXEMPT; i++) {
		pid_t t = self;

		if (atomic_compare_exchange_strong(&exempt[i], &t, 0))
			return;
	}
}

int pw_world_own_threads(void)
{
	pid_t pid = getpid(), t;
	int i, n = 0;

	for (i = 0; i < MAX_EXEMPT; i++) {
		t = atomic_load(&exempt[i]);
		if (t && !syscall(SYS_tgkill, pid, t, 0))
			n++;
	}
	return n;
}

static bool already(pid_t tid)
{
	int i;

	for (i = 0; i < nsignalled; i++)
		if (signalled[i] == tid)
			return true;
	for (i = 0; i < MAX_EXEMPT; i++)
		if (atomic_load(&exempt[i]) == tid)
			return true;
	return false;
}

/* Signal every thread not yet signalled; the number newly signalled. */
static int signal_new_threads(int task_fd, pid_t self, pid_t pid)
{
	char buf[4096];
	int sent = 0;
	long n;

	if (lseek(task_fd, 0, SEEK_SET) < 0)
		return -errno;
	while ((n = syscall(SYS_getdents64, task_fd, buf, sizeof(buf))) > 0) {
		long off = 0;

		while (off < n) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			pid_t tid = (pid_t)atoi(d->d_name);

			off += d->d_reclen;
			if (tid <= 0 || tid == self || already(tid))
				continue;
			if (nsignalled == MAX_TIDS)
				return -EAGAIN;
			if (syscall(SYS_tgkill, pid, tid, PW_STOP_SIGNAL) == 0) {
				signalled[nsignalled++] = tid;
				sent++;
			}
		}
	}
	return n < 0 ? -errno : sent;
}

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* A signalled thread that exits never parks: count only live ones. */
static int live_signalled(pid_t pid)
{
	int i, live = 0;

	for (i = 0; i < nsignalled; i++)
		if (syscall(SYS_tgkill, pid, signalled[i], 0) == 0)
			live++;
	return live;
}

static int wait_parked(pid_t pid)
{
	long long deadline = now_ns() + TIMEOUT_NS;

	while (atomic_load(&parked) < live_signalled(pid)) {
		if (now_ns() > deadline)
			return -EAGAIN;
		sched_yield();
	}
	return 0;
}

int pw_world_stop(void)
{
	pid_t self = (pid_t)syscall(SYS_gettid), pid = getpid();
	int task_fd, r, sent;

	r = install();
	if (r)
		return r;
	task_fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (task_fd < 0)
		return -errno;
	nsignalled = 0;
	atomic_store(&stopping, 1);
	/* Threads created by threads we had not stopped yet: go round until
	 * a listing finds no one new. */
	do {
		sent = signal_new_threads(task_fd, self, pid);
		r = sent < 0 ? sent : wait_parked(pid);
	} while (!r && sent > 0);
	close(task_fd);
	if (r)
		pw_world_resume();
	return r;
}

void pw_world_resume(void)
{
	atomic_store(&stopping, 0);
	atomic_fetch_add(&generation, 1);
	syscall(SYS_futex, &generation, FUTEX_WAKE_PRIVATE, 0x7fffffff, NULL, NULL, 0);
	while (atomic_load(&parked) > 0)
		sched_yield();
}
