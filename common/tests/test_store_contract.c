/*++
 * NAME
 *	test_store_contract 1
 * SUMMARY
 *	one store.h contract suite, run against both backends
 * DESCRIPTION
 *	Every case runs twice: on an LMDB file in a mkdtemp directory and
 *	on a private redis-server (unix socket in a mkdtemp directory, no
 *	TCP port, no persistence; test_util.h), each case on an empty
 *	store. Cases: get/put/exists/del, put-if-absent, incr, prefix walk
 *	(glob characters in the prefix are literal), transactions (read
 *	your writes, isolation before commit, abort, foreach before a
 *	write, del), hash fields (a map under one key, as the MFA plugin
 *	keeps app passwords: read your writes per field, invisible before
 *	commit, hdel, walk of the fields only, walk after a write refused,
 *	field sizes, abort), a fresh handle is not stale and has no sync
 *	pending, store_txn_run(), and two processes (fork) racing
 *	read-modify-write increments of one key through transactions: the
 *	final value equals the number of committed increments (no lost
 *	update). A missing redis-server fails the Redis group.
 *--*/
#include "test_util.h"

#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include <messec/store.h>

struct backend {
	const char *name;
	char uri[700];
	char *dir;
	char sock[600];
	pid_t redis_pid;
	int cases;		/* LMDB: a fresh file per case */
};

static struct backend lmdb_backend = { .name = "lmdb", .redis_pid = -1 };
static struct backend redis_backend = { .name = "redis", .redis_pid = -1 };
static struct backend *cur;
static struct store *store;

/* --- per-backend setup */

static int lmdb_group_setup(void **state)
{
	cur = &lmdb_backend;
	cur->dir = test_tmpdir();
	return 0;
}

static int redis_group_setup(void **state)
{
	char logfile[600];
	const char *err = NULL;
	struct store *s;
	int i;

	cur = &redis_backend;
	cur->dir = test_tmpdir();
	snprintf(cur->sock, sizeof(cur->sock), "%s/redis.sock", cur->dir);
	snprintf(logfile, sizeof(logfile), "%s/redis.log", cur->dir);
	snprintf(cur->uri, sizeof(cur->uri), "redis://%s?db=2", cur->sock);
	cur->redis_pid = test_redis_spawn(cur->dir, cur->sock, logfile);
	if (cur->redis_pid < 0)
		return -1;
	for (i = 0; i < 200; i++) {
		struct timespec ts = { 0, 25 * 1000 * 1000 };

		if ((s = store_open(cur->uri, &err)) != NULL) {
			store_close(&s);
			return 0;
		}
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "redis-server did not start: %s\n", err);
	return -1;
}

static int group_teardown(void **state)
{
	test_redis_stop(&cur->redis_pid, SIGTERM);
	test_rmtree(&cur->dir);
	return 0;
}

