/*++
 * NAME
 *	test_store_redis 1
 * SUMMARY
 *	unit tests for store_redis.c against a private redis-server
 * DESCRIPTION
 *	Starts redis-server (Debian package redis-server, in
 *	packaging/debian-deps.txt) on a unix socket in a mkdtemp directory,
 *	no TCP port, no persistence; runs what is Redis-specific (TTL as
 *	Redis reports it, WATCH conflicts and store_txn_run() retries,
 *	non-string keys in foreach; test_store_contract.c has the shared
 *	contract);
 *	then kills it (by pid) and checks that a dead server is STORE_ERROR,
 *	never NOTFOUND. A missing redis-server fails the tests.
 *--*/
#include "test_util.h"

#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include <messec/store.h>

static char *dir;
static char sock_path[512], uri[600];
static pid_t redis_pid = -1;
static struct store *store;

static int start_redis(void **state)
{
	char logfile[600];
	const char *err = NULL;
	int i;

	dir = test_tmpdir();
	snprintf(sock_path, sizeof(sock_path), "%s/redis.sock", dir);
	snprintf(logfile, sizeof(logfile), "%s/redis.log", dir);
	redis_pid = test_redis_spawn(dir, sock_path, logfile);
	if (redis_pid < 0)
		return -1;
	/* Wait (bounded) until it accepts connections. */
	snprintf(uri, sizeof(uri), "redis://%s?db=1", sock_path);
	for (i = 0; i < 200; i++) {
		struct timespec ts = { 0, 25 * 1000 * 1000 };

		store = store_open(uri, &err);
		if (store != NULL)
			return 0;
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "redis-server did not start: %s\n", err);
	return -1;
}

static void kill_redis(void)
{
	test_redis_stop(&redis_pid, SIGTERM);
}

static int stop_redis(void **state)
{
	store_close(&store);
	kill_redis();
	test_rmtree(&dir);
	return 0;
}

/* TTL of a key as Redis reports it (-2 missing, -1 none). */
static long long raw_ttl(const char *key)
{
	redisContext *c = redisConnectUnix(sock_path);
	redisReply *rep;
	long long ttl;

	assert_non_null(c);
	assert_int_equal(c->err, 0);
	freeReplyObject(redisCommand(c, "SELECT 1"));
	rep = redisCommand(c, "TTL %s", key);
	assert_non_null(rep);
	ttl = rep->integer;
	freeReplyObject(rep);
	redisFree(c);
	return ttl;
}

static int count_keys(const void *key, size_t klen, const void *value, size_t vlen,
		      void *ctx)
{
	if (ctx != NULL)
		(*(int *)ctx)++;
	return 0;
}

static void test_put_get_del(void **state)
{
	void *v = NULL;
	size_t len;

	assert_false(store_batches(store));	/* one call at a time */
	assert_int_equal(store_batch_begin(store), STORE_NOTFOUND);
	assert_int_equal(store_get(store, "k", 1, &v, &len), STORE_NOTFOUND);
	assert_int_equal(store_put(store, "k", 1, "a\0b", 3, 0), STORE_OK);
	assert_int_equal(store_get(store, "k", 1, &v, &len), STORE_OK);
	assert_int_equal(len, 3);
	assert_memory_equal(v, "a\0b", 4);
	free(v);
	assert_int_equal(raw_ttl("k"), -1);
	assert_int_equal(store_del(store, "k", 1), STORE_OK);
	assert_int_equal(store_del(store, "k", 1), STORE_NOTFOUND);
	assert_int_equal(store_get(store, "k", 1, &v, &len), STORE_NOTFOUND);
}

static void test_ttl(void **state)
{
	long long ttl;

	assert_int_equal(store_put(store, "t", 1, "x", 1, 300), STORE_OK);
	ttl = raw_ttl("t");
	assert_true(ttl > 0 && ttl <= 300);
}

static void test_incr(void **state)
{
	int64_t n = 0;
	void *v;
	long long ttl;

	assert_int_equal(store_incr(store, "c", 1, 5, 600, &n), STORE_OK);
	assert_int_equal(n, 5);
	ttl = raw_ttl("c");
	assert_true(ttl > 0 && ttl <= 600);
	assert_int_equal(store_incr(store, "c", 1, -7, 60, &n), STORE_OK);
	assert_int_equal(n, -2);
	/* The window is fixed: the second TTL did not replace the first. */
	assert_true(raw_ttl("c") > 60);
	assert_int_equal(store_get(store, "c", 1, &v, NULL), STORE_OK);
	assert_string_equal(v, "-2");
	free(v);
	assert_int_equal(store_incr(store, "p", 1, 1, 0, &n), STORE_OK);
	assert_int_equal(raw_ttl("p"), -1);
	assert_int_equal(store_put(store, "s", 1, "abc", 3, 0), STORE_OK);
	assert_int_equal(store_incr(store, "s", 1, 1, 0, &n), STORE_ERROR);
	assert_non_null(strstr(store_error(), "not an integer"));
}

