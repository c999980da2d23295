/*++
 * NAME
 *	worker 3
 * SUMMARY
 *	messec-policyd's store workers: stateful requests off the event loop
 * DESCRIPTION
 *	See worker.h. One mutex and condition variable guard the queue,
 *	one mutex the done list; an eventfd wakes the loop. Jobs of one
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

static void evaluate(struct pd_job *job)
{
	const struct pd_conf *conf = DAEMON_CONF(job->conf, struct pd_conf, ref);

	pd_rules_eval(conf->rules, get_store(), &job->req, &job->v, NULL, NULL);
	if (on_done != NULL)
		on_done(&job->req, &job->v);
}

static void *worker_main(void *arg)
{
	for (;;) {
		struct pd_job *job;
		uint64_t one = 1;

		pthread_mutex_lock(&q_lock);
		while (q_head == NULL && !q_stop)
			pthread_cond_wait(&q_cond, &q_lock);
		if (q_head == NULL) {
			pthread_mutex_unlock(&q_lock);
			return NULL;
		}
		job = q_head;
		q_head = job->next;
		if (q_head == NULL)
			q_tail = NULL;
		pthread_mutex_unlock(&q_lock);

		evaluate(job);
		pthread_mutex_lock(&d_lock);
		job->next = d_head;
		d_head = job;
		pthread_mutex_unlock(&d_lock);
		if (write(done_fd, &one, sizeof(one)) < 0)
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
	if (q_tail != NULL)
		q_tail->next = job;
	else
		q_head = job;
	q_tail = job;
	pthread_cond_signal(&q_cond);
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