/* A fresh, empty store for each case. */
static int setup(void **state)
{
	const char *err = NULL;

	if (cur == &lmdb_backend) {
		snprintf(cur->uri, sizeof(cur->uri), "lmdb:%s/c%d.lmdb", cur->dir,
			 cur->cases++);
	} else {
		redisContext *c = redisConnectUnix(cur->sock);
		redisReply *rep;

		if (c == NULL || c->err) {
			if (c != NULL)
				redisFree(c);
			return -1;
		}
		rep = redisCommand(c, "SELECT 2");
		freeReplyObject(rep);
		rep = redisCommand(c, "FLUSHDB");
		freeReplyObject(rep);
		redisFree(c);
	}
	store = store_open(cur->uri, &err);
	if (store == NULL) {
		fprintf(stderr, "store_open %s: %s\n", cur->uri, err);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	store_close(&store);
	return 0;
}

/* --- helpers */

static void want_value(struct store *s, const char *key, const char *want)
{
	void *v = NULL;
	size_t len = 0;

	assert_int_equal(store_get(s, key, strlen(key), &v, &len), STORE_OK);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(v, want, len);
	free(v);
}

static void put(const char *key, const char *value)
{
	assert_int_equal(store_put(store, key, strlen(key), value, strlen(value), 0),
			 STORE_OK);
}

/* --- single-key calls */

static void test_get_put_exists_del(void **state)
{
	void *v = NULL;
	size_t len;

	assert_int_equal(store_get(store, "k", 1, &v, &len), STORE_NOTFOUND);
	assert_int_equal(store_exists(store, "k", 1), STORE_NOTFOUND);
	assert_int_equal(store_put(store, "k", 1, "a\0b", 3, 0), STORE_OK);
	assert_int_equal(store_exists(store, "k", 1), STORE_OK);
	assert_int_equal(store_get(store, "k", 1, &v, &len), STORE_OK);
	assert_int_equal(len, 3);
	assert_memory_equal(v, "a\0b", 4);
	free(v);
	assert_int_equal(store_del(store, "k", 1), STORE_OK);
	assert_int_equal(store_del(store, "k", 1), STORE_NOTFOUND);
	assert_int_equal(store_exists(store, "k", 1), STORE_NOTFOUND);
}

static void test_put_new(void **state)
{
	/* A greylist triplet: the first sighting wins, a later one does
	   not move the first-seen time. */
	assert_int_equal(store_put_new(store, "t", 1, "first", 5, 600), STORE_OK);
	assert_int_equal(store_put_new(store, "t", 1, "second", 6, 600), STORE_EXISTS);
	want_value(store, "t", "first");
	assert_int_equal(store_del(store, "t", 1), STORE_OK);
	assert_int_equal(store_put_new(store, "t", 1, "third", 5, 0), STORE_OK);
	want_value(store, "t", "third");
	assert_int_equal(store_put_new(store, "", 0, "x", 1, 0), STORE_ERROR);
}

static void test_put_new_get(void **state)
{
	void *old = NULL;
	size_t len = 0;

	/* Absent: written, nothing handed back. */
	assert_int_equal(store_put_new_get(store, "g", 1, "1700000000", 10, 600, &old, &len), STORE_OK);
	assert_null(old);
	want_value(store, "g", "1700000000");
	/* Present: left as it is, its value handed back. */
	assert_int_equal(store_put_new_get(store, "g", 1, "1800000000", 10, 600, &old, &len), STORE_EXISTS);
	assert_non_null(old);
	assert_int_equal(len, 10);
	assert_string_equal(old, "1700000000");
	free(old);
	old = NULL;
	want_value(store, "g", "1700000000");
	/* No TTL; a binary value back with its length. */
	assert_int_equal(store_put_new_get(store, "b", 1, "a\0b", 3, 0, &old, &len), STORE_OK);
	assert_int_equal(store_put_new_get(store, "b", 1, "x", 1, 0, &old, &len), STORE_EXISTS);
	assert_int_equal(len, 3);
	assert_memory_equal(old, "a\0b", 4);
	free(old);
	assert_int_equal(store_put_new_get(store, "", 0, "x", 1, 0, &old, NULL), STORE_ERROR);
}

static void test_incr(void **state)
{
	int64_t n = 0;

	assert_int_equal(store_incr(store, "c", 1, 3, 600, &n), STORE_OK);
	assert_int_equal(n, 3);
	assert_int_equal(store_incr(store, "c", 1, -5, 600, &n), STORE_OK);
	assert_int_equal(n, -2);
	want_value(store, "c", "-2");
	put("s", "abc");
	assert_int_equal(store_incr(store, "s", 1, 1, 0, &n), STORE_ERROR);
	assert_non_null(strstr(store_error(), "not an integer"));
}

/* --- prefix walk */

struct walk {
	char seen[16][32];
	int n;
	int stop_after;		/* 0 = never */
	int fail;
};

static int collect(const void *key, size_t klen, const void *value, size_t vlen,
		   void *ctx)
{
	struct walk *w = ctx;

	if (w->fail)
		return -1;
	assert_true(w->n < 16 && klen + vlen + 2 < 32);
	snprintf(w->seen[w->n++], 32, "%.*s=%.*s", (int)klen, (const char *)key,
		 (int)vlen, (const char *)value);
	return w->stop_after != 0 && w->n >= w->stop_after ? 1 : 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void test_foreach(void **state)
{
	struct walk w = { .n = 0 };

	put("a:1", "x");
	put("a:2", "y");
	put("a:3", "z");
	put("b:1", "other");
	put("a", "short");
	put("a*x", "glob");
	put("ab", "near");
	assert_int_equal(store_put(store, "a:9", 3, "gone", 4, 0), STORE_OK);
	assert_int_equal(store_del(store, "a:9", 3), STORE_OK);

	assert_int_equal(store_foreach(store, "a:", 2, collect, &w), STORE_OK);
	assert_int_equal(w.n, 3);
	qsort(w.seen, (size_t)w.n, sizeof(w.seen[0]), cmp_str);
	assert_string_equal(w.seen[0], "a:1=x");
	assert_string_equal(w.seen[1], "a:2=y");
	assert_string_equal(w.seen[2], "a:3=z");

	/* A glob character in the prefix is a literal byte. */
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_foreach(store, "a*", 2, collect, &w), STORE_OK);
	assert_int_equal(w.n, 1);
	assert_string_equal(w.seen[0], "a*x=glob");

	/* Empty prefix: every key. */
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_foreach(store, "", 0, collect, &w), STORE_OK);
	assert_int_equal(w.n, 7);

	/* fn stops the walk (OK) or fails it (ERROR). */
	memset(&w, 0, sizeof(w));
	w.stop_after = 2;
	assert_int_equal(store_foreach(store, "a:", 2, collect, &w), STORE_OK);
	assert_int_equal(w.n, 2);
	memset(&w, 0, sizeof(w));
	w.fail = 1;
	assert_int_equal(store_foreach(store, "a", 1, collect, &w), STORE_ERROR);

	memset(&w, 0, sizeof(w));
	assert_int_equal(store_foreach(store, "zz", 2, collect, &w), STORE_OK);
	assert_int_equal(w.n, 0);
}

