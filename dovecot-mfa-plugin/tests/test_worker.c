/*++
 * NAME
 *	test_worker 1
 * SUMMARY
 *	unit tests for mfa_worker.c: the store-free pre-checks agree with
 *	mfa_policy_check(), jobs own wiped copies, real logins decided by the
 *	worker thread in order (replay refused under the queue), signals
 *	blocked in the thread, stop with jobs queued, the periodic LMDB
 *	flush done by the thread
 *--*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>
#include <cmocka.h>

#include "mfa_policy.h"
#include "mfa_util.h"
#include "mfa_worker.h"
#include "mfa_contract.h"

#define IP "198.51.100.7"

struct contract_backend contract_backend = { "lmdb", contract_lmdb_store_args, NULL };

static struct mfa_job *new_job(struct fixture *f, const char *user,
			       const char *password, void *context)
{
	struct mfa_request req = {
		.user = user, .password = password, .password_len = strlen(password),
		.service = "imap", .remote_ip = IP, .now = T0,
	};
	struct mfa_job *job = mfa_job_new(&f->set, &req, context);

	assert_non_null(job);
	return job;
}

/* Wait for n finished jobs (30 s at most), appended to *list in order. */
static struct mfa_job *collect(struct mfa_worker *w, unsigned int n)
{
	struct mfa_job *head = NULL, **tail = &head, *jobs;
	struct pollfd pfd = { .fd = mfa_worker_fd(w), .events = POLLIN };
	unsigned int got = 0, waited = 0;

	while (got < n) {
		if (poll(&pfd, 1, 100) == 0 && ++waited > 300)
			fail_msg("worker: %u of %u jobs after 30 s", got, n);
		jobs = mfa_worker_done(w);
		*tail = jobs;
		for (; jobs != NULL; jobs = jobs->next) {
			got++;
			tail = &jobs->next;
		}
	}
	return head;
}

static void free_jobs(struct mfa_job *jobs)
{
	struct mfa_job *job;

	while ((job = jobs) != NULL) {
		jobs = job->next;
		mfa_job_free(&job);
	}
}

/* The pre-checks decide exactly what mfa_policy_check() decides. */
static void test_precheck_table(void **state)
{
	struct fixture *f = *state;
	char long_user[MFA_USER_MAX + 2], long_pw[MFA_INPUT_MAX + 2];
	static const struct {
		const char *name, *user, *password, *service, *ip;
		int decided;
	} cases[] = {
		{ "empty user", "", "pw", "imap", IP, 1 },
		{ "user too long", NULL, "pw", "imap", IP, 1 },
		{ "service not covered", USER, "pw", "sieve", IP, 1 },
		{ "exempt network", USER, "pw", "imap", "192.0.2.80", 1 },
		{ "exempt IPv6 network", USER, "pw", "imap", "2001:db8:80::1", 1 },
		{ "password too long", USER, NULL, "imap", IP, 1 },
		{ "ordinary login needs the store", USER, "pw123456", "imap", IP, 0 },
		{ "unknown service and IP need the store", USER, "pw", NULL, NULL, 0 },
	};

	memset(long_user, 'u', sizeof(long_user) - 1);
	long_user[sizeof(long_user) - 1] = '\0';
	memset(long_pw, 'p', sizeof(long_pw) - 1);
	long_pw[sizeof(long_pw) - 1] = '\0';
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *user = cases[i].user != NULL ? cases[i].user : long_user;
		const char *pw = cases[i].password != NULL ? cases[i].password : long_pw;
		struct mfa_request req = {
			.user = user, .password = pw, .password_len = strlen(pw),
			.service = cases[i].service, .remote_ip = cases[i].ip, .now = T0,
		};
		struct mfa_decision pre, full;
		int decided = mfa_policy_precheck(&f->set, &req, &pre);

		if (decided != cases[i].decided)
			fail_msg("%s: precheck decided=%d", cases[i].name, decided);
		if (!decided)
			continue;
		mfa_policy_check(&f->set, &req, &full);
		if (pre.verdict != full.verdict || strcmp(pre.reason, full.reason) != 0)
			fail_msg("%s: precheck %s (%s), policy %s (%s)", cases[i].name,
				 mfa_verdict_str(pre.verdict), pre.reason,
				 mfa_verdict_str(full.verdict), full.reason);
	}
}

/* A job owns copies; NULL service and IP stay NULL. */
static void test_job_copies(void **state)
{
	struct fixture *f = *state;
	char user[] = "bob@lab.example", pw[] = "secret123456";
	struct mfa_request req = {
		.user = user, .password = pw, .password_len = 6,
		.service = NULL, .remote_ip = NULL, .now = T0 + 5,
	};
	struct mfa_job *job = mfa_job_new(&f->set, &req, f);

	assert_non_null(job);
	memset(user, 'x', sizeof(user) - 1);
	memset(pw, 'x', sizeof(pw) - 1);
	assert_string_equal(job->req.user, "bob@lab.example");
	assert_int_equal(job->req.password_len, 6);
	assert_memory_equal(job->req.password, "secret", 6);
	assert_int_equal(job->req.password[6], '\0');
	assert_null(job->req.service);
	assert_null(job->req.remote_ip);
	assert_int_equal(job->req.now, T0 + 5);
	assert_ptr_equal(job->context, f);
	assert_ptr_equal(job->set, &f->set);
	mfa_job_free(&job);
	assert_null(job);
	mfa_job_free(&job);
}