static void *incr_thread(void *p)
{
	int64_t v;
	int i, *errors = p;

	for (i = 0; i < 250; i++) {
		if (store_incr(store, "shared", 6, 1, 3600, &v) != STORE_OK)
			(*errors)++;
	}
	return NULL;
}

static void test_threads(void **state)
{
	pthread_t th[8];
	int errors[8] = { 0 }, i;
	void *v;

	for (i = 0; i < 8; i++)
		assert_int_equal(pthread_create(&th[i], NULL, incr_thread, &errors[i]), 0);
	for (i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(errors[i], 0);
	}
	assert_int_equal(store_get(store, "shared", 6, &v, NULL), STORE_OK);
	assert_string_equal(v, "2000");
	free(v);
	assert_int_equal(store_expire(store), 0);
}

static void test_txn_conflict(void **state)
{
	struct store_txn *txn;
	void *v = NULL;

	assert_int_equal(store_put(store, "x", 1, "1", 1, 0), STORE_OK);
	/* Read (WATCH) in the transaction, then another writer (another
	   pooled connection: another host) changes the key. */
	txn = store_txn_begin(store);
	assert_non_null(txn);
	assert_int_equal(store_txn_get(txn, "x", 1, &v, NULL), STORE_OK);
	free(v);
	assert_int_equal(store_put(store, "x", 1, "other", 5, 0), STORE_OK);
	assert_int_equal(store_txn_put(txn, "x", 1, "2", 1, 0), STORE_OK);
	assert_int_equal(store_txn_put(txn, "y", 1, "2", 1, 0), STORE_OK);
	assert_int_equal(store_txn_commit(&txn), STORE_CONFLICT);
	/* Nothing of the transaction was written. */
	assert_int_equal(store_get(store, "x", 1, &v, NULL), STORE_OK);
	assert_string_equal(v, "other");
	free(v);
	assert_int_equal(store_exists(store, "y", 1), STORE_NOTFOUND);

	/* A read-only transaction whose read changed: CONFLICT too. */
	txn = store_txn_begin(store);
	assert_int_equal(store_txn_get(txn, "x", 1, NULL, NULL), STORE_OK);
	assert_int_equal(store_del(store, "x", 1), STORE_OK);
	assert_int_equal(store_txn_commit(&txn), STORE_CONFLICT);

	/* A key that did not exist when read and was created meanwhile. */
	txn = store_txn_begin(store);
	assert_int_equal(store_txn_del(txn, "z", 1), STORE_NOTFOUND);
	assert_int_equal(store_put(store, "z", 1, "new", 3, 0), STORE_OK);
	assert_int_equal(store_txn_put(txn, "w", 1, "1", 1, 0), STORE_OK);
	assert_int_equal(store_txn_commit(&txn), STORE_CONFLICT);
	assert_int_equal(store_exists(store, "w", 1), STORE_NOTFOUND);

	/* A key walked by foreach is watched as well. */
	txn = store_txn_begin(store);
	assert_int_equal(store_put(store, "f:1", 3, "a", 1, 0), STORE_OK);
	assert_int_equal(store_txn_foreach(txn, "f:", 2, count_keys, NULL), STORE_OK);
	assert_int_equal(store_put(store, "f:1", 3, "b", 1, 0), STORE_OK);
	assert_int_equal(store_txn_put(txn, "w", 1, "1", 1, 0), STORE_OK);
	assert_int_equal(store_txn_commit(&txn), STORE_CONFLICT);
}

struct rerun {
	int calls;
};

/* First run: another writer changes "r" after this read; the rerun sees
   the new value and commits. */
static enum store_result bump_with_interference(struct store_txn *txn, void *ctx)
{
	struct rerun *c = ctx;
	void *v = NULL;
	char text[16];
	int n;

	c->calls++;
	if (store_txn_get(txn, "r", 1, &v, NULL) != STORE_OK)
		return STORE_ERROR;
	n = atoi(v);
	free(v);
	if (c->calls == 1 && store_put(store, "r", 1, "10", 2, 0) != STORE_OK)
		return STORE_ERROR;
	snprintf(text, sizeof(text), "%d", n + 1);
	return store_txn_put(txn, "r", 1, text, strlen(text), 0);
}