/* --- transactions */

static void test_txn_read_your_writes(void **state)
{
	struct store_txn *txn;
	void *v = NULL;
	size_t len;

	put("old", "1");
	txn = store_txn_begin(store);
	assert_non_null(txn);
	assert_int_equal(store_txn_get(txn, "new", 3, &v, &len), STORE_NOTFOUND);
	assert_int_equal(store_txn_put(txn, "new", 3, "v1", 2, 0), STORE_OK);
	assert_int_equal(store_txn_put(txn, "new", 3, "v2", 2, 0), STORE_OK);
	/* The transaction reads its own last write ... */
	assert_int_equal(store_txn_get(txn, "new", 3, &v, &len), STORE_OK);
	assert_int_equal(len, 2);
	assert_memory_equal(v, "v2", 2);
	free(v);
	assert_int_equal(store_txn_get(txn, "new", 3, NULL, NULL), STORE_OK);
	/* ... and its own delete. */
	assert_int_equal(store_txn_del(txn, "old", 3), STORE_OK);
	assert_int_equal(store_txn_get(txn, "old", 3, &v, &len), STORE_NOTFOUND);
	assert_int_equal(store_txn_del(txn, "old", 3), STORE_NOTFOUND);
	assert_int_equal(store_txn_del(txn, "never", 5), STORE_NOTFOUND);
	/* Nobody else sees any of it before commit. */
	assert_int_equal(store_exists(store, "new", 3), STORE_NOTFOUND);
	want_value(store, "old", "1");
	assert_int_equal(store_txn_commit(&txn), STORE_OK);
	assert_null(txn);
	want_value(store, "new", "v2");
	assert_int_equal(store_exists(store, "old", 3), STORE_NOTFOUND);
}

static void test_txn_abort(void **state)
{
	struct store_txn *txn;
	void *v;

	put("keep", "1");
	txn = store_txn_begin(store);
	assert_non_null(txn);
	assert_int_equal(store_txn_get(txn, "keep", 4, &v, NULL), STORE_OK);
	free(v);
	assert_int_equal(store_txn_put(txn, "a", 1, "x", 1, 0), STORE_OK);
	assert_int_equal(store_txn_del(txn, "keep", 4), STORE_OK);
	store_txn_abort(&txn);
	assert_null(txn);
	store_txn_abort(&txn);	/* NULL: no-op */
	assert_int_equal(store_exists(store, "a", 1), STORE_NOTFOUND);
	want_value(store, "keep", "1");
	/* The handle (and on Redis its pooled connection) is usable after. */
	txn = store_txn_begin(store);
	assert_int_equal(store_txn_put(txn, "b", 1, "y", 1, 0), STORE_OK);
	assert_int_equal(store_txn_commit(&txn), STORE_OK);
	want_value(store, "b", "y");
}

static void test_txn_foreach(void **state)
{
	struct store_txn *txn;
	struct walk w = { .n = 0 };

	put("u:alice", "1");
	put("u:bob", "2");
	put("x:carol", "3");
	/* Rekey-like: walk first, then rewrite what was walked. */
	txn = store_txn_begin(store);
	assert_int_equal(store_txn_foreach(txn, "u:", 2, collect, &w), STORE_OK);
	assert_int_equal(w.n, 2);
	assert_int_equal(store_txn_put(txn, "u:alice", 7, "10", 2, 0), STORE_OK);
	assert_int_equal(store_txn_put(txn, "u:bob", 5, "20", 2, 0), STORE_OK);
	/* After a write, a walk would not see it on Redis: refused on both. */
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_txn_foreach(txn, "u:", 2, collect, &w), STORE_ERROR);
	assert_string_equal(store_error(), "foreach after a write in the same transaction");
	assert_int_equal(store_txn_commit(&txn), STORE_OK);
	want_value(store, "u:alice", "10");
	want_value(store, "u:bob", "20");
}

