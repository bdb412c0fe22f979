/* SPDX-License-Identifier: MIT */
/* A C library for native_target.py (loaded with ctypes; built by the tests
 * with debug information): a call that blocks in sem_wait two C frames
 * down, a call back into Python, a thread started in C that never runs
 * Python, and a NULL dereference. Lines tagged "LINE:<tag>" are where the
 * tests expect each frame to be. noinline and -O0 keep every function a
 * frame of its own.
 * Build: cc -shared -fPIC -g -O0 -pthread -o libnative.so native_lib.c */
#define _GNU_SOURCE /* pthread_setname_np */
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

NOINLINE static void wait_here(sem_t *s)
{
	while (sem_wait(s) != 0) /* LINE:wait_here */
		;
}

NOINLINE void block_in_c(sem_t *s)
{
	wait_here(s); /* LINE:block_in_c */
}

typedef void (*callback_fn)(void);

NOINLINE void call_python(callback_fn fn)
{
	fn(); /* LINE:call_python */
}

static sem_t c_thread_sem;
static volatile int c_thread_tid;

NOINLINE static void c_thread_park(void)
{
	c_thread_tid = (int)syscall(SYS_gettid);
	sem_wait(&c_thread_sem); /* LINE:c_thread_park */
}

NOINLINE static void *c_thread_main(void *arg)
{
	(void)arg;
	c_thread_park(); /* LINE:c_thread_main */
	return NULL;
}

/* Starts a thread that runs only C; returns its native id once it runs. */
int start_c_thread(void)
{
	pthread_t t;
	sem_init(&c_thread_sem, 0, 0);
	if (pthread_create(&t, NULL, c_thread_main, NULL) != 0)
		return -1;
	pthread_setname_np(t, "c-pool");
	while (!c_thread_tid)
		usleep(1000);
	return c_thread_tid;
}

NOINLINE static int crash_here(volatile int *p)
{
	return *p; /* LINE:crash_here */
}

NOINLINE int crash_in_c(void)
{
	return crash_here(NULL) + 1; /* LINE:crash_in_c */
}
