/* SPDX-License-Identifier: MIT */
/* The soft-dirty backend parks the process's other threads around its
 * read-and-clear (src/stop_world.c): parked threads really stop, a thread
 * that blocks the signal makes it fail cleanly (-EAGAIN, nobody left
 * parked), and the application's own handler for that signal still gets
 * the signals that are not pagewatch's. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "testlib.h"

static atomic_long ticks[2];
static atomic_int quit;
static atomic_int app_signals;

static void *spin(void *arg)
{
	atomic_long *t = arg;

	while (!atomic_load(&quit))
		atomic_fetch_add(t, 1);
	return NULL;
}

static void *spin_blocked(void *arg)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, PW_STOP_SIGNAL);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	return spin(arg);
}

static void app_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	atomic_fetch_add(&app_signals, 1);
}

static void nap(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&t, NULL);
}

int main(void)
{
	struct sigaction sa = { .sa_sigaction = app_handler, .sa_flags = SA_SIGINFO };
	pthread_t th[2];
	long a, b;
	int i;

	t_skip_under_sanitizer("thread", "its runtime's background thread blocks every "
			       "signal, so no stop can park it (-EAGAIN, as designed)");
	CHECK_EQ(sigaction(PW_STOP_SIGNAL, &sa, NULL), 0);
	for (i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, spin, &ticks[i]);
	nap(20);
	CHECK_EQ(pw_world_stop(), 0);
	a = atomic_load(&ticks[0]) + atomic_load(&ticks[1]);
	nap(50);
	b = atomic_load(&ticks[0]) + atomic_load(&ticks[1]);
	pw_world_resume();
	CHECK(a == b, "threads ran while stopped: %ld ticks", b - a);
	nap(20);
	CHECK(atomic_load(&ticks[0]) + atomic_load(&ticks[1]) > b, "threads resumed");

	/* Not ours: the application's handler gets it, nobody parks. */
	CHECK_EQ(kill(getpid(), PW_STOP_SIGNAL), 0);
	nap(20);
	CHECK_EQ(atomic_load(&app_signals), 1);

	atomic_store(&quit, 1);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);

	/* A thread that blocks the signal: -EAGAIN, and the others go on. */
	atomic_store(&quit, 0);
	pthread_create(&th[0], NULL, spin, &ticks[0]);
	pthread_create(&th[1], NULL, spin_blocked, &ticks[1]);
	nap(20);
	CHECK_EQ(pw_world_stop(), -EAGAIN);
	a = atomic_load(&ticks[0]);
	nap(50);
	CHECK(atomic_load(&ticks[0]) > a, "a thread stayed parked after -EAGAIN");
	atomic_store(&quit, 1);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	CHECK_EQ(atomic_load(&app_signals), 1);
	t_done();
}