static void test_txn_ttl_and_limits(void **state)
{
	struct store_txn *txn = store_txn_begin(store);
	char *big = calloc(1, STORE_VALUE_MAX + 1);

	assert_int_equal(store_txn_put(txn, "t", 1, "v", 1, 3600), STORE_OK);
	assert_int_equal(store_txn_put(txn, "", 0, "v", 1, 0), STORE_ERROR);
	assert_int_equal(store_txn_put(txn, "b", 1, big, STORE_VALUE_MAX + 1, 0), STORE_ERROR);
	assert_int_equal(store_txn_get(txn, "", 0, NULL, NULL), STORE_ERROR);
	assert_int_equal(store_txn_commit(&txn), STORE_OK);
	want_value(store, "t", "v");
	free(big);
}

/* --- hash fields */

static void hwant(struct store_txn *txn, const char *key, const char *field,
		  const char *want)
{
	void *v = NULL;
	size_t len = 0;

	if (want == NULL) {
		assert_int_equal(store_txn_hget(txn, key, strlen(key), field, strlen(field),
						&v, &len), STORE_NOTFOUND);
		assert_int_equal(store_txn_hget(txn, key, strlen(key), field, strlen(field),
						NULL, NULL), STORE_NOTFOUND);
		return;
	}
	assert_int_equal(store_txn_hget(txn, key, strlen(key), field, strlen(field),
					&v, &len), STORE_OK);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(v, want, len);
	free(v);
	assert_int_equal(store_txn_hget(txn, key, strlen(key), field, strlen(field),
					NULL, NULL), STORE_OK);
}

static void hput(struct store_txn *txn, const char *key, const char *field,
		 const char *value)
{
	assert_int_equal(store_txn_hput(txn, key, strlen(key), field, strlen(field),
					value, strlen(value)), STORE_OK);
}

static void test_hash_fields(void **state)
{
	struct store_txn *txn = store_txn_begin(store);
	struct walk w = { .n = 0 };

	/* The MFA plugin's shape: "a\0<user>\0" -> id -> record (binary). */
	assert_non_null(txn);
	hwant(txn, "h:alice", "abcd", NULL);
	hput(txn, "h:alice", "abcd", "one");
	hput(txn, "h:alice", "abcd", "two");
	hput(txn, "h:alice", "efgh", "three");
	hput(txn, "h:bob", "abcd", "bob's");
	hwant(txn, "h:alice", "abcd", "two");	/* its own last write */
	assert_int_equal(store_txn_hdel(txn, "h:alice", 7, "efgh", 4), STORE_OK);
	hwant(txn, "h:alice", "efgh", NULL);	/* its own delete */
	assert_int_equal(store_txn_hdel(txn, "h:alice", 7, "efgh", 4), STORE_NOTFOUND);
	assert_int_equal(store_txn_hdel(txn, "h:alice", 7, "none", 4), STORE_NOTFOUND);
	/* Fields are not plain values, and a walk after a write is refused. */
	assert_int_equal(store_txn_get(txn, "h:alice", 7, NULL, NULL), STORE_NOTFOUND);
	assert_int_equal(store_txn_hforeach(txn, "h:alice", 7, collect, &w), STORE_ERROR);
	assert_string_equal(store_error(), "foreach after a write in the same transaction");
	assert_int_equal(store_txn_commit(&txn), STORE_OK);

	txn = store_txn_begin(store);
	memset(&w, 0, sizeof(w));
	/* The walk passes the fields of that key only, without the key. */
	assert_int_equal(store_txn_hforeach(txn, "h:alice", 7, collect, &w), STORE_OK);
	assert_int_equal(w.n, 1);
	assert_string_equal(w.seen[0], "abcd=two");
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_txn_hforeach(txn, "h:carol", 7, collect, &w), STORE_OK);
	assert_int_equal(w.n, 0);
	hwant(txn, "h:bob", "abcd", "bob's");
	/* Binary fields and values. */
	assert_int_equal(store_txn_hput(txn, "h:bin", 5, "f\0g", 3, "v\0w", 3), STORE_OK);
	/* Sizes: a field, key + field at most STORE_KEY_MAX. */
	assert_int_equal(store_txn_hput(txn, "h:bin", 5, "", 0, "v", 1), STORE_ERROR);
	{
		char big[STORE_KEY_MAX + 1];

		memset(big, 'f', sizeof(big));
		assert_int_equal(store_txn_hget(txn, "h:bin", 5, big, STORE_KEY_MAX - 4,
						NULL, NULL), STORE_ERROR);
		assert_int_equal(store_txn_hget(txn, "h:bin", 5, big, STORE_KEY_MAX - 5,
						NULL, NULL), STORE_NOTFOUND);
	}
	/* Nobody sees a field before commit. */
	{
		struct store_txn *other;

		assert_int_equal(store_txn_commit(&txn), STORE_OK);
		txn = store_txn_begin(store);
		hput(txn, "h:alice", "zzzz", "late");
		store_txn_abort(&txn);
		other = store_txn_begin(store);
		hwant(other, "h:alice", "zzzz", NULL);
		hwant(other, "h:alice", "abcd", "two");
		{
			void *v = NULL;
			size_t len = 0;

			assert_int_equal(store_txn_hget(other, "h:bin", 5, "f\0g", 3, &v, &len),
					 STORE_OK);
			assert_int_equal(len, 3);
			assert_memory_equal(v, "v\0w", 3);
			free(v);
		}
		assert_int_equal(store_txn_commit(&other), STORE_OK);
	}
}

