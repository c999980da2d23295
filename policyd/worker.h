/*++
 * NAME
 *	worker 3h
 * SUMMARY
 *	messec-policyd's store workers: stateful requests off the event loop
 * SYNOPSIS
 *	#include "worker.h"
 * DESCRIPTION
 *	A request whose rules may call the store (ratelimit, greylist) is
 *	copied into a job and evaluated by one of a small fixed pool of
 *	threads, so a slow store (Redis waiting out its timeout_ms) stalls
 *	that request only, never the event loop and its other connections.
 *	The loop submits jobs, and learns of finished ones through an
 *	eventfd (pd_workers_done_fd) from which it takes the finished list.
 *
 *	A job holds a reference on the config it was parsed under and a
 *	copy of the parsed request's bytes, its attributes pointing into
 *	that copy (pd_job_new): the worker does not parse again.
 *--*/
#ifndef PD_WORKER_H
#define PD_WORKER_H

#include <messec/daemon.h>
#include <messec/store.h>
#include "proto.h"
#include "rules.h"

struct pd_job {
	struct pd_job *next;
	void *owner;			/* the loop's connection */
	struct daemon_ref *conf;	/* held until the job is freed */
	char *raw;			/* the parsed request's bytes */
	size_t len;
	struct pd_request req;		/* pointing into raw */
	struct pd_verdict v;		/* the answer, filled by a worker */
	double t0;			/* for the latency histogram */
	int batch;			/* may share a store batch (submit sets it) */
};

/* Called by a worker with the evaluated request (logging, metrics). */
typedef void pd_job_done_fn(const struct pd_request *req, const struct pd_verdict *v);

/* Start n threads. store_fn gives the current store (may be NULL). */
int pd_workers_start(unsigned n, struct store *(*store_fn)(void), pd_job_done_fn *done);
unsigned pd_workers_count(void);
/* Queue jobs (a list through ->next, in order): one lock, one wake-up. */
void pd_workers_submit(struct pd_job *jobs);
int pd_workers_done_fd(void);
/* Every finished job (a list through ->next), emptying the done list. */
struct pd_job *pd_workers_take_done(void);
/* Group commits so far: batches, jobs in them, and the most threads
   ever inside a store batch at once (1: one batcher at a time). */
struct pd_worker_stats {
	unsigned long batches, batched;
	unsigned max_concurrent;
};
void pd_workers_stats(struct pd_worker_stats *out);
/* Finish the queued jobs, join the threads. */
void pd_workers_stop(void);
/* A job for the request req parsed from buf (used bytes): both copied,
   req's attributes moved to point into the copy. conf: NULL. */
struct pd_job *pd_job_new(void *owner, const char *buf, size_t used, const struct pd_request *req);
void pd_job_free(struct pd_job *job);

#endif
