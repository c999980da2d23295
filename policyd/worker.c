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
 *	(group commit, run_batch), and one worker at a time does (see
 *	batcher below). The loop submits a round's jobs at once. Jobs of one
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
/*
 * Idle workers wait on a condition variable each, on a stack: a wake-up
 * goes to the one that went idle last (its cache still warm, and with
 * LMDB, where one batcher does the work, mostly the same thread), is
 * sent after q_lock is released (the woken thread does not sleep again
 * on the lock its waker holds), and never twice to one sleeper.
 */
static struct {
	pthread_cond_t cond;
	int waiting;		/* on the idle stack; cleared by the waker */
} slot[MAX_WORKERS];
static unsigned idle[MAX_WORKERS], nidle;
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

/*
 * One batcher at a time. LMDB has one writer: a second worker opening a
 * batch would only sleep on LMDB's writer lock, and wake, and sleep (on
 * 2 cores that cost a third of the CPU per request at 8 connections).
 * So while a worker holds a batch, batchable jobs wait in the queue and
 * nobody is woken for them: the batcher looks at the queue again after
 * its commit and takes them all in its next batch. Other jobs (Redis,
 * greylist_spf) go to any idle worker, one at a time. Under q_lock.
 */
static int batcher;
static struct pd_worker_stats stats;	/* batches: under q_lock */
static unsigned in_batch;		/* threads inside a store batch */

static int runnable(void)
{
	return q_head != NULL && !(batcher && q_head->batch);
}

/* Under q_lock: take the last idle worker off the stack (-1: none).
   pthread_cond_signal(&slot[i].cond) once q_lock is released. */
static int wake_pick(void)
{
	if (nidle == 0)
		return -1;
	int i = (int) idle[--nidle];

	slot[i].waiting = 0;
	return i;
}

static void wake(int i)
{
	if (i >= 0)
		pthread_cond_signal(&slot[i].cond);
}

/* Under q_lock: sleep until a waker picks this worker, or stop. */
static void sleep_idle(unsigned me)
{
	slot[me].waiting = 1;
	idle[nidle++] = me;
	while (slot[me].waiting && !q_stop)
		pthread_cond_wait(&slot[me].cond, &q_lock);
	if (slot[me].waiting) {		/* stopping: leave the stack */
		for (unsigned k = 0; k < nidle; k++)
			if (idle[k] == me) {
				idle[k] = idle[--nidle];
				break;
			}
		slot[me].waiting = 0;
	}
}

/* Up to max jobs from the queue head (a list through ->next), only
   batchable ones when batch is set, their count in *n_r (may be NULL). Under q_lock;
   q_head != NULL. */
static struct pd_job *take(unsigned max, int batch, unsigned *n_r)
{
	struct pd_job *head = q_head, *last = q_head;
	unsigned n = 1;

	while (n < max && last->next != NULL && (!batch || last->next->batch)) {
		last = last->next;
		n++;
	}
	q_head = last->next;
	if (q_head == NULL)
		q_tail = NULL;
	last->next = NULL;
	if (n_r != NULL)
		*n_r = n;
	return head;
}

/*
 * Group commit: with a store that batches (LMDB), every queued
 * batchable job (up to BATCH_MAX) is evaluated in one write
 * transaction, committed once; the answers go back only after the
 * commit, so an answer never rests on a write that is not in the store.
 * If the batch fails (its begin, a call in it, or the commit), nothing
 * was written: each job is evaluated again on its own, for exactly the
 * answers (store_fail_action included) it would have had without
 * batching.
 */
static void run_batch_in(struct store *store, struct pd_job *jobs)
{
	struct pd_job *job;

	if (store_batch_begin(store) == STORE_OK) {
		for (job = jobs; job != NULL; job = job->next)
			evaluate(job, store);
		if (store_batch_end(store, 1) == STORE_OK)
			return;
		log_warnx("worker: store batch failed (%s): evaluating its requests one by one",
			  store_error());
	}
	for (job = jobs; job != NULL; job = job->next)
		evaluate(job, store);
}