static void test_hash_delete_all(void **state)
{
	struct store_txn *txn = store_txn_begin(store);
	struct walk w = { .n = 0 };

	hput(txn, "h:u", "a1", "x");
	hput(txn, "h:u", "a2", "y");
	assert_int_equal(store_txn_commit(&txn), STORE_OK);
	txn = store_txn_begin(store);
	assert_int_equal(store_txn_hdel(txn, "h:u", 3, "a1", 2), STORE_OK);
	assert_int_equal(store_txn_hdel(txn, "h:u", 3, "a2", 2), STORE_OK);
	assert_int_equal(store_txn_commit(&txn), STORE_OK);
	txn = store_txn_begin(store);
	assert_int_equal(store_txn_hforeach(txn, "h:u", 3, collect, &w), STORE_OK);
	assert_int_equal(w.n, 0);
	store_txn_abort(&txn);
}

static void test_stale_and_pending(void **state)
{
	/* A fresh handle on a store nobody touched: usable as is; the
	   default sync mode leaves nothing pending. */
	assert_int_equal(store_stale(store), 0);
	put("k", "v");
	assert_int_equal(store_stale(store), 0);
	assert_int_equal(store_sync_pending(store), 0);
}

struct counter {
	int calls;
};

/* Read-modify-write of "n" (decimal text), the way a rate counter or a
   failure count inside a record is updated. */
static enum store_result add_one(struct store_txn *txn, void *ctx)
{
	struct counter *c = ctx;
	void *v = NULL;
	size_t len = 0;
	long long n = 0;
	char text[32];
	enum store_result r;

	if (c != NULL)
		c->calls++;
	r = store_txn_get(txn, "n", 1, &v, &len);
	if (r == STORE_ERROR)
		return STORE_ERROR;
	if (r == STORE_OK) {
		n = strtoll(v, NULL, 10);
		free(v);
	}
	len = (size_t)snprintf(text, sizeof(text), "%lld", n + 1);
	return store_txn_put(txn, "n", 1, text, len, 0);
}

static enum store_result refuse(struct store_txn *txn, void *ctx)
{
	assert_int_equal(store_txn_put(txn, "no", 2, "x", 1, 0), STORE_OK);
	return STORE_NOTFOUND;
}

static void test_txn_run(void **state)
{
	struct counter c = { 0 };
	int i;

	for (i = 0; i < 5; i++)
		assert_int_equal(store_txn_run(store, add_one, &c), STORE_OK);
	assert_int_equal(c.calls, 5);
	want_value(store, "n", "5");
	/* fn's own answer other than OK aborts and is passed back. */
	assert_int_equal(store_txn_run(store, refuse, NULL), STORE_NOTFOUND);
	assert_int_equal(store_exists(store, "no", 2), STORE_NOTFOUND);
}

#define RACE_ROUNDS 300

/* Child: its own handle (never the parent's after fork), RACE_ROUNDS
   transactional increments; reports committed and given-up counts. */