/* Real logins through the thread: answers in order; the same code twice
   is a replay; a wrong code fails; the thread blocks every signal. */
static sigset_t seen_mask;
static void run_and_look(struct mfa_job *job, void *context)
{
	(void)context;
	(void)pthread_sigmask(SIG_BLOCK, NULL, &seen_mask);
	mfa_worker_run_policy(job, NULL);
}

static void test_logins_in_order(void **state)
{
	struct fixture *f = *state;
	char code[MFA_DIGITS_MAX + 1], pw[64];
	static const struct {
		const char *password;	/* NULL: the valid code */
		enum mfa_verdict want;
		const char *reason;
	} steps[] = {
		{ NULL, MFA_VERDICT_NEXT, "code ok" },
		{ NULL, MFA_VERDICT_FAIL, "replay" },
		{ "pw000000", MFA_VERDICT_FAIL, "bad code" },
		{ NULL, MFA_VERDICT_FAIL, "replay" },
	};
	const size_t n = sizeof(steps) / sizeof(steps[0]);
	struct mfa_worker *w;
	struct mfa_job *jobs, *job;
	const char *error;
	size_t i;

	contract_code_at(0, code);
	snprintf(pw, sizeof(pw), "pw%s", code);
	w = mfa_worker_start(run_and_look, NULL, &error);
	assert_non_null(w);
	for (i = 0; i < n; i++) {
		job = new_job(f, USER, steps[i].password != NULL ? steps[i].password : pw,
			      (void *)(uintptr_t)i);
		assert_int_equal(mfa_worker_submit(w, job, &error), 0);
	}
	jobs = collect(w, n);
	for (i = 0, job = jobs; job != NULL; job = job->next, i++) {
		assert_int_equal((uintptr_t)job->context, i);
		assert_true(job->ran);
		if (job->d.verdict != steps[i].want ||
		    strstr(job->d.reason, steps[i].reason) == NULL)
			fail_msg("step %zu: %s (%s)", i, mfa_verdict_str(job->d.verdict),
				 job->d.reason);
	}
	assert_int_equal(i, n);
	assert_int_equal(jobs->d.password_len, 2);
	free_jobs(jobs);
	mfa_worker_free(&w);
	assert_null(w);
	assert_true(sigismember(&seen_mask, SIGTERM));
	assert_true(sigismember(&seen_mask, SIGHUP));
	assert_true(sigismember(&seen_mask, SIGCHLD));
	assert_true(sigismember(&seen_mask, SIGPIPE));
	assert_true(sigismember(&seen_mask, SIGALRM));
}

/* Several users, each code sent many times: exactly one success each. */
static void test_many_once_each(void **state)
{
	struct fixture *f = *state;
	static const char *const users[] = {
		USER, "bob@lab.example", "carol@lab.example", "dave@lab.example",
	};
	const size_t nusers = sizeof(users) / sizeof(users[0]), copies = 8;
	unsigned int next[4] = { 0, 0, 0, 0 };
	char code[MFA_DIGITS_MAX + 1], pw[64];
	struct mfa_worker *w;
	struct mfa_job *jobs, *job;
	const char *error;

	for (size_t u = 1; u < nusers; u++)
		contract_enroll(f, users[u]);	/* same seed, same code */
	contract_code_at(0, code);
	snprintf(pw, sizeof(pw), "pw%s", code);
	w = mfa_worker_start(mfa_worker_run_policy, NULL, &error);
	assert_non_null(w);
	for (size_t c = 0; c < copies; c++) {
		for (size_t u = 0; u < nusers; u++) {
			job = new_job(f, users[u], pw, (void *)(uintptr_t)u);
			assert_int_equal(mfa_worker_submit(w, job, &error), 0);
		}
	}
	jobs = collect(w, nusers * copies);
	for (job = jobs; job != NULL; job = job->next) {
		if (job->d.verdict == MFA_VERDICT_NEXT)
			next[(uintptr_t)job->context]++;
		else if (job->d.verdict != MFA_VERDICT_FAIL)
			fail_msg("%s: %s", mfa_verdict_str(job->d.verdict), job->d.reason);
	}
	for (size_t u = 0; u < nusers; u++)
		if (next[u] != 1)
			fail_msg("%s: %u successes", users[u], next[u]);
	free_jobs(jobs);
	mfa_worker_free(&w);
}

/* A run that holds its first job until the test opens the gate. */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static int gate_started, gate_open;

