/*++
/* NAME
/*	mfa_worker 3
/* SUMMARY
/*	one worker thread that decides MFA logins off Dovecot's event loop
/* DESCRIPTION
/*	See mfa_worker.h. Why a thread and not Dovecot's auth workers
/*	(passdb "blocking = yes"): those are separate processes fed over a
/*	socket with the whole passdb chain re-run there, and each would keep
/*	its own LMDB environment and Redis connection; one thread in the
/*	auth process keeps the single kept environment and its periodic
/*	flush (docs/mfa.md "Threads").
/*
/*	The queue and the done list are guarded by one mutex; the store is
/*	not (only the worker thread uses it while it runs: jobs run one at a
/*	time, and the owner touches the store only after mfa_worker_stop()
/*	joined the thread). A finished job goes on the done list, then one
/*	byte goes into the pipe: the owner empties the pipe first and takes
/*	the list second, so a job is never left behind without a byte after
/*	it (a full pipe drops the byte: there is an unread one already).
/*
/*	Periodic flush (store_sync=periodic): after a job leaves commits
/*	unsynced, the thread flushes MFA_STORE_SYNC_INTERVAL_MS later
/*	(timed condvar wait on CLOCK_MONOTONIC, or after a later job once
/*	the time has passed), as the Dovecot timeout did before; a commit
/*	also flushes itself when the last flush is older than that
/*	(common/src/store_lmdb.c). A failed flush stays pending, is retried a
/*	second later and reported through mfa_worker_take_error().
/* THREADS
/*	Nothing here or below mfa_policy_check() may use non-reentrant libc
/*	(checked: no strtok, gmtime, localtime, crypt, rand, getenv-on-
/*	change; crypt_r with a per-call crypt_data; strerror is thread-safe
/*	in glibc >= 2.32; error texts are per-thread buffers, mfa_util.c and
/*	mfa_store.c; the kept Redis handle, mfa_store.c, is released by the
/*	thread before it exits).
/* TRUST BOUNDARY
/*	Jobs carry client input (user, password) already length-capped by
/*	mfa_policy_precheck() in the owner's thread.
/*--*/
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <messec/secret.h>
#include <messec/str.h>

#include "mfa_util.h"
#include "mfa_worker.h"

struct mfa_worker {
	mfa_worker_run_t *run;
	void *run_context;
	pthread_t thread;
	int started;			/* thread created, not joined */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int pipe_fd[2];

	/* guarded by lock */
	struct mfa_job *queue_head, *queue_tail;
	unsigned int queued;
	struct mfa_job *done_head, *done_tail;
	int stopping;
	int have_error;
	char error[256];
};

/* *total += len + 1, or -1 on overflow. */
static int add_size(size_t *total, size_t len)
{
	if (len > SIZE_MAX - 1 || *total > SIZE_MAX - 1 - len)
		return -1;
	*total += len + 1;
	return 0;
}

/* Copy len bytes of s (NULL stays NULL) to *pos, NUL-terminated. */
static const char *put_string(char **pos, const char *s, size_t len)
{
	char *out = *pos;

	if (s == NULL)
		return NULL;
	memcpy(out, s, len);
	out[len] = '\0';
	*pos += len + 1;
	return out;
}

struct mfa_job *mfa_job_new(const struct mfa_settings *set,
			    const struct mfa_request *req, void *context)
{
	size_t ulen = strlen(req->user);
	size_t slen = req->service == NULL ? 0 : strlen(req->service);
	size_t iplen = req->remote_ip == NULL ? 0 : strlen(req->remote_ip);
	size_t size = 0;
	struct mfa_job *job;
	char *pos;

	if (add_size(&size, ulen) < 0 || add_size(&size, req->password_len) < 0 ||
	    add_size(&size, slen) < 0 || add_size(&size, iplen) < 0 ||
	    size > SIZE_MAX - sizeof(*job))
		return NULL;
	job = calloc(1, sizeof(*job) + size);
	if (job == NULL)
		return NULL;
	job->set = set;
	job->context = context;
	job->buf_size = size;
	pos = job->buf;
	job->req.user = put_string(&pos, req->user, ulen);
	job->req.password = put_string(&pos, req->password, req->password_len);
	job->req.password_len = req->password_len;
	job->req.service = put_string(&pos, req->service, slen);
	job->req.remote_ip = put_string(&pos, req->remote_ip, iplen);
	job->req.now = req->now;
	return job;
}