/* The same, counting the threads inside a batch (pd_workers_stats). */
static void run_batch(struct store *store, struct pd_job *jobs)
{
	unsigned inside = __atomic_add_fetch(&in_batch, 1, __ATOMIC_SEQ_CST);
	unsigned max = __atomic_load_n(&stats.max_concurrent, __ATOMIC_RELAXED);

	while (inside > max && !__atomic_compare_exchange_n(&stats.max_concurrent, &max, inside, 0,
							    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	run_batch_in(store, jobs);
	__atomic_sub_fetch(&in_batch, 1, __ATOMIC_SEQ_CST);
}

/* The finished jobs to the loop. The loop reads the eventfd before it
   empties the list: a non-empty list already has a wake-up coming. */
static void publish(struct pd_job *jobs)
{
	struct pd_job *next;
	uint64_t one = 1;
	int was_empty;

	if (on_done != NULL)
		for (struct pd_job *job = jobs; job != NULL; job = job->next)
			on_done(&job->req, &job->v);
	pthread_mutex_lock(&d_lock);
	was_empty = d_head == NULL;
	for (; jobs != NULL; jobs = next) {	/* d_head: newest first */
		next = jobs->next;
		jobs->next = d_head;
		d_head = jobs;
	}
	pthread_mutex_unlock(&d_lock);
	if (was_empty && write(done_fd, &one, sizeof(one)) < 0)
		log_warn("worker: eventfd write");
}

/*
 * Without batching (Redis, greylist_spf: DNS must not hold the writer
 * lock) one job at a time, so a hung call holds one job only, and the
 * other workers take the next ones.
 */
static void *worker_main(void *arg)
{
	unsigned me = (unsigned) (uintptr_t) arg;

	pthread_mutex_lock(&q_lock);
	for (;;) {
		struct pd_job *jobs;
		struct store *store;

		while (!runnable() && !q_stop)
			sleep_idle(me);
		if (!runnable())
			break;	/* stopping: empty, or the batcher drains it */
		store = get_store();
		if (q_head->batch && store != NULL && store_batches(store)) {
			unsigned n;

			batcher = 1;
			jobs = take(BATCH_MAX, 1, &n);
			stats.batches++;
			stats.batched += n;
			pthread_mutex_unlock(&q_lock);
			run_batch(store, jobs);
			publish(jobs);
			pthread_mutex_lock(&q_lock);
			batcher = 0;
		} else {
			int other = -1;

			jobs = take(1, 0, NULL);
			if (runnable())
				other = wake_pick();	/* more for another */
			pthread_mutex_unlock(&q_lock);
			wake(other);
			evaluate(jobs, store);
			publish(jobs);
			pthread_mutex_lock(&q_lock);
		}
	}
	pthread_mutex_unlock(&q_lock);
	return NULL;
}

int pd_workers_start(unsigned n, struct store *(*store_fn)(void), pd_job_done_fn *done)
{
	get_store = store_fn;
	on_done = done;
	q_stop = 0;		/* a pool may start again after a stop */
	memset(&stats, 0, sizeof(stats));
	if (n > MAX_WORKERS)
		n = MAX_WORKERS;
	if (done_fd >= 0)
		close(done_fd);
	if ((done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
		return -1;
	nidle = 0;
	for (nthreads = 0; nthreads < n; nthreads++) {
		pthread_cond_init(&slot[nthreads].cond, NULL);	/* destroyed by stop */
		slot[nthreads].waiting = 0;
		if (pthread_create(&threads[nthreads], NULL, worker_main,
				   (void *) (uintptr_t) nthreads) != 0)
			log_fatalx("worker: pthread_create failed");
	}
	return 0;
}

unsigned pd_workers_count(void)
{
	return nthreads;
}

void pd_workers_submit(struct pd_job *jobs)
{
	struct pd_job *last = NULL;
	int w = -1;

	if (jobs == NULL)
		return;
	for (struct pd_job *job = jobs; job != NULL; job = job->next) {
		job->batch = pd_rules_batchable(rules_of(job));
		last = job;
	}
	pthread_mutex_lock(&q_lock);
	if (q_tail != NULL) {
		q_tail->next = jobs;	/* a worker was woken for the head */
	} else {
		q_head = jobs;
		if (runnable())		/* else the batcher takes them next */
			w = wake_pick();
	}
	q_tail = last;
	pthread_mutex_unlock(&q_lock);
	wake(w);
}

void pd_workers_stats(struct pd_worker_stats *out)
{
	pthread_mutex_lock(&q_lock);
	*out = stats;
	out->max_concurrent = __atomic_load_n(&stats.max_concurrent, __ATOMIC_RELAXED);
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
	for (unsigned i = 0; i < nthreads; i++)
		pthread_cond_signal(&slot[i].cond);
	pthread_mutex_unlock(&q_lock);
	for (unsigned i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	for (unsigned i = 0; i < nthreads; i++)
		pthread_cond_destroy(&slot[i].cond);
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
