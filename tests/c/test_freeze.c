/* SPDX-License-Identifier: MIT */
/* Stopping a live process (acquire/freeze.c) on children of this test:
 * every thread held then let go; a thread in uninterruptible sleep (a vfork
 * parent) named within the deadline and never left stopped, even after it
 * wakes while this process lives on; threads that keep appearing reported;
 * a cancel and signals to the caller handled. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "acquire/freeze.h"
#include "acquire/proc.h"
#include "tap.h"

static int block_fd = -1; /* children block reading it */
static char fifo[64];

static void *reader(void *arg)
{
	char c;
	(void)arg;
	if (read(block_fd, &c, 1) < 0)
		_exit(3);
	return NULL;
}

/* A thread blocked in vfork(): its child opens the FIFO for reading, which
 * waits for a writer; the parent thread sits in uninterruptible sleep. */
static void *vforker(void *arg)
{
	(void)arg;
	pid_t p = vfork();
	if (p == 0) {
		int fd = open(fifo, O_RDONLY);
		(void)fd;
		_exit(0);
	}
	if (p > 0)
		waitpid(p, NULL, 0);
	return reader(NULL);
}

static void *sleeper(void *arg)
{
	(void)arg;
	sleep(3);
	return NULL;
}

/* Starts a short-lived thread every 200 us, up to 2,000. */
static void *spawner(void *arg)
{
	(void)arg;
	for (int i = 0; i < 2000; i++) {
		pthread_t t;
		pthread_attr_t a;
		pthread_attr_init(&a);
		pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&a, 64 * 1024);
		pthread_create(&t, &a, sleeper, NULL);
		pthread_attr_destroy(&a);
		usleep(200);
	}
	return reader(NULL);
}

enum kind { READERS, VFORK, SPAWNER };

/* A child process with 3 extra threads of the given kind; returns its pid
 * once they are all started. */
static pid_t start_child(enum kind kind, int *release_fd)
{
	int fds[2], ready[2];
	if (pipe(fds) < 0 || pipe(ready) < 0)
		abort();
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[1]);
		close(ready[0]);
		block_fd = fds[0];
		for (int i = 0; i < 3; i++) {
			pthread_t t;
			void *(*fn)(void *) = kind == VFORK && i == 1	  ? vforker
					      : kind == SPAWNER && i == 1 ? spawner
									  : reader;
			pthread_create(&t, NULL, fn, NULL);
		}
		if (write(ready[1], "R", 1) < 0)
			_exit(3);
		reader(NULL);
		_exit(0);
	}
	close(fds[0]);
	close(ready[1]);
	char c;
	if (read(ready[0], &c, 1) != 1)
		abort();
	close(ready[0]);
	*release_fd = fds[1];
	return pid;
}

static void end_child(pid_t pid, int release_fd)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(release_fd);
}

/* Threads of pid in a state among `states`; -1 when unreadable. */
static int count_states(pid_t pid, const char *states)
{
	pid_t *tids = NULL;
	size_t n = 0;
	if (pyx_proc_tasks(pid, &tids, &n, NULL) < 0)
		return -1;
	int k = 0;
	for (size_t i = 0; i < n; i++) {
		char st = pyx_proc_task_state(pid, tids[i]);
		k += st && strchr(states, st) != NULL;
	}
	free(tids);
	return k;
}

static int untraced(pid_t pid)
{
	pid_t *tids = NULL;
	size_t n = 0;
	int all = 1;
	if (pyx_proc_tasks(pid, &tids, &n, NULL) < 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char path[64], buf[4096];
		snprintf(path, sizeof path, "/proc/%d/task/%d/status", (int)pid, (int)tids[i]);
		int fd = open(path, O_RDONLY);
		ssize_t len = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
		if (fd >= 0)
			close(fd);
		if (len <= 0)
			continue;
		buf[len] = '\0';
		const char *t = strstr(buf, "TracerPid:");
		all &= t && atoi(t + 10) == 0;
	}
	free(tids);
	return all;
}

/* Until n threads of pid are in one of states (2 s at most). */
static int wait_states(pid_t pid, const char *states, int n)
{
	for (int i = 0; i < 2000; i++) {
		if (count_states(pid, states) == n)
			return 1;
		usleep(1000);
	}
	return 0;
}