void mfa_job_free(struct mfa_job **_job)
{
	struct mfa_job *job = *_job;

	if (job == NULL)
		return;
	*_job = NULL;
	/* The buffer holds the password (or password + code). */
	secret_wipe(job->buf, job->buf_size);
	secret_wipe(&job->d, sizeof(job->d));
	free(job);
}

void mfa_worker_run_policy(struct mfa_job *job, void *context)
{
	(void)context;
	mfa_policy_check(job->set, &job->req, &job->d);
}

static long ms_until(const struct timespec *t)
{
	struct timespec now;

	(void)clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(t->tv_sec - now.tv_sec) * 1000 +
		(t->tv_nsec - now.tv_nsec) / 1000000;
}

static void set_error(struct mfa_worker *w, const char *error)
{
	pthread_mutex_lock(&w->lock);
	(void)str_copy(w->error, error, sizeof(w->error));
	w->have_error = 1;
	pthread_mutex_unlock(&w->lock);
}

/* One byte into the pipe; a full pipe has an unread byte already. */
static void notify(struct mfa_worker *w)
{
	ssize_t ret;

	do {
		ret = write(w->pipe_fd[1], "", 1);
	} while (ret < 0 && errno == EINTR);
}

/* Worker thread, without the lock: flush a periodic store when due.
   *deadline_set/*deadline: the flush planned after the first unsynced
   commit (none pending: no plan). */
static void sync_step(struct mfa_worker *w, int *deadline_set,
		      struct timespec *deadline)
{
	const char *error;

	if (!mfa_store_sync_pending()) {
		*deadline_set = 0;
		return;
	}
	if (*deadline_set && ms_until(deadline) <= 0) {
		*deadline_set = 0;
		if (mfa_store_sync_cached(1, &error) < 0) {
			set_error(w, error);
			notify(w);
		}
		if (!mfa_store_sync_pending())
			return;
	}
	if (!*deadline_set) {
		(void)clock_gettime(CLOCK_MONOTONIC, deadline);
		deadline->tv_sec += MFA_STORE_SYNC_INTERVAL_MS / 1000;
		deadline->tv_nsec += (MFA_STORE_SYNC_INTERVAL_MS % 1000) * 1000000L;
		if (deadline->tv_nsec >= 1000000000L) {
			deadline->tv_sec++;
			deadline->tv_nsec -= 1000000000L;
		}
		*deadline_set = 1;
	}
}

static void *worker_main(void *context)
{
	struct mfa_worker *w = context;
	struct timespec deadline;
	int deadline_set = 0;
	struct mfa_job *job;

	pthread_mutex_lock(&w->lock);
	while (!w->stopping) {
		job = w->queue_head;
		if (job != NULL) {
			w->queue_head = job->next;
			if (w->queue_head == NULL)
				w->queue_tail = NULL;
			w->queued--;
			job->next = NULL;
			pthread_mutex_unlock(&w->lock);

			w->run(job, w->run_context);
			job->ran = 1;
			sync_step(w, &deadline_set, &deadline);

			pthread_mutex_lock(&w->lock);
			if (w->done_tail == NULL)
				w->done_head = job;
			else
				w->done_tail->next = job;
			w->done_tail = job;
			notify(w);
			continue;
		}
		if (!deadline_set) {
			pthread_cond_wait(&w->cond, &w->lock);
		} else if (pthread_cond_timedwait(&w->cond, &w->lock,
						  &deadline) == ETIMEDOUT) {
			pthread_mutex_unlock(&w->lock);
			sync_step(w, &deadline_set, &deadline);
			pthread_mutex_lock(&w->lock);
		}
	}
	pthread_mutex_unlock(&w->lock);
	/* The kept Redis handle (mfa_store.c; only this thread used it);
	   the owner flushes and closes a kept LMDB environment. */
	mfa_store_release_cached();
	return NULL;
}

