/*++
 * NAME
 *	worker 3
 * SUMMARY
 *	messec-policyd's store workers: stateful requests off the event loop
 * DESCRIPTION
 *	See worker.h. One mutex and condition variable guard the queue,
 *	one mutex the done list; an eventfd wakes the loop. Wake-ups are
 *	spared: a submit signals a worker only when the queue was empty,
 *	a worker writes the eventfd only when the done list was empty.
 *	With LMDB a worker takes every queued job into one store batch
 *	(group commit, run_some). Jobs of one
 *	connection never overlap: the loop submits a connection's next
 *	request only once the previous answer is back (answers stay in
 *	order, as the protocol needs).
 * DIAGNOSTICS
 *	pthread_create failure at startup is fatal (log_fatal).
 *--*/
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <messec/log.h>
#include <messec/str.h>
#include "config.h"
#include "worker.h"

#define MAX_WORKERS 64

static pthread_t threads[MAX_WORKERS];
static unsigned nthreads;
static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_cond = PTHREAD_COND_INITIALIZER;
static struct pd_job *q_head, *q_tail;
static int q_stop;
static pthread_mutex_t d_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pd_job *d_head;
static int done_fd = -1;
static struct store *(*get_store)(void);
static pd_job_done_fn *on_done;

#define BATCH_MAX 64	/* jobs in one store batch: bounds its lock time */

static const struct pd_rules *rules_of(const struct pd_job *job)
{
	return DAEMON_CONF(job->conf, struct pd_conf, ref)->rules;
}

static void evaluate(struct pd_job *job, struct store *store)
{
	pd_rules_eval(rules_of(job), store, &job->req, &job->v, NULL, NULL);
}

/* Up to max jobs from the queue (a list through ->next), or NULL when
   it is empty. More left for another worker: wake one. */
static struct pd_job *take(unsigned max)
{
	struct pd_job *head, *last;
	unsigned n = 1;

	pthread_mutex_lock(&q_lock);
	head = last = q_head;
	if (head != NULL) {
		while (n < max && last->next != NULL) {
			last = last->next;
			n++;
		}
		q_head = last->next;
		if (q_head == NULL)
			q_tail = NULL;
		else
			pthread_cond_signal(&q_cond);
		last->next = NULL;
	}
	pthread_mutex_unlock(&q_lock);
	return head;
}

/*
 * Group commit: with a store that batches (LMDB), every queued job (up
 * to BATCH_MAX) is evaluated in one write transaction, committed once;
 * the answers go back only after the commit, so an answer never rests
 * on a write that is not in the store. If the batch fails (a call in it
 * or the commit), nothing was written: each job is evaluated again on
 * its own, for exactly the answers (store_fail_action included) it
 * would have had without batching. Without batching (Redis, or
 * greylist_spf: DNS must not hold the writer lock) one job at a time,
 * so a hung call holds one job only.
 */
static struct pd_job *run_some(void)
{
	struct store *store = get_store();
	struct pd_job *jobs, *job;
	int batched = 0;

	pthread_mutex_lock(&q_lock);
	jobs = q_head;
	pthread_mutex_unlock(&q_lock);
	if (jobs == NULL)
		return NULL;
	if (store != NULL && store_batch_begin(store) == STORE_OK) {
		jobs = take(BATCH_MAX);
		batched = 1;
	} else {
		jobs = take(1);
	}
	if (jobs == NULL) {
		if (batched)
			store_batch_end(store, 0);
		return NULL;
	}
	for (job = jobs; job != NULL; job = job->next)
		if (!batched || pd_rules_batchable(rules_of(job)))
			evaluate(job, store);
	if (batched) {
		if (store_batch_end(store, 1) != STORE_OK) {
			log_warnx("worker: store batch failed (%s): evaluating its requests one by one",
				  store_error());
			for (job = jobs; job != NULL; job = job->next)
				evaluate(job, store);
		} else {
			for (job = jobs; job != NULL; job = job->next)
				if (!pd_rules_batchable(rules_of(job)))
					evaluate(job, store);
		}
	}
	if (on_done != NULL)
		for (job = jobs; job != NULL; job = job->next)
			on_done(&job->req, &job->v);
	return jobs;
}

