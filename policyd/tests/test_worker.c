/*++
 * NAME
 *	test_worker 1
 * SUMMARY
 *	unit tests of policyd's store workers (worker.c) on a real LMDB store
 * DESCRIPTION
 *	Jobs are submitted as the event loop does (a parsed request copied
 *	by pd_job_new, a config reference) to a pool of 4 threads sharing one LMDB
 *	store: every job comes back once, with its owner, and the shared
 *	rate-limit counter is exact under concurrency (limit 50, 120
 *	messages: 50 DUNNO, 70 DEFER). The done callback sees each request.
 *	Group commit: jobs submitted in bursts while batches run are taken
 *	in batches by one worker at a time (the others would only wait on
 *	LMDB's writer lock), and every job is in exactly one batch.
 *--*/
#include "../../common/tests/test_util.h"
#include <poll.h>
#include <pthread.h>
#include <messec/log.h>
#include <messec/str.h>
#include "config.h"
#include "worker.h"

static char *dir;
static struct store *st;
static int callbacks;
static pthread_mutex_t cb_lock = PTHREAD_MUTEX_INITIALIZER;

static struct store *get_store(void)
{
	return st;
}

static void done_cb(const struct pd_request *req, const struct pd_verdict *v)
{
	pthread_mutex_lock(&cb_lock);
	if (strcmp(pd_req_get(req, PD_A_SASL_USERNAME), "alice") == 0)
		callbacks++;
	pthread_mutex_unlock(&cb_lock);
}

/* Submit one parsed request as the loop does (owner: its counter). */
static void submit_one(const char *req, int *owner)
{
	char buf[512];
	const struct pd_limits lim = { 4096, sizeof(buf), 100 };
	struct pd_request pr;
	size_t used = 0, len = strlen(req);
	const char *perr = NULL;

	assert_true(len < sizeof(buf));
	memcpy(buf, req, len + 1);
	assert_int_equal(pd_proto_parse(buf, len, &lim, &pr, &used, &perr), PD_PARSE_DONE);
	struct pd_job *job = pd_job_new(owner, buf, used, &pr);

	memset(buf, 'x', sizeof(buf));	/* the job holds its own copy */
	job->conf = daemon_conf_acquire();
	pd_workers_submit(job);
}

/* Take finished jobs until n came back; count each owner's, and in
   actions (may be NULL) the DUNNO [0] and "DEFER 4.7.1" [1] answers. */
static void collect(int n, int actions[2])
{
	for (int back = 0; back < n;) {
		struct pollfd p = { .fd = pd_workers_done_fd(), .events = POLLIN };

		assert_true(poll(&p, 1, 20000) == 1);
		for (struct pd_job *job = pd_workers_take_done(), *next; job != NULL; job = next) {
			next = job->next;
			(*(int *) job->owner)++;
			if (actions != NULL && strcmp(job->v.action, "DUNNO") == 0)
				actions[0]++;
			else if (actions != NULL && strncmp(job->v.action, "DEFER 4.7.1", 11) == 0)
				actions[1]++;
			back++;
			pd_job_free(job);
		}
	}
}

static void test_one_batcher(void **state)
{
	char uri[600];
	const char *err = NULL;
	static const char req[] = "request=smtpd_access_policy\nprotocol_state=END-OF-MESSAGE\n"
		"sasl_username=bob\nrecipient_count=1\n\n";
	enum { N = 3000 };
	static int owners[N];
	struct pd_worker_stats ws;

	snprintf(uri, sizeof(uri), "lmdb:%s/b.lmdb", dir);
	st = store_open(uri, &err);
	if (st == NULL)
		fail_msg("store_open: %s", err);
	struct pd_conf *conf = pd_conf_load_string("listen = unix:/x/y.sock\nrcpt_rules =\n"
		"eom_rules = ratelimit\nratelimit_limits = sasl_username:messages:100000/1h\n", stderr);

	assert_non_null(conf);
	daemon_conf_install(&conf->ref);
	assert_int_equal(pd_workers_start(4, get_store, NULL), 0);
	/* Bursts with pauses: submits land while a batch runs, and when
	   the queue is empty (each wakes a worker). */
	for (int i = 0; i < N; i++) {
		submit_one(req, &owners[i]);
		if (i % 7 == 6)
			usleep(50);
	}
	collect(N, NULL);
	pd_workers_stats(&ws);
	pd_workers_stop();
	for (int i = 0; i < N; i++)
		assert_int_equal(owners[i], 1);
	assert_int_equal(ws.batched, N);
	assert_true(ws.batches < N);	/* some batches held several */
	assert_int_equal(ws.max_concurrent, 1);
	store_close(&st);
}