struct mfa_worker *mfa_worker_start(mfa_worker_run_t *run, void *context,
				    const char **error_r)
{
	struct mfa_worker *w;
	pthread_condattr_t attr;
	sigset_t all, old;
	int rc;

	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		*error_r = "worker: out of memory";
		return NULL;
	}
	w->run = run;
	w->run_context = context;
	if (pipe2(w->pipe_fd, O_NONBLOCK | O_CLOEXEC) < 0) {
		*error_r = mfa_error("worker: pipe: %s", strerror(errno));
		free(w);
		return NULL;
	}
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cond, &attr);
	pthread_condattr_destroy(&attr);
	/* Every signal blocked in the new thread (it inherits the mask):
	   the host's handlers (Dovecot's SIGTERM, SIGHUP, SIGCHLD...) keep
	   running in its own thread. Faults (SIGSEGV...) still kill. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&w->thread, NULL, worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		*error_r = mfa_error("worker: pthread_create: %s", strerror(rc));
		w->started = 0;
		mfa_worker_free(&w);
		return NULL;
	}
	w->started = 1;
	return w;
}

int mfa_worker_fd(const struct mfa_worker *w)
{
	return w->pipe_fd[0];
}

int mfa_worker_submit(struct mfa_worker *w, struct mfa_job *job,
		      const char **error_r)
{
	int ret = 0;

	pthread_mutex_lock(&w->lock);
	if (w->stopping || !w->started) {
		*error_r = "worker: stopped";
		ret = -1;
	} else if (w->queued >= MFA_WORKER_QUEUE_MAX) {
		*error_r = "worker: queue full";
		ret = -1;
	} else {
		job->next = NULL;
		job->ran = 0;
		if (w->queue_tail == NULL)
			w->queue_head = job;
		else
			w->queue_tail->next = job;
		w->queue_tail = job;
		w->queued++;
		pthread_cond_signal(&w->cond);
	}
	pthread_mutex_unlock(&w->lock);
	return ret;
}

struct mfa_job *mfa_worker_done(struct mfa_worker *w)
{
	char buf[64];
	struct mfa_job *jobs;
	ssize_t ret;

	/* The pipe first, the list second (see DESCRIPTION). */
	do {
		ret = read(w->pipe_fd[0], buf, sizeof(buf));
	} while (ret > 0 || (ret < 0 && errno == EINTR));

	pthread_mutex_lock(&w->lock);
	jobs = w->done_head;
	if (!w->started && w->queue_head != NULL) {
		/* Stopped: the jobs never started come back too. */
		if (jobs == NULL)
			jobs = w->queue_head;
		else
			w->done_tail->next = w->queue_head;
		w->queue_head = w->queue_tail = NULL;
		w->queued = 0;
	}
	w->done_head = w->done_tail = NULL;
	pthread_mutex_unlock(&w->lock);
	return jobs;
}

int mfa_worker_take_error(struct mfa_worker *w, char *buf, size_t size)
{
	int ret;

	pthread_mutex_lock(&w->lock);
	ret = w->have_error;
	if (ret)
		(void)str_copy(buf, w->error, size);
	w->have_error = 0;
	pthread_mutex_unlock(&w->lock);
	return ret;
}

void mfa_worker_stop(struct mfa_worker *w)
{
	if (!w->started)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	(void)pthread_join(w->thread, NULL);
	pthread_mutex_lock(&w->lock);
	w->started = 0;
	pthread_mutex_unlock(&w->lock);
}

void mfa_worker_free(struct mfa_worker **_w)
{
	struct mfa_worker *w = *_w;
	struct mfa_job *jobs, *job;

	if (w == NULL)
		return;
	*_w = NULL;
	mfa_worker_stop(w);
	jobs = mfa_worker_done(w);
	while ((job = jobs) != NULL) {
		jobs = job->next;
		mfa_job_free(&job);
	}
	(void)close(w->pipe_fd[0]);
	(void)close(w->pipe_fd[1]);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