static enum store_result always_interfere(struct store_txn *txn, void *ctx)
{
	struct rerun *c = ctx;

	c->calls++;
	if (store_txn_get(txn, "r", 1, NULL, NULL) != STORE_OK ||
	    store_put(store, "r", 1, "0", 1, 0) != STORE_OK)
		return STORE_ERROR;
	return store_txn_put(txn, "r", 1, "x", 1, 0);
}

static void test_txn_run_retries(void **state)
{
	struct rerun c = { 0 };
	void *v;

	assert_int_equal(store_put(store, "r", 1, "1", 1, 0), STORE_OK);
	assert_int_equal(store_txn_run(store, bump_with_interference, &c), STORE_OK);
	assert_int_equal(c.calls, 2);
	assert_int_equal(store_get(store, "r", 1, &v, NULL), STORE_OK);
	assert_string_equal(v, "11");
	free(v);
	/* Bounded: a transaction that always loses gives up with CONFLICT. */
	c.calls = 0;
	assert_int_equal(store_txn_run(store, always_interfere, &c), STORE_CONFLICT);
	assert_int_equal(c.calls, STORE_TXN_ATTEMPTS);
	assert_non_null(strstr(store_error(), "after 16 attempts"));
}

static void test_ttl_forms(void **state)
{
	struct store_txn *txn;
	long long ttl;

	assert_int_equal(store_put_new(store, "pn", 2, "x", 1, 300), STORE_OK);
	ttl = raw_ttl("pn");
	assert_true(ttl > 0 && ttl <= 300);
	assert_int_equal(store_put_new(store, "pn", 2, "y", 1, 900), STORE_EXISTS);
	assert_true(raw_ttl("pn") <= 300);
	txn = store_txn_begin(store);
	assert_int_equal(store_txn_put(txn, "tt", 2, "x", 1, 400), STORE_OK);
	assert_int_equal(store_txn_put(txn, "tn", 2, "x", 1, 0), STORE_OK);
	assert_int_equal(store_txn_commit(&txn), STORE_OK);
	ttl = raw_ttl("tt");
	assert_true(ttl > 300 && ttl <= 400);
	assert_int_equal(raw_ttl("tn"), -1);
}

static void test_foreach_skips_other_types(void **state)
{
	redisContext *c = redisConnectUnix(sock_path);
	int n = 0;

	assert_non_null(c);
	freeReplyObject(redisCommand(c, "SELECT 1"));
	freeReplyObject(redisCommand(c, "HSET h:hash f v"));
	freeReplyObject(redisCommand(c, "SET h:str v"));
	redisFree(c);
	assert_int_equal(store_foreach(store, "h:", 2, count_keys, &n), STORE_OK);
	assert_int_equal(n, 1);
}

static void test_server_gone(void **state)
{
	void *v = NULL;
	int64_t n;

	kill_redis();
	/* A dead server is an error, never "not found". */
	assert_int_equal(store_get(store, "k", 1, &v, NULL), STORE_ERROR);
	assert_non_null(strstr(store_error(), "redis"));
	assert_int_equal(store_incr(store, "c", 1, 1, 0, &n), STORE_ERROR);
	assert_int_equal(store_del(store, "c", 1), STORE_ERROR);
}

int main(void)
{
	struct test_list l = { 0 };

	tests_add(&l, "redis put, get, del, binary value", test_put_get_del, NULL);
	tests_add(&l, "redis put with TTL sets EX", test_ttl, NULL);
	tests_add(&l, "redis incr: fixed window, no TTL, non-integer", test_incr, NULL);
	tests_add(&l, "redis 8 threads x 250 increments give exactly 2000", test_threads, NULL);
	tests_add(&l, "redis txn: a key changed after WATCH is CONFLICT, nothing written",
		  test_txn_conflict, NULL);
	tests_add(&l, "redis txn_run reruns on CONFLICT, bounded", test_txn_run_retries, NULL);
	tests_add(&l, "redis put_new and txn put set EX; put_new keeps the first", test_ttl_forms, NULL);
	tests_add(&l, "redis foreach skips keys that are not strings",
		  test_foreach_skips_other_types, NULL);
	tests_add(&l, "redis server gone is STORE_ERROR", test_server_gone, NULL);
	return tests_run(&l, "store_redis", start_redis, stop_redis);
}