static void test_every_thread_held(void)
{
	int rel;
	pid_t pid = start_child(READERS, &rel);
	ok(wait_states(pid, "S", 4), "child: 4 threads asleep");
	struct pyx_freeze fz;
	struct pyx_error err;
	is_int(pyx_freeze(pid, NULL, &fz, &err), 0, "freeze");
	is_int(fz.n, 4, "4 threads held");
	is_int(fz.nunstopped, 0, "none ran on");
	is_int(count_states(pid, "t"), 4, "all 4 in tracing stop");
	int fs = 1;
	for (size_t i = 0; i < fz.n; i++)
		fs &= fz.threads[i].fs_base != 0;
	ok(fs, "each thread's fs_base (its pthread_t) recorded");
	char msg[256];
	is_int(pyx_freeze_describe(&fz, msg, sizeof msg), 0, "nothing to describe");
	int64_t stopped = pyx_thaw(&fz);
	ok(stopped > 0 && stopped < 1000000, "stopped for %lld us", (long long)stopped);
	ok(wait_states(pid, "S", 4), "all 4 asleep again");
	ok(untraced(pid), "no thread traced after the thaw");
	is_int(pyx_thaw(&fz), 0, "a second thaw is harmless");
	end_child(pid, rel);
}

static void on_alarm(int sig)
{
	(void)sig;
}

static void test_uninterruptible_thread(void)
{
	snprintf(fifo, sizeof fifo, "/tmp/pyxray-test-fifo.%d", (int)getpid());
	unlink(fifo);
	if (mkfifo(fifo, 0600) < 0)
		abort();
	int rel;
	pid_t pid = start_child(VFORK, &rel);
	ok(wait_states(pid, "D", 1), "child: one thread in uninterruptible sleep (vfork)");
	pid_t dtid = 0;
	pid_t *tids = NULL;
	size_t n = 0;
	pyx_proc_tasks(pid, &tids, &n, NULL);
	for (size_t i = 0; i < n; i++)
		if (pyx_proc_task_state(pid, tids[i]) == 'D')
			dtid = tids[i];
	free(tids);

	/* Signals to the caller every millisecond: waits must not be cut short
	 * nor count them as tries. */
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = {{0, 1000}, {0, 1000}};
	setitimer(ITIMER_REAL, &it, NULL);

	struct pyx_freeze_opts opts = {.timeout_ms = 150};
	struct pyx_freeze fz;
	struct pyx_error err;
	int64_t t0 = pyx_now_us();
	int rc = pyx_freeze(pid, &opts, &fz, &err);
	int64_t took = pyx_now_us() - t0;
	struct itimerval off = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &off, NULL);
	is_int(rc, 0, "freeze succeeds with one thread that cannot stop");
	ok(took >= 140000 && took < 1000000, "gave up after the deadline (%lld us)",
	   (long long)took);
	is_int(fz.n, 3, "the 3 other threads held");
	is_int(fz.nunstopped, 1, "one thread ran on");
	if (fz.nunstopped == 1) {
		is_int(fz.unstopped[0].tid, dtid, "... the vfork parent");
		is_int(fz.unstopped[0].state, 'D', "... in disk-sleep");
		is_int(fz.unstopped[0].why, PYX_UNSTOPPED_TIMEOUT, "... by the deadline");
	}
	char msg[256];
	ok(pyx_freeze_describe(&fz, msg, sizeof msg) && strstr(msg, "disk-sleep") &&
	       strstr(msg, "did not stop within 150 ms"),
	   "described: %s", msg);
	pyx_thaw(&fz);
	ok(wait_states(pid, "S", 3), "the 3 others run again");

	/* Wake the vfork parent while this process (its tracer's process)
	 * lives on: its pending interrupt must be gone with the tracer thread. */
	int w = open(fifo, O_WRONLY);
	ok(w >= 0, "FIFO opened: the vfork child goes on");
	ok(wait_states(pid, "S", 4), "the woken thread sleeps, it did not stop");
	usleep(50000);
	is_int(count_states(pid, "tT"), 0, "no thread stopped 50 ms later");
	ok(untraced(pid), "no thread traced");
	if (w >= 0)
		close(w);
	end_child(pid, rel);
	unlink(fifo);
}