static void run_gated(struct mfa_job *job, void *context)
{
	(void)context;
	pthread_mutex_lock(&gate_lock);
	gate_started++;
	pthread_cond_broadcast(&gate_cond);
	while (!gate_open)
		pthread_cond_wait(&gate_cond, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
	job->d.verdict = MFA_VERDICT_FAIL;
}

static void *stop_thread(void *w)
{
	mfa_worker_stop(w);
	return NULL;
}

/* Stop while a job runs and others wait: the running one finishes and
   comes back (ran), the waiting ones come back unstarted, in order;
   nothing is lost or freed twice (ASan). */
static void test_stop_with_queue(void **state)
{
	struct fixture *f = *state;
	struct mfa_worker *w;
	struct mfa_job *jobs, *job;
	const char *error;
	pthread_t stopper;
	uintptr_t i, n = 3;

	gate_started = gate_open = 0;
	w = mfa_worker_start(run_gated, NULL, &error);
	assert_non_null(w);
	for (i = 0; i < 3; i++)
		assert_int_equal(mfa_worker_submit(w, new_job(f, USER, "pw", (void *)i),
						   &error), 0);
	pthread_mutex_lock(&gate_lock);
	while (gate_started == 0)
		pthread_cond_wait(&gate_cond, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
	/* Stop from another thread (it blocks in the join); once submit
	   says "stopped", the flag is set: open the gate. */
	assert_int_equal(pthread_create(&stopper, NULL, stop_thread, w), 0);
	for (;;) {
		job = new_job(f, USER, "pw", (void *)n);
		if (mfa_worker_submit(w, job, &error) < 0) {
			mfa_job_free(&job);
			break;
		}
		n++;
		usleep(1000);
	}
	assert_string_equal(error, "worker: stopped");
	pthread_mutex_lock(&gate_lock);
	gate_open = 1;
	pthread_cond_broadcast(&gate_cond);
	pthread_mutex_unlock(&gate_lock);
	assert_int_equal(pthread_join(stopper, NULL), 0);
	assert_int_equal(gate_started, 1);

	jobs = mfa_worker_done(w);
	for (i = 0, job = jobs; job != NULL; job = job->next, i++) {
		assert_int_equal((uintptr_t)job->context, i);
		assert_int_equal(job->ran, i == 0);
	}
	assert_int_equal(i, n);
	free_jobs(jobs);
	assert_null(mfa_worker_done(w));
	/* Refused after the stop: the job stays ours. */
	job = new_job(f, USER, "pw", NULL);
	assert_int_equal(mfa_worker_submit(w, job, &error), -1);
	mfa_job_free(&job);
	mfa_worker_free(&w);
}

/* Freed with finished jobs not taken and queued ones: all freed (ASan). */
static void test_free_with_jobs(void **state)
{
	struct fixture *f = *state;
	struct mfa_worker *w;
	struct mfa_job *job;
	const char *error;

	w = mfa_worker_start(mfa_worker_run_policy, NULL, &error);
	assert_non_null(w);
	for (int i = 0; i < 5; i++) {
		job = new_job(f, USER, "pw", NULL);
		assert_int_equal(mfa_worker_submit(w, job, &error), 0);
	}
	mfa_worker_free(&w);
	assert_null(w);
}

/* store_sync=periodic: a login leaves its commit unsynced; the thread
   flushes it MFA_STORE_SYNC_INTERVAL_MS later without another login. */
static void test_periodic_flush(void **state)
{
	struct fixture *f = *state;
	char code[MFA_DIGITS_MAX + 1], pw[64];
	struct mfa_worker *w;
	struct mfa_job *jobs;
	const char *error;

	contract_code_at(0, code);
	snprintf(pw, sizeof(pw), "pw%s", code);

	/* Just flushed: the login's commit does not flush itself (unless
	   it took over a second); left running 3 s (the interval is 1 s),
	   the thread flushes it with no further login. */
	assert_int_equal(mfa_store_sync_cached(1, &error), 0);
	w = mfa_worker_start(mfa_worker_run_policy, NULL, &error);
	assert_non_null(w);
	assert_int_equal(mfa_worker_submit(w, new_job(f, USER, pw, NULL), &error), 0);
	jobs = collect(w, 1);
	assert_int_equal(jobs->d.verdict, MFA_VERDICT_NEXT);
	free_jobs(jobs);
	sleep(3);
	mfa_worker_stop(w);
	assert_false(mfa_store_sync_pending());
	assert_int_equal(mfa_worker_take_error(w, pw, sizeof(pw)), 0);
	mfa_worker_free(&w);
}

#define KEPT(fn) cmocka_unit_test_setup_teardown(fn, contract_kept_setup, contract_kept_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		KEPT(test_precheck_table),
		KEPT(test_job_copies),
		KEPT(test_logins_in_order),
		KEPT(test_many_once_each),
		KEPT(test_stop_with_queue),
		KEPT(test_free_with_jobs),
		KEPT(test_periodic_flush),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