static void *worker_main(void *arg)
{
	for (;;) {
		struct pd_job *jobs, *next;
		uint64_t one = 1;
		int was_empty;

		pthread_mutex_lock(&q_lock);
		while (q_head == NULL && !q_stop)
			pthread_cond_wait(&q_cond, &q_lock);
		if (q_head == NULL) {
			pthread_mutex_unlock(&q_lock);
			return NULL;
		}
		pthread_mutex_unlock(&q_lock);
		if ((jobs = run_some()) == NULL)
			continue;	/* another worker took them */
		pthread_mutex_lock(&d_lock);
		was_empty = d_head == NULL;
		for (; jobs != NULL; jobs = next) {	/* d_head: newest first */
			next = jobs->next;
			jobs->next = d_head;
			d_head = jobs;
		}
		pthread_mutex_unlock(&d_lock);
		/* The loop reads the eventfd before it empties the list: a
		   non-empty list already has a wake-up coming. */
		if (was_empty && write(done_fd, &one, sizeof(one)) < 0)
			log_warn("worker: eventfd write");
	}
}

int pd_workers_start(unsigned n, struct store *(*store_fn)(void), pd_job_done_fn *done)
{
	get_store = store_fn;
	on_done = done;
	if (n > MAX_WORKERS)
		n = MAX_WORKERS;
	if ((done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
		return -1;
	for (nthreads = 0; nthreads < n; nthreads++)
		if (pthread_create(&threads[nthreads], NULL, worker_main, NULL) != 0)
			log_fatalx("worker: pthread_create failed");
	return 0;
}

unsigned pd_workers_count(void)
{
	return nthreads;
}

void pd_workers_submit(struct pd_job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&q_lock);
	if (q_tail != NULL) {
		q_tail->next = job;	/* a worker was woken for the head */
	} else {
		q_head = job;
		pthread_cond_signal(&q_cond);
	}
	q_tail = job;
	pthread_mutex_unlock(&q_lock);
}

int pd_workers_done_fd(void)
{
	return done_fd;
}

struct pd_job *pd_workers_take_done(void)
{
	struct pd_job *list, *rev = NULL;
	uint64_t n;

	if (done_fd >= 0 && read(done_fd, &n, sizeof(n)) < 0) {
		/* EAGAIN: nothing signalled; the list may still hold jobs. */
	}
	pthread_mutex_lock(&d_lock);
	list = d_head;
	d_head = NULL;
	pthread_mutex_unlock(&d_lock);
	while (list != NULL) {		/* oldest first */
		struct pd_job *next = list->next;

		list->next = rev;
		rev = list;
		list = next;
	}
	return rev;
}

void pd_workers_stop(void)
{
	pthread_mutex_lock(&q_lock);
	q_stop = 1;
	pthread_cond_broadcast(&q_cond);
	pthread_mutex_unlock(&q_lock);
	for (unsigned i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	nthreads = 0;
}

struct pd_job *pd_job_new(void *owner, const char *buf, size_t used, const struct pd_request *req)
{
	struct pd_job *job = xcalloc(1, sizeof(*job));

	job->owner = owner;
	job->raw = xmalloc(used);
	job->len = used;
	memcpy(job->raw, buf, used);
	job->req = *req;
	for (int a = 0; a < PD_A_COUNT; a++)
		if (req->attr[a] != NULL)
			job->req.attr[a] = job->raw + (req->attr[a] - buf);
	return job;
}

void pd_job_free(struct pd_job *job)
{
	if (job == NULL)
		return;
	daemon_ref_release(&job->conf);
	free(job->raw);
	free(job);
}