static void test_threads_keep_appearing(void)
{
	int rel;
	pid_t pid = start_child(SPAWNER, &rel);
	usleep(20000);
	struct pyx_freeze fz;
	struct pyx_error err;
	/* One listing, then a pause while the spawner adds threads. */
	struct pyx_freeze_opts one = {.max_rounds = 1};
	setenv("PYXRAY_TEST_PAUSE", "listed:30", 1);
	int rc = pyx_freeze(pid, &one, &fz, &err);
	unsetenv("PYXRAY_TEST_PAUSE");
	is_int(rc, 0, "freeze with one round");
	ok(fz.nunstopped > 0, "threads started meanwhile reported (%zu)", fz.nunstopped);
	int all_new = 1;
	for (size_t i = 0; i < fz.nunstopped; i++)
		all_new &= fz.unstopped[i].why == PYX_UNSTOPPED_NEW;
	ok(all_new, "... as new threads");
	char msg[256];
	ok(pyx_freeze_describe(&fz, msg, sizeof msg) && strstr(msg, "started while"),
	   "described: %s", msg);
	pyx_thaw(&fz);
	is_int(pyx_freeze(pid, NULL, &fz, &err), 0, "freeze with the default rounds");
	is_int(fz.nunstopped, 0, "every thread held: later rounds catch the new ones");
	pyx_thaw(&fz);
	ok(untraced(pid), "no thread traced");
	end_child(pid, rel);
}

static void test_cancel(void)
{
	int rel;
	pid_t pid = start_child(READERS, &rel);
	ok(wait_states(pid, "S", 4), "child: 4 threads asleep");
	volatile int cancel = 1;
	struct pyx_freeze_opts opts = {.cancel = &cancel};
	struct pyx_freeze fz;
	struct pyx_error err;
	pyx_error_clear(&err);
	setenv("PYXRAY_TEST_PAUSE", "interrupted:2000", 1);
	int64_t t0 = pyx_now_us();
	is_int(pyx_freeze(pid, &opts, &fz, &err), -PYX_E_INTERRUPTED, "a raised cancel: %s",
	       err.msg);
	unsetenv("PYXRAY_TEST_PAUSE");
	ok(pyx_now_us() - t0 < 500000, "the pause ended at once");
	ok(wait_states(pid, "S", 4), "every thread runs on");
	ok(untraced(pid), "no thread traced");
	is_int(pyx_freeze(getpid() + 1000000, NULL, &fz, &err), -PYX_E_NO_PROCESS, "no such pid");
	end_child(pid, rel);
}

struct kill_later {
	pid_t pid;
	int ms;
};

static void *kill_later(void *arg)
{
	struct kill_later *k = arg;
	usleep((useconds_t)k->ms * 1000);
	kill(k->pid, SIGKILL);
	return NULL;
}

/* The process dies between the listing of its threads and their seizing:
 * every seize fails, nothing is held, and the freeze says it exited. */
static void test_exits_during_stop(void)
{
	int rel;
	pid_t pid = start_child(READERS, &rel);
	ok(wait_states(pid, "S", 4), "child: 4 threads asleep");
	struct kill_later k = {pid, 20};
	pthread_t killer;
	pthread_create(&killer, NULL, kill_later, &k);
	setenv("PYXRAY_TEST_PAUSE", "listed:200", 1);
	struct pyx_freeze fz;
	struct pyx_error err;
	pyx_error_clear(&err);
	int rc = pyx_freeze(pid, NULL, &fz, &err);
	unsetenv("PYXRAY_TEST_PAUSE");
	pthread_join(killer, NULL);
	ok(rc == -PYX_E_EXITED || rc == -PYX_E_NO_PROCESS, "killed while listed: %s", err.msg);
	is_int(pyx_thaw(&fz), 0, "nothing held");
	waitpid(pid, NULL, 0);
	close(rel);
}

int main(void)
{
	test_every_thread_held();
	test_uninterruptible_thread();
	test_threads_keep_appearing();
	test_cancel();
	test_exits_during_stop();
	return tap_done();
}
