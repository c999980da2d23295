/*++
/* NAME
/*	mfa_worker 3h
/* SUMMARY
/*	one worker thread that decides MFA logins off Dovecot's event loop
/* SYNOPSIS
/*	#include "mfa_worker.h"
/* DESCRIPTION
/*	Free of Dovecot types (the glue, passdb_mfa.c, owns the auth
/*	requests; the unit test drives this module alone). A job is a heap
/*	copy of one login (struct mfa_request: user, password, service,
/*	remote IP, time) plus the settings to decide it with and an opaque
/*	context of the caller. The worker thread runs the jobs one at a time,
/*	in submission order, so the store (its kept LMDB environment, its
/*	Redis connection, its error text) is only ever used by that thread
/*	while it runs: no locking inside the store. Between and after jobs
/*	it also flushes a periodic LMDB store (mfa_store_sync_cached(),
/*	MFA_STORE_SYNC_INTERVAL_MS after the first unsynced commit).
/*
/*	The store-free first steps are mfa_policy_precheck() (mfa_policy.h),
/*	called by the owner before it queues a job.
/*
/*	mfa_job_new(): a job owning copies of req's strings (the password
/*	too: mfa_job_free() wipes it), deciding with set (borrowed: it must
/*	outlive the job) and carrying context. NULL when out of memory or the
/*	sizes overflow. mfa_job_free() wipes and frees, sets *job to NULL.
/*	job->d is the decision once the job comes back from mfa_worker_done()
/*	with job->ran set; job->ran == 0: the worker stopped before running
/*	it (the store was not touched; the caller fails the login).
/*
/*	mfa_worker_start(): creates the notification pipe (O_NONBLOCK,
/*	O_CLOEXEC) and the thread, with every signal blocked in the thread
/*	(the host's signal handling stays in its own thread). run decides
/*	one job in the worker thread (mfa_worker_run_policy in the plugin:
/*	mfa_policy_check(job->set, ...); tests pass their own). NULL with
/*	*error_r when the pipe or the thread cannot be made.
/*	mfa_worker_fd(): the pipe's read end: readable when jobs are done or
/*	a sync error waits; the caller watches it (io_add) and then calls
/*	mfa_worker_done().
/*	mfa_worker_submit(): queue a job (the worker owns it until it comes
/*	back from mfa_worker_done()). -1 with *error_r when the queue holds
/*	MFA_WORKER_QUEUE_MAX jobs or the worker is stopping: the job stays
/*	the caller's.
/*	mfa_worker_done(): empties the pipe and returns every finished job,
/*	oldest first, linked by job->next (the caller frees them); NULL when
/*	none. After mfa_worker_stop() it also returns the jobs never started
/*	(ran == 0), after the finished ones.
/*	mfa_worker_take_error(): copies the last periodic-sync error into
/*	buf and clears it: 1, or 0 when there was none.
/*	mfa_worker_stop(): lets the running job finish, stops and joins the
/*	thread (the store is the caller's again afterwards); jobs still
/*	queued are not started. Idempotent. mfa_worker_free() stops, frees
/*	the jobs not yet taken (wiped), closes the pipe, sets *w to NULL.
/* THREADS
/*	mfa_worker_* other than run are called from one thread, the owner's.
/*	run, and everything it calls, runs in the worker thread: it must not
/*	call the host's APIs (Dovecot's memory pools, logging and ioloop are
/*	not thread-safe).
/*--*/
#ifndef MFA_WORKER_H
#define MFA_WORKER_H

#include <stddef.h>

#include "mfa_policy.h"

/* A cap on queued jobs: beyond it a login is a temporary failure (a flood
   of logins, each with a store commit, must not grow the auth process
   without bound). */
#define MFA_WORKER_QUEUE_MAX 4096

struct mfa_job {
	struct mfa_job *next;		/* owned by whoever holds the job */
	const struct mfa_settings *set;	/* borrowed */
	struct mfa_request req;		/* strings point into buf */
	struct mfa_decision d;		/* valid when ran */
	int ran;
	void *context;			/* the caller's */
	size_t buf_size;
	char buf[];			/* user, password, service, ip */
};

struct mfa_worker;
typedef void mfa_worker_run_t(struct mfa_job *job, void *context);

struct mfa_job *mfa_job_new(const struct mfa_settings *set,
			    const struct mfa_request *req, void *context);
void mfa_job_free(struct mfa_job **job);

/* The plugin's run: mfa_policy_check(job->set, &job->req, &job->d). */
void mfa_worker_run_policy(struct mfa_job *job, void *context);

struct mfa_worker *mfa_worker_start(mfa_worker_run_t *run, void *context,
				    const char **error_r);
int mfa_worker_fd(const struct mfa_worker *w);
int mfa_worker_submit(struct mfa_worker *w, struct mfa_job *job,
		      const char **error_r);
struct mfa_job *mfa_worker_done(struct mfa_worker *w);
int mfa_worker_take_error(struct mfa_worker *w, char *buf, size_t size);
void mfa_worker_stop(struct mfa_worker *w);
void mfa_worker_free(struct mfa_worker **w);

#endif