static void race_child(int fd)
{
	const char *err = NULL;
	struct store *s = store_open(cur->uri, &err);
	int counts[2] = { 0, 0 }, i;
	enum store_result r;

	if (s == NULL)
		_exit(2);
	for (i = 0; i < RACE_ROUNDS; i++) {
		r = store_txn_run(s, add_one, NULL);
		if (r == STORE_OK)
			counts[0]++;
		else if (r == STORE_CONFLICT)
			counts[1]++;
		else
			_exit(3);
	}
	store_close(&s);
	if (write(fd, counts, sizeof(counts)) != (ssize_t)sizeof(counts))
		_exit(4);
	_exit(0);
}

static void test_two_processes_race(void **state)
{
	int fds[2][2], counts[2][2], i, status;
	pid_t pid[2];
	void *v;
	long long final;

	/* The parent holds its handle open across the fork, as a daemon
	   with a store would. */
	put("n", "0");
	for (i = 0; i < 2; i++) {
		assert_int_equal(pipe(fds[i]), 0);
		pid[i] = fork();
		assert_true(pid[i] >= 0);
		if (pid[i] == 0) {
			close(fds[i][0]);
			race_child(fds[i][1]);
		}
		close(fds[i][1]);
	}
	for (i = 0; i < 2; i++) {
		assert_int_equal(read(fds[i][0], counts[i], sizeof(counts[i])),
				 sizeof(counts[i]));
		close(fds[i][0]);
		assert_int_equal(waitpid(pid[i], &status, 0), pid[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	assert_int_equal(store_get(store, "n", 1, &v, NULL), STORE_OK);
	final = strtoll(v, NULL, 10);
	free(v);
	printf("# %s race: committed %d + %d, gave up %d + %d, final %lld\n",
	       cur->name, counts[0][0], counts[1][0], counts[0][1], counts[1][1], final);
	/* No lost update: every committed increment is in the value. A
	   transaction that gave up after STORE_TXN_ATTEMPTS conflicts wrote
	   nothing, so it must not be there. */
	assert_int_equal(final, counts[0][0] + counts[1][0]);
	assert_int_equal(counts[0][0] + counts[0][1], RACE_ROUNDS);
	assert_int_equal(counts[1][0] + counts[1][1], RACE_ROUNDS);
	/* Retrying makes progress: most increments commit. */
	assert_true(final >= RACE_ROUNDS);
	/* The parent's handle still works after the children closed theirs. */
	put("after", "1");
	want_value(store, "after", "1");
}

static const struct {
	const char *name;
	CMUnitTestFunction fn;
} contract[] = {
	{ "get, put, exists, del, binary value", test_get_put_exists_del },
	{ "put_new: OK, then EXISTS leaving the first value", test_put_new },
	{ "put_new_get: OK when written, EXISTS with the live value", test_put_new_get },
	{ "incr: add, negative, decimal text, non-integer is an error", test_incr },
	{ "foreach: prefix, literal glob byte, all keys, stop, fail", test_foreach },
	{ "txn: read your writes, invisible before commit, del", test_txn_read_your_writes },
	{ "txn: abort discards writes, handle usable after", test_txn_abort },
	{ "txn: foreach before writes; after a write it is an error", test_txn_foreach },
	{ "txn: TTL put, size limits", test_txn_ttl_and_limits },
	{ "hash fields: read your writes, hdel, walk, sizes, isolation", test_hash_fields },
	{ "hash fields: deleting every field leaves an empty walk", test_hash_delete_all },
	{ "store_stale 0 and nothing pending on a fresh handle", test_stale_and_pending },
	{ "txn_run: commits fn's writes, passes back fn's refusal", test_txn_run },
	{ "two processes racing increments in transactions lose no update", test_two_processes_race },
};

static int run_group(const char *group, CMFixtureFunction gsetup)
{
	struct test_list l = { 0 };
	char names[sizeof(contract) / sizeof(contract[0])][160];
	size_t i;

	for (i = 0; i < sizeof(contract) / sizeof(contract[0]); i++) {
		snprintf(names[i], sizeof(names[i]), "%s: %s", group, contract[i].name);
		tests_add(&l, names[i], contract[i].fn, NULL);
		l.items[l.count - 1].setup_func = setup;
		l.items[l.count - 1].teardown_func = teardown;
	}
	return tests_run(&l, group, gsetup, group_teardown);
}

int main(void)
{
	int rc = 0;

	rc |= run_group("lmdb", lmdb_group_setup);
	rc |= run_group("redis", redis_group_setup);
	return rc;
}