static struct store *no_store(void)
{
	return NULL;
}

/* Without a batching store (not open yet, Redis), one job per worker at
   a time: every job still comes back once, answered store_fail_action. */
static void test_unbatched(void **state)
{
	static const char req[] = "request=smtpd_access_policy\nprotocol_state=END-OF-MESSAGE\n"
		"sasl_username=carol\nrecipient_count=1\n\n";
	enum { N = 2000 };
	static int owners[N];
	struct pd_worker_stats ws;
	struct pd_conf *conf = pd_conf_load_string("listen = unix:/x/y.sock\nrcpt_rules =\n"
		"eom_rules = ratelimit\nratelimit_limits = sasl_username:messages:10/1h\n", stderr);

	assert_non_null(conf);
	daemon_conf_install(&conf->ref);
	assert_int_equal(pd_workers_start(4, no_store, NULL), 0);
	for (int i = 0; i < N; i++) {
		submit_one(req, &owners[i]);
		if (i % 5 == 4)
			usleep(20);
	}
	collect(N, NULL);
	pd_workers_stats(&ws);
	pd_workers_stop();
	for (int i = 0; i < N; i++)
		assert_int_equal(owners[i], 1);
	assert_int_equal(ws.batches, 0);
}

static void test_pool(void **state)
{
	char uri[600], text[512];
	const char *err = NULL;
	static const char req[] = "request=smtpd_access_policy\nprotocol_state=END-OF-MESSAGE\n"
		"sasl_username=alice\nrecipient_count=1\n\n";
	enum { N = 120 };
	int owners[N] = { 0 }, actions[2] = { 0, 0 };

	snprintf(uri, sizeof(uri), "lmdb:%s/w.lmdb", dir);
	st = store_open(uri, &err);
	if (st == NULL)
		fail_msg("store_open: %s", err);
	snprintf(text, sizeof(text), "listen = unix:/x/y.sock\nrcpt_rules =\neom_rules = ratelimit\n"
		 "ratelimit_limits = sasl_username:messages:50/1h\n");
	struct pd_conf *conf = pd_conf_load_string(text, stderr);

	assert_non_null(conf);
	daemon_conf_install(&conf->ref);	/* takes our reference */
	assert_int_equal(pd_workers_start(4, get_store, done_cb), 0);
	assert_int_equal(pd_workers_count(), 4);
	for (int i = 0; i < N; i++)
		submit_one(req, &owners[i]);	/* as the loop does */
	collect(N, actions);
	pd_workers_stop();
	for (int i = 0; i < N; i++)
		assert_int_equal(owners[i], 1);
	assert_int_equal(actions[0], 50);
	assert_int_equal(actions[1], N - 50);
	assert_int_equal(callbacks, N);
	store_close(&st);
}

static int setup(void **state)
{
	dir = test_tmpdir();
	log_init("test_worker", 1, LOG_LEVEL_ERROR);
	return 0;
}

static int teardown(void **state)
{
	test_rmtree(&dir);
	return 0;
}

int main(void)
{
	struct test_list l = { 0 };

	tests_add(&l, "4 workers, one LMDB store: every job back once, exact shared count", test_pool, NULL);
	tests_add(&l, "LMDB group commit: one batcher at a time, every job in one batch", test_one_batcher, NULL);
	tests_add(&l, "no batching store: one job per worker, every job back once", test_unbatched, NULL);
	return tests_run(&l, "worker", setup, teardown);
}
