/*++
 * NAME
 *	test_log 1
 * SUMMARY
 *	unit tests for mfa_log.c: common/'s log lines into a host logger
 *	that only its own thread may call
 *--*/
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "mfa_log.h"

#define SEEN_MAX 64

static struct {
	size_t count;
	enum log_level levels[SEEN_MAX];
	char lines[SEEN_MAX][MFA_LOG_LINE_MAX];
	pthread_t threads[SEEN_MAX];
} seen;

static void emit(enum log_level level, const char *text)
{
	assert_true(seen.count < SEEN_MAX);
	seen.levels[seen.count] = level;
	snprintf(seen.lines[seen.count], MFA_LOG_LINE_MAX, "%s", text);
	seen.threads[seen.count] = pthread_self();
	seen.count++;
}

static int setup(void **state)
{
	(void)state;
	memset(&seen, 0, sizeof(seen));
	mfa_log_route(emit);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	mfa_log_unroute();
	return 0;
}

static void *log_lines(void *arg)
{
	int n = *(int *)arg;

	for (int i = 0; i < n; i++)
		log_warnx("from the worker %d", i);
	return NULL;
}

static void run_thread(int n)
{
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, log_lines, &n), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
}

static void test_owner_thread_at_once(void **state)
{
	(void)state;
	log_error("store: %s", "down");
	assert_int_equal(seen.count, 1);
	assert_int_equal(seen.levels[0], LOG_LEVEL_ERROR);
	assert_string_equal(seen.lines[0], "store: down");
	assert_true(pthread_equal(seen.threads[0], pthread_self()));
}

static void test_other_thread_waits_for_drain(void **state)
{
	(void)state;
	run_thread(3);
	/* Never the host's logger from the worker thread. */
	assert_int_equal(seen.count, 0);
	mfa_log_drain();
	assert_int_equal(seen.count, 3);
	for (size_t i = 0; i < 3; i++) {
		char want[64];

		snprintf(want, sizeof(want), "from the worker %zu", i);
		assert_string_equal(seen.lines[i], want);
		assert_int_equal(seen.levels[i], LOG_LEVEL_WARNING);
		assert_true(pthread_equal(seen.threads[i], pthread_self()));
	}
	mfa_log_drain();
	assert_int_equal(seen.count, 3);
}

static void test_queue_is_bounded(void **state)
{
	(void)state;
	run_thread(MFA_LOG_QUEUE_MAX + 5);
	mfa_log_drain();
	assert_int_equal(seen.count, MFA_LOG_QUEUE_MAX + 1);
	assert_string_equal(seen.lines[MFA_LOG_QUEUE_MAX - 1], "from the worker 31");
	assert_string_equal(seen.lines[MFA_LOG_QUEUE_MAX],
			    "5 log lines of the worker thread dropped (queue full)");
	assert_int_equal(seen.levels[MFA_LOG_QUEUE_MAX], LOG_LEVEL_WARNING);
}

static void test_unroute_drains(void **state)
{
	(void)state;
	run_thread(1);
	mfa_log_unroute();
	assert_int_equal(seen.count, 1);
	mfa_log_route(emit);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_owner_thread_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_thread_waits_for_drain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_is_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unroute_drains, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
