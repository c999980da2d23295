/*++
 * NAME
 *	test_store 1
 * SUMMARY
 *	unit tests for store.c/store_lmdb.c: put/get/incr/del, TTL with a
 *	fake clock, expire, limits, threads, the address grammar (strict,
 *	one error per malformed part), sync modes, expiry in put_new and
 *	foreach, records=plain (files written without the expiry header,
 *	checked with LMDB's own API), create=no, store_stale() on a file
 *	removed / replaced / with its lock file replaced, store_sync_pending()
 *	(test_store_contract.c has the cases shared with Redis)
 *--*/
#include "test_util.h"

#include <pthread.h>
#include <sys/stat.h>

#include <lmdb.h>

#include <messec/store.h>

static time_t fake_now = 1000000;

static time_t fake_clock(void)
{
	return fake_now;
}

struct fixture {
	char *dir;
	char uri[600];
	struct store *store;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *err = NULL;

	f->dir = test_tmpdir();
	snprintf(f->uri, sizeof(f->uri), "lmdb:%s/s.lmdb", f->dir);
	f->store = store_open(f->uri, &err);
	if (f->store == NULL) {
		fprintf(stderr, "store_open: %s\n", err);
		return -1;
	}
	fake_now = 1000000;
	store_set_clock(fake_clock);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	store_set_clock(NULL);
	store_close(&f->store);
	test_rmtree(&f->dir);
	free(f);
	return 0;
}

static void test_put_get(void **state)
{
	struct fixture *f = *state;
	void *v = NULL;
	size_t len = 0;
	struct stat st;
	char path[600];

	assert_int_equal(store_get(f->store, "k", 1, &v, &len), STORE_NOTFOUND);
	assert_int_equal(store_put(f->store, "k", 1, "value", 5, 0), STORE_OK);
	assert_int_equal(store_get(f->store, "k", 1, &v, &len), STORE_OK);
	assert_int_equal(len, 5);
	assert_string_equal(v, "value");
	free(v);
	/* Overwrite, binary value, empty value. */
	assert_int_equal(store_put(f->store, "k", 1, "a\0b", 3, 0), STORE_OK);
	assert_int_equal(store_get(f->store, "k", 1, &v, &len), STORE_OK);
	assert_int_equal(len, 3);
	assert_memory_equal(v, "a\0b", 4);
	free(v);
	assert_int_equal(store_put(f->store, "e", 1, "", 0, 0), STORE_OK);
	assert_int_equal(store_get(f->store, "e", 1, &v, &len), STORE_OK);
	assert_int_equal(len, 0);
	free(v);
	/* The file is private to the daemon user. */
	snprintf(path, sizeof(path), "%s/s.lmdb", f->dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

static void test_del(void **state)
{
	struct fixture *f = *state;
	void *v;

	assert_int_equal(store_del(f->store, "k", 1), STORE_NOTFOUND);
	assert_int_equal(store_put(f->store, "k", 1, "x", 1, 0), STORE_OK);
	assert_int_equal(store_del(f->store, "k", 1), STORE_OK);
	assert_int_equal(store_get(f->store, "k", 1, &v, NULL), STORE_NOTFOUND);
	assert_int_equal(store_del(f->store, "k", 1), STORE_NOTFOUND);
}

static void test_ttl(void **state)
{
	struct fixture *f = *state;
	void *v;

	assert_int_equal(store_put(f->store, "t", 1, "x", 1, 60), STORE_OK);
	fake_now += 59;
	assert_int_equal(store_get(f->store, "t", 1, &v, NULL), STORE_OK);
	free(v);
	fake_now += 1;
	assert_int_equal(store_get(f->store, "t", 1, &v, NULL), STORE_NOTFOUND);
	/* An expired key deletes as NOTFOUND too. */
	assert_int_equal(store_del(f->store, "t", 1), STORE_NOTFOUND);
	/* TTL 0 never expires. */
	assert_int_equal(store_put(f->store, "p", 1, "x", 1, 0), STORE_OK);
	fake_now += 100000000;
	assert_int_equal(store_get(f->store, "p", 1, &v, NULL), STORE_OK);
	free(v);
}

static void test_incr(void **state)
{
	struct fixture *f = *state;
	int64_t n = 0;
	void *v;
	size_t len;

	assert_int_equal(store_incr(f->store, "c", 1, 1, 60, &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_incr(f->store, "c", 1, 5, 60, &n), STORE_OK);
	assert_int_equal(n, 6);
	assert_int_equal(store_incr(f->store, "c", 1, -10, 60, &n), STORE_OK);
	assert_int_equal(n, -4);
	/* Stored as decimal text, like Redis INCR. */
	assert_int_equal(store_get(f->store, "c", 1, &v, &len), STORE_OK);
	assert_string_equal(v, "-4");
	free(v);
	/* The window is fixed: later increments keep the first expiry. */
	fake_now += 30;
	assert_int_equal(store_incr(f->store, "c", 1, 1, 60, &n), STORE_OK);
	fake_now += 30;
	assert_int_equal(store_get(f->store, "c", 1, &v, &len), STORE_NOTFOUND);
	/* Expired: starts again at 0 with a new TTL. */
	assert_int_equal(store_incr(f->store, "c", 1, 2, 60, &n), STORE_OK);
	assert_int_equal(n, 2);
	/* A value that is not a number is an error, not a reset. */
	assert_int_equal(store_put(f->store, "s", 1, "abc", 3, 0), STORE_OK);
	assert_int_equal(store_incr(f->store, "s", 1, 1, 0, &n), STORE_ERROR);
	assert_non_null(strstr(store_error(), "not an integer"));
	/* Overflow is an error. */
	assert_int_equal(store_put(f->store, "m", 1, "9223372036854775807", 19, 0), STORE_OK);
	assert_int_equal(store_incr(f->store, "m", 1, 1, 0, &n), STORE_ERROR);
	assert_non_null(strstr(store_error(), "overflow"));
}

static void test_expire(void **state)
{
	struct fixture *f = *state;
	char key[16];
	int i;
	void *v;

	for (i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(store_put(f->store, key, strlen(key), "x", 1,
					   i < 7 ? 10 : 0), STORE_OK);
	}
	assert_int_equal(store_expire(f->store), 0);
	fake_now += 10;
	assert_int_equal(store_expire(f->store), 7);
	assert_int_equal(store_expire(f->store), 0);
	assert_int_equal(store_get(f->store, "k9", 2, &v, NULL), STORE_OK);
	free(v);
}

static void test_limits(void **state)
{
	struct fixture *f = *state;
	char key[STORE_KEY_MAX + 1];
	char *big = calloc(1, STORE_VALUE_MAX + 1);
	void *v;

	memset(key, 'k', sizeof(key));
	assert_int_equal(store_put(f->store, key, STORE_KEY_MAX, "x", 1, 0), STORE_OK);
	assert_int_equal(store_put(f->store, key, STORE_KEY_MAX + 1, "x", 1, 0), STORE_ERROR);
	assert_string_equal(store_error(), "key length 512 (expected 1..511 bytes)");
	assert_int_equal(store_get(f->store, key, 0, &v, NULL), STORE_ERROR);
	assert_int_equal(store_put(f->store, "big", 3, big, STORE_VALUE_MAX, 0), STORE_OK);
	assert_int_equal(store_put(f->store, "big", 3, big, STORE_VALUE_MAX + 1, 0), STORE_ERROR);
	assert_string_equal(store_error(), "value length 65537 (expected at most 65536 bytes)");
	free(big);
}

struct thread_arg {
	struct store *store;
	int n;
	int errors;
};

static void *incr_thread(void *p)
{
	struct thread_arg *a = p;
	int64_t v;
	int i;

	for (i = 0; i < a->n; i++) {
		if (store_incr(a->store, "shared", 6, 1, 3600, &v) != STORE_OK)
			a->errors++;
	}
	return NULL;
}

static void test_threads(void **state)
{
	struct fixture *f = *state;
	pthread_t th[8];
	struct thread_arg args[8];
	void *v;
	int i;

	for (i = 0; i < 8; i++) {
		args[i] = (struct thread_arg){ f->store, 250, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, incr_thread, &args[i]), 0);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(args[i].errors, 0);
	}
	assert_int_equal(store_get(f->store, "shared", 6, &v, NULL), STORE_OK);
	assert_string_equal(v, "2000");
	free(v);
}

static void test_shared_env(void **state)
{
	struct fixture *f = *state;
	const char *err = NULL;
	struct store *second = store_open(f->uri, &err);
	void *v;

	/* A second handle on the same file sees the same data and closing
	   it leaves the first usable. */
	assert_non_null(second);
	assert_int_equal(store_put(f->store, "x", 1, "1", 1, 0), STORE_OK);
	assert_int_equal(store_get(second, "x", 1, &v, NULL), STORE_OK);
	free(v);
	store_close(&second);
	assert_null(second);
	assert_int_equal(store_get(f->store, "x", 1, &v, NULL), STORE_OK);
	free(v);
}

static void test_persist(void **state)
{
	struct fixture *f = *state;
	const char *err = NULL;
	void *v;

	assert_int_equal(store_put(f->store, "keep", 4, "yes", 3, 0), STORE_OK);
	store_close(&f->store);
	f->store = store_open(f->uri, &err);
	assert_non_null(f->store);
	assert_int_equal(store_get(f->store, "keep", 4, &v, NULL), STORE_OK);
	assert_string_equal(v, "yes");
	free(v);
}

struct uri_case {
	const char *name, *uri, *want;
};

#define UNKNOWN "unknown store (expected lmdb:/path, redis://host[:port][/db] or redis:///socket)"
#define BAD_REDIS "bad redis address (expected redis://host[:port][/db] or redis:///path/to/socket)"
#define BAD_HOST "bad host (expected a name, an IPv4 address or [IPv6])"

static const struct uri_case uri_cases[] = {
	{ "unknown scheme", "bdb:/var/x.db", "bdb:/var/x.db: " UNKNOWN },
	{ "no scheme", "/var/x.lmdb", "/var/x.lmdb: " UNKNOWN },
	{ "scheme case matters", "LMDB:/var/x.lmdb", "LMDB:/var/x.lmdb: " UNKNOWN },
	{ "lmdb relative", "lmdb:x.lmdb", "lmdb:x.lmdb: bad path (expected lmdb:/absolute/path)" },
	{ "lmdb empty", "lmdb:", "lmdb:: bad path (expected lmdb:/absolute/path)" },
	{ "lmdb directory", "lmdb:/tmp/dir/", "lmdb:/tmp/dir/: bad path (expected lmdb:/absolute/path)" },
	{ "lmdb unknown option", "lmdb:/tmp/x.lmdb?foo=1",
	  "lmdb:/tmp/x.lmdb?foo=1: unknown option \"foo\" (expected map_size, sync, records, create, writemap)" },
	{ "lmdb bad writemap", "lmdb:/tmp/x.lmdb?writemap=1",
	  "lmdb:/tmp/x.lmdb?writemap=1: bad writemap \"1\" (expected yes or no)" },
	{ "lmdb bad records", "lmdb:/tmp/x.lmdb?records=raw",
	  "lmdb:/tmp/x.lmdb?records=raw: bad records \"raw\" (expected expiry or plain)" },
	{ "lmdb bad create", "lmdb:/tmp/x.lmdb?create=0",
	  "lmdb:/tmp/x.lmdb?create=0: bad create \"0\" (expected yes or no)" },
	{ "lmdb create=no, no file", "lmdb:/nonexistent/messec/x.lmdb?create=no",
	  "/nonexistent/messec/x.lmdb: No such file or directory" },
	{ "lmdb option without value", "lmdb:/tmp/x.lmdb?map_size=",
	  "lmdb:/tmp/x.lmdb?map_size=: option map_size has no value" },
	{ "lmdb option without =", "lmdb:/tmp/x.lmdb?sync",
	  "lmdb:/tmp/x.lmdb?sync: bad option \"sync\" (expected name=value)" },
	{ "lmdb empty option name", "lmdb:/tmp/x.lmdb?=1",
	  "lmdb:/tmp/x.lmdb?=1: bad option \"=1\" (expected name=value)" },
	{ "lmdb option twice", "lmdb:/tmp/x.lmdb?sync=data&sync=always",
	  "lmdb:/tmp/x.lmdb?sync=data&sync=always: option sync given twice" },
	{ "lmdb trailing &", "lmdb:/tmp/x.lmdb?sync=data&",
	  "lmdb:/tmp/x.lmdb?sync=data&: trailing '&'" },
	{ "lmdb map_size too small", "lmdb:/tmp/x.lmdb?map_size=64k",
	  "lmdb:/tmp/x.lmdb?map_size=64k: bad map_size \"64k\" (expected 1M or more, e.g. 256M)" },
	{ "lmdb map_size not a size", "lmdb:/tmp/x.lmdb?map_size=big",
	  "lmdb:/tmp/x.lmdb?map_size=big: bad map_size \"big\" (expected 1M or more, e.g. 256M)" },
	{ "lmdb bad sync", "lmdb:/tmp/x.lmdb?map_size=2M&sync=fast",
	  "lmdb:/tmp/x.lmdb?map_size=2M&sync=fast: bad sync \"fast\" (expected always, data or periodic)" },
	{ "lmdb missing dir", "lmdb:/nonexistent/messec/x.lmdb?sync=always",
	  "/nonexistent/messec/x.lmdb: open: No such file or directory" },
	{ "redis without //", "redis:127.0.0.1", "redis:127.0.0.1: " BAD_REDIS },
	{ "redis empty host", "redis://", "redis://: " BAD_HOST },
	{ "redis empty host with port", "redis://:6379", "redis://:6379: " BAD_HOST },
	{ "redis space in host", "redis://ho st", "redis://ho st: " BAD_HOST },
	{ "redis unclosed [", "redis://[::1", "redis://[::1: " BAD_HOST },
	{ "redis junk after ]", "redis://[::1]x", "redis://[::1]x: " BAD_HOST },
	{ "redis not an IPv6 in []", "redis://[host]", "redis://[host]: " BAD_HOST },
	{ "redis port 0", "redis://127.0.0.1:0", "redis://127.0.0.1:0: bad port (expected 1..65535)" },
	{ "redis port too big", "redis://127.0.0.1:65536", "redis://127.0.0.1:65536: bad port (expected 1..65535)" },
	{ "redis port not a number", "redis://127.0.0.1:x", "redis://127.0.0.1:x: bad port (expected 1..65535)" },
	{ "redis empty port", "redis://127.0.0.1:/1", "redis://127.0.0.1:/1: bad port (expected 1..65535)" },
	{ "redis bad db", "redis://127.0.0.1:6379/16", "redis://127.0.0.1:6379/16: bad db (expected /0../15)" },
	{ "redis empty db", "redis://127.0.0.1/", "redis://127.0.0.1/: bad db (expected /0../15)" },
	{ "redis db with junk", "redis://127.0.0.1/1/2", "redis://127.0.0.1/1/2: bad db (expected /0../15)" },
	{ "redis db= on TCP", "redis://127.0.0.1?db=1",
	  "redis://127.0.0.1?db=1: unknown option \"db\" (expected timeout_ms, auth_file)" },
	{ "redis timeout 0", "redis://127.0.0.1?timeout_ms=0",
	  "redis://127.0.0.1?timeout_ms=0: bad timeout_ms (expected 1..60000)" },
	{ "redis timeout too big", "redis:///run/r.sock?timeout_ms=60001",
	  "redis:///run/r.sock?timeout_ms=60001: bad timeout_ms (expected 1..60000)" },
	{ "redis socket db too big", "redis:///run/r.sock?db=16",
	  "redis:///run/r.sock?db=16: bad db (expected 0..15)" },
	{ "redis socket option twice", "redis:///run/r.sock?db=1&db=1",
	  "redis:///run/r.sock?db=1&db=1: option db given twice" },
	{ "redis socket unknown option", "redis:///run/r.sock?password=x",
	  "redis:///run/r.sock?password=x: unknown option \"password\" (expected timeout_ms, auth_file, db)" },
	{ "redis socket path empty", "redis:///", "redis:///: bad socket path (expected redis:///path/to/socket, at most 107 bytes)" },
	{ "redis socket path a directory", "redis:///run/", "redis:///run/: bad socket path (expected redis:///path/to/socket, at most 107 bytes)" },
	{ "redis credentials refused", "redis://user:pw@127.0.0.1/0",
	  "redis://user:pw@127.0.0.1/0: credentials do not belong in the address (use auth_file=/path)" },
	{ "redis auth_file relative", "redis://127.0.0.1?auth_file=redis.auth",
	  "redis://127.0.0.1?auth_file=redis.auth: auth_file must be an absolute path" },
	{ "redis nobody listening", "redis:///nonexistent/messec/redis.sock",
	  "redis:///nonexistent/messec/redis.sock: redis: connect: No such file or directory" },
	/* Well-formed: parsed, then the (loopback, closed) port refuses. */
	{ "redis IPv4, port, db, timeout parse", "redis://127.0.0.1:1/15?timeout_ms=500",
	  "redis://127.0.0.1:1/15?timeout_ms=500: redis: connect: Connection refused" },
	{ "redis [IPv6] with port parses", "redis://[::1]:1",
	  "redis://[::1]:1: redis: connect: Connection refused" },
};

static void test_uri(void **state)
{
	const struct uri_case *c = *state;
	const char *err = NULL;

	assert_null(store_open(c->uri, &err));
	assert_string_equal(err, c->want);
}

static void test_map_size(void **state)
{
	char *dir = test_tmpdir(), uri[600];
	const char *err = NULL;
	struct store *s;
	char *val = calloc(1, 60000);
	char key[16];
	int i, rc = STORE_OK;

	snprintf(uri, sizeof(uri), "lmdb:%s/small.lmdb?map_size=1M", dir);
	s = store_open(uri, &err);
	assert_non_null(s);
	/* 1 MiB fills up: a clear error, not a crash. */
	for (i = 0; i < 100 && rc == STORE_OK; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		rc = store_put(s, key, strlen(key), val, 60000, 0);
	}
	assert_int_equal(rc, STORE_ERROR);
	assert_non_null(strstr(store_error(), "store full"));
	store_close(&s);
	free(val);
	test_rmtree(&dir);
}

static void test_uri_too_long(void **state)
{
	char uri[1100];
	const char *err = NULL;

	memset(uri, 'x', sizeof(uri) - 1);
	uri[sizeof(uri) - 1] = '\0';
	memcpy(uri, "lmdb:/", 6);
	assert_null(store_open(uri, &err));
	assert_string_equal(err, "store address longer than 1024 bytes");
}

static void test_sync_modes(void **state)
{
	char *dir = test_tmpdir(), uri[600], uri2[600];
	const char *err = NULL;
	struct store *s, *t;
	void *v;

	snprintf(uri, sizeof(uri), "lmdb:%s/p.lmdb?sync=periodic", dir);
	s = store_open(uri, &err);
	assert_non_null(s);
	assert_int_equal(store_put(s, "k", 1, "v", 1, 0), STORE_OK);
	assert_int_equal(store_sync(s, 1), STORE_OK);
	assert_int_equal(store_sync(s, 0), STORE_OK);
	/* One environment per file and process: another sync mode for the
	   same file is refused, never silently ignored. */
	snprintf(uri2, sizeof(uri2), "lmdb:%s/p.lmdb?sync=always", dir);
	assert_null(store_open(uri2, &err));
	assert_non_null(strstr(err, "already open in this process with sync=periodic"));
	snprintf(uri2, sizeof(uri2), "lmdb:%s/p.lmdb?map_size=2M&sync=periodic", dir);
	t = store_open(uri2, &err);
	assert_non_null(t);
	store_close(&t);
	store_close(&s);
	/* Reopened with another mode once closed: the data is there. */
	snprintf(uri, sizeof(uri), "lmdb:%s/p.lmdb?sync=always", dir);
	s = store_open(uri, &err);
	assert_non_null(s);
	assert_int_equal(store_get(s, "k", 1, &v, NULL), STORE_OK);
	free(v);
	assert_int_equal(store_put(s, "k2", 2, "v", 1, 0), STORE_OK);
	assert_int_equal(store_sync(s, 1), STORE_OK);
	store_close(&s);
	/* writemap=yes: the same data through a writable map, in a batch
	   too; a handle without it on the open file is refused. */
	snprintf(uri, sizeof(uri), "lmdb:%s/p.lmdb?sync=periodic&writemap=yes", dir);
	s = store_open(uri, &err);
	assert_non_null(s);
	assert_int_equal(store_get(s, "k2", 2, &v, NULL), STORE_OK);
	free(v);
	assert_int_equal(store_batch_begin(s), STORE_OK);
	assert_int_equal(store_put_new(s, "k3", 2, "w", 1, 0), STORE_OK);
	assert_int_equal(store_batch_end(s, 1), STORE_OK);
	assert_int_equal(store_sync(s, 1), STORE_OK);
	snprintf(uri2, sizeof(uri2), "lmdb:%s/p.lmdb?sync=periodic", dir);
	assert_null(store_open(uri2, &err));
	assert_non_null(strstr(err, "writemap=yes"));
	store_close(&s);
	snprintf(uri, sizeof(uri), "lmdb:%s/p.lmdb", dir);
	s = store_open(uri, &err);
	assert_non_null(s);
	assert_int_equal(store_get(s, "k3", 2, &v, NULL), STORE_OK);
	assert_string_equal(v, "w");
	free(v);
	store_close(&s);
	test_rmtree(&dir);
}

static void test_put_new_expired(void **state)
{
	struct fixture *f = *state;
	void *v;

	/* An expired key is absent: put_new takes its place. */
	assert_int_equal(store_put_new(f->store, "g", 1, "old", 3, 10), STORE_OK);
	assert_int_equal(store_put_new(f->store, "g", 1, "new", 3, 10), STORE_EXISTS);
	fake_now += 10;
	assert_int_equal(store_exists(f->store, "g", 1), STORE_NOTFOUND);
	assert_int_equal(store_put_new(f->store, "g", 1, "new", 3, 10), STORE_OK);
	assert_int_equal(store_get(f->store, "g", 1, &v, NULL), STORE_OK);
	assert_string_equal(v, "new");
	free(v);
}

static int count_fn(const void *key, size_t klen, const void *value, size_t vlen,
		    void *ctx)
{
	(*(int *)ctx)++;
	return 0;
}

static void test_foreach_expired(void **state)
{
	struct fixture *f = *state;
	struct store_txn *txn;
	int n = 0;

	assert_int_equal(store_put(f->store, "p:1", 3, "x", 1, 10), STORE_OK);
	assert_int_equal(store_put(f->store, "p:2", 3, "x", 1, 0), STORE_OK);
	fake_now += 10;
	assert_int_equal(store_foreach(f->store, "p:", 2, count_fn, &n), STORE_OK);
	assert_int_equal(n, 1);
	/* Inside a transaction too; and a txn del of an expired key is
	   NOTFOUND. */
	txn = store_txn_begin(f->store);
	n = 0;
	assert_int_equal(store_txn_foreach(txn, "p:", 2, count_fn, &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_txn_get(txn, "p:1", 3, NULL, NULL), STORE_NOTFOUND);
	assert_int_equal(store_txn_del(txn, "p:1", 3), STORE_NOTFOUND);
	assert_int_equal(store_txn_commit(&txn), STORE_OK);
}

/* Write or read one record of path with LMDB itself (no store.c). */
static void raw_lmdb(const char *path, const char *key, size_t klen, const void *value,
		     size_t vlen, void **read_r, size_t *read_len_r)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = { klen, (void *)key }, v = { vlen, (void *)value };

	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_open(env, path, MDB_NOSUBDIR, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, NULL, 0, &dbi), 0);
	if (read_r == NULL) {
		assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
	} else {
		assert_int_equal(mdb_get(txn, dbi, &k, &v), 0);
		*read_r = malloc(v.mv_size + 1);
		memcpy(*read_r, v.mv_data, v.mv_size);
		*read_len_r = v.mv_size;
	}
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

static void test_plain_records(void **state)
{
	char *dir = test_tmpdir(), path[600], uri[700], uri2[700];
	const char *err = NULL;
	struct store *s;
	struct store_txn *txn;
	void *v;
	size_t len;
	int64_t n;

	/* A file written by someone else, values as they are (the MFA
	   plugin's store before it used common/). */
	snprintf(path, sizeof(path), "%s/old.lmdb", dir);
	raw_lmdb(path, "u\0alice", 7, "\x01rec", 4, NULL, NULL);
	snprintf(uri, sizeof(uri), "lmdb:%s?records=plain&create=no", path);
	s = store_open(uri, &err);
	assert_non_null(s);
	assert_int_equal(store_get(s, "u\0alice", 7, &v, &len), STORE_OK);
	assert_int_equal(len, 4);
	assert_memory_equal(v, "\x01rec", 4);
	free(v);
	/* Written values are stored exactly (no header), in and out of a
	   transaction; counters too. */
	assert_int_equal(store_put(s, "k", 1, "abc", 3, 0), STORE_OK);
	txn = store_txn_begin(s);
	assert_int_equal(store_txn_put(txn, "t", 1, "xyz", 3, 0), STORE_OK);
	assert_int_equal(store_txn_hput(txn, "a\0alice\0", 8, "abcd", 4, "app", 3),
			 STORE_OK);
	assert_int_equal(store_txn_commit(&txn), STORE_OK);
	assert_int_equal(store_incr(s, "c", 1, 5, 0, &n), STORE_OK);
	assert_int_equal(n, 5);
	/* No expiry to keep: a TTL is refused, never dropped. */
	assert_int_equal(store_put(s, "e", 1, "v", 1, 60), STORE_ERROR);
	assert_string_equal(store_error() + strlen(path), ": a TTL needs records=expiry");
	assert_int_equal(store_put_new(s, "e", 1, "v", 1, 60), STORE_ERROR);
	assert_int_equal(store_incr(s, "e", 1, 1, 60, NULL), STORE_ERROR);
	txn = store_txn_begin(s);
	assert_int_equal(store_txn_put(txn, "e", 1, "v", 1, 60), STORE_ERROR);
	store_txn_abort(&txn);
	assert_int_equal(store_exists(s, "e", 1), STORE_NOTFOUND);
	assert_int_equal(store_expire(s), 0);
	/* One environment, one record format. */
	snprintf(uri2, sizeof(uri2), "lmdb:%s", path);
	assert_null(store_open(uri2, &err));
	assert_non_null(strstr(err, "already open in this process with sync=data&records=plain"));
	store_close(&s);
	raw_lmdb(path, "k", 1, NULL, 0, &v, &len);
	assert_int_equal(len, 3);
	assert_memory_equal(v, "abc", 3);
	free(v);
	raw_lmdb(path, "t", 1, NULL, 0, &v, &len);
	assert_int_equal(len, 3);
	free(v);
	raw_lmdb(path, "a\0alice\0abcd", 12, NULL, 0, &v, &len);
	assert_int_equal(len, 3);
	assert_memory_equal(v, "app", 3);
	free(v);
	raw_lmdb(path, "c", 1, NULL, 0, &v, &len);
	assert_int_equal(len, 1);
	assert_memory_equal(v, "5", 1);
	free(v);
	test_rmtree(&dir);
}

static void test_create_no(void **state)
{
	char *dir = test_tmpdir(), path[600], uri[700];
	const char *err = NULL;
	struct stat st;
	struct store *s;

	snprintf(path, sizeof(path), "%s/none.lmdb", dir);
	snprintf(uri, sizeof(uri), "lmdb:%s?create=no", path);
	assert_null(store_open(uri, &err));
	assert_string_equal(err + strlen(path), ": No such file or directory");
	assert_int_equal(stat(path, &st), -1);
	/* A directory where the file should be: refused, even with create. */
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(uri, sizeof(uri), "lmdb:%s", path);
	assert_null(store_open(uri, &err));
	assert_string_equal(err + strlen(path), ": not a regular file");
	assert_int_equal(rmdir(path), 0);
	/* Once the file exists, create=no opens it. */
	s = store_open(uri, &err);
	assert_non_null(s);
	store_close(&s);
	snprintf(uri, sizeof(uri), "lmdb:%s?create=no", path);
	s = store_open(uri, &err);
	assert_non_null(s);
	store_close(&s);
	test_rmtree(&dir);
}

static void copy(const char *from, const char *to)
{
	char cmd[1400];

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", from, to);
	assert_int_equal(system(cmd), 0);
}

static void test_stale(void **state)
{
	char *dir = test_tmpdir(), path[600], lock[620], other[620], uri[700];
	const char *err = NULL;
	struct store *s;

	snprintf(path, sizeof(path), "%s/s.lmdb", dir);
	snprintf(lock, sizeof(lock), "%s-lock", path);
	snprintf(other, sizeof(other), "%s/other", dir);
	snprintf(uri, sizeof(uri), "lmdb:%s", path);
	s = store_open(uri, &err);
	assert_non_null(s);
	assert_int_equal(store_put(s, "k", 1, "v", 1, 0), STORE_OK);
	assert_int_equal(store_stale(s), 0);
	/* Replaced by a copy (same content, another inode). */
	copy(path, other);
	assert_int_equal(rename(other, path), 0);
	assert_int_equal(store_stale(s), 1);
	store_close(&s);
	s = store_open(uri, &err);
	assert_non_null(s);
	assert_int_equal(store_stale(s), 0);
	/* Its lock file replaced. */
	copy(lock, other);
	assert_int_equal(rename(other, lock), 0);
	assert_int_equal(store_stale(s), 1);
	store_close(&s);
	s = store_open(uri, &err);
	assert_non_null(s);
	/* Removed. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(store_stale(s), 1);
	store_close(&s);
	test_rmtree(&dir);
}

static void test_sync_pending(void **state)
{
	char *dir = test_tmpdir(), uri[700];
	const char *err = NULL;
	struct store *s;

	snprintf(uri, sizeof(uri), "lmdb:%s/p.lmdb?sync=periodic", dir);
	s = store_open(uri, &err);
	assert_non_null(s);
	assert_int_equal(store_sync_pending(s), 0);
	/* Within the interval after the open: the commit waits. */
	assert_int_equal(store_put(s, "k", 1, "v", 1, 0), STORE_OK);
	assert_int_equal(store_sync_pending(s), 1);
	assert_int_equal(store_sync(s, 1), STORE_OK);
	assert_int_equal(store_sync_pending(s), 0);
	store_close(&s);
	snprintf(uri, sizeof(uri), "lmdb:%s/d.lmdb?sync=data", dir);
	s = store_open(uri, &err);
	assert_non_null(s);
	assert_int_equal(store_put(s, "k", 1, "v", 1, 0), STORE_OK);
	assert_int_equal(store_sync_pending(s), 0);
	store_close(&s);
	test_rmtree(&dir);
}

static void test_sync_deferred(void **state)
{
	char *dir = test_tmpdir(), uri[700];
	const char *err = NULL;
	struct store *inl, *def;

	snprintf(uri, sizeof(uri), "lmdb:%s/i.lmdb?sync=periodic", dir);
	inl = store_open(uri, &err);
	assert_non_null(inl);
	snprintf(uri, sizeof(uri), "lmdb:%s/d.lmdb?sync=periodic", dir);
	def = store_open(uri, &err);
	assert_non_null(def);
	store_sync_deferred(def);
	/* Past the interval after the open: a commit flushes itself ... */
	usleep((STORE_SYNC_INTERVAL_MS + 100) * 1000);
	assert_int_equal(store_put(inl, "k", 1, "v", 1, 0), STORE_OK);
	assert_int_equal(store_sync_pending(inl), 0);
	/* ... unless deferred: then only store_sync() does. */
	assert_int_equal(store_put(def, "k", 1, "v", 1, 0), STORE_OK);
	assert_int_equal(store_sync_pending(def), 1);
	assert_int_equal(store_put(def, "k2", 2, "v", 1, 0), STORE_OK);
	assert_int_equal(store_sync_pending(def), 1);
	assert_int_equal(store_sync(def, 0), STORE_OK);	/* the interval passed */
	assert_int_equal(store_sync_pending(def), 0);
	assert_int_equal(store_sync(def, 0), STORE_OK);	/* nothing to do */
	/* Data and other backends: nothing to defer. */
	store_close(&inl);
	snprintf(uri, sizeof(uri), "lmdb:%s/x.lmdb?sync=data", dir);
	inl = store_open(uri, &err);
	assert_non_null(inl);
	store_sync_deferred(inl);
	assert_int_equal(store_put(inl, "k", 1, "v", 1, 0), STORE_OK);
	assert_int_equal(store_sync_pending(inl), 0);
	store_close(&inl);
	store_close(&def);
	test_rmtree(&dir);
}

/* Group commit: one write transaction for the calling thread's calls. */
struct batch_peek {
	struct store *store;
	enum store_result seen;
};

static void *peek_thread(void *arg)
{
	struct batch_peek *p = arg;

	p->seen = store_exists(p->store, "b1", 2);
	return NULL;
}

static void test_batch(void **state)
{
	struct fixture *f = *state;
	struct batch_peek peek = { f->store, STORE_ERROR };
	pthread_t t;
	int64_t n = 0;
	void *v = NULL;

	assert_true(store_batches(f->store));
	assert_int_equal(store_put(f->store, "c", 1, "5", 1, 0), STORE_OK);
	assert_int_equal(store_batch_begin(f->store), STORE_OK);
	assert_int_equal(store_batch_begin(f->store), STORE_ERROR);	/* one per thread */
	assert_int_equal(store_put_new(f->store, "b1", 2, "x", 1, 60), STORE_OK);
	/* The batch sees its own writes ... */
	assert_int_equal(store_put_new(f->store, "b1", 2, "y", 1, 60), STORE_EXISTS);
	assert_int_equal(store_get(f->store, "b1", 2, &v, NULL), STORE_OK);
	assert_string_equal(v, "x");
	free(v);
	assert_int_equal(store_incr(f->store, "c", 1, 2, 0, &n), STORE_OK);
	assert_int_equal(n, 7);
	assert_int_equal(store_del(f->store, "c", 1), STORE_OK);
	assert_int_equal(store_incr(f->store, "c", 1, 1, 0, &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_null(store_txn_begin(f->store));	/* would wait for itself */
	/* ... another thread does not, before the end. */
	assert_int_equal(pthread_create(&t, NULL, peek_thread, &peek), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(peek.seen, STORE_NOTFOUND);
	assert_int_equal(store_batch_end(f->store, 1), STORE_OK);
	assert_int_equal(store_batch_end(f->store, 1), STORE_ERROR);	/* none open */
	assert_int_equal(pthread_create(&t, NULL, peek_thread, &peek), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(peek.seen, STORE_OK);
	assert_int_equal(store_get(f->store, "c", 1, &v, NULL), STORE_OK);
	assert_string_equal(v, "1");
	free(v);
	/* Discarded: nothing written. */
	assert_int_equal(store_batch_begin(f->store), STORE_OK);
	assert_int_equal(store_put(f->store, "b2", 2, "z", 1, 0), STORE_OK);
	assert_int_equal(store_batch_end(f->store, 0), STORE_OK);
	assert_int_equal(store_exists(f->store, "b2", 2), STORE_NOTFOUND);
}

static void test_check_address(void **state)
{
	const char *err = NULL;
	struct stat st;

	/* Parsed only: nothing opened, created or connected. */
	assert_int_equal(store_check_address("lmdb:/nonexistent/messec/x.lmdb?records=plain&create=no",
					     &err), 0);
	assert_int_equal(stat("/nonexistent/messec", &st), -1);
	assert_int_equal(store_check_address("redis:///nonexistent/messec/redis.sock?db=3&timeout_ms=20",
					     &err), 0);
	assert_int_equal(store_check_address("redis://127.0.0.1:1/15", &err), 0);
	/* The same errors as store_open(). */
	assert_int_equal(store_check_address("lmdb:/tmp/x.lmdb?records=raw", &err), -1);
	assert_string_equal(err, "lmdb:/tmp/x.lmdb?records=raw: bad records \"raw\" (expected expiry or plain)");
	assert_int_equal(store_check_address("redis://127.0.0.1:6379/16", &err), -1);
	assert_string_equal(err, "redis://127.0.0.1:6379/16: bad db (expected /0../15)");
	assert_int_equal(store_check_address("/var/x.lmdb", &err), -1);
	assert_non_null(strstr(err, "unknown store"));
}

/* Cases that run on a fresh store in a fresh temp dir. */
static const struct {
	const char *name;
	CMUnitTestFunction fn;
} fixture_cases[] = {
	{ "batch: one write transaction, sees its own writes, others see them at the end; discard", test_batch },
	{ "put, get, overwrite, binary and empty values, file mode 0600", test_put_get },
	{ "del: OK then NOTFOUND", test_del },
	{ "TTL expiry with the test clock; TTL 0 never expires", test_ttl },
	{ "incr: start, add, negative, fixed window, non-integer, overflow", test_incr },
	{ "expire purges exactly the expired keys", test_expire },
	{ "key and value size limits are errors", test_limits },
	{ "8 threads x 250 increments give exactly 2000", test_threads },
	{ "two handles on one file share the environment", test_shared_env },
	{ "data survives close and reopen", test_persist },
	{ "put_new: an expired key counts as absent", test_put_new_expired },
	{ "foreach skips expired keys, in and out of a transaction", test_foreach_expired },
};

int main(void)
{
	struct test_list l = { 0 };
	size_t i;

	for (i = 0; i < sizeof(fixture_cases) / sizeof(fixture_cases[0]); i++) {
		tests_add(&l, fixture_cases[i].name, fixture_cases[i].fn, NULL);
		l.items[l.count - 1].setup_func = setup;
		l.items[l.count - 1].teardown_func = teardown;
	}
	tests_add_table(&l, uri_cases, test_uri);
	tests_add(&l, "a full map is STORE_ERROR \"store full\"", test_map_size, NULL);
	tests_add(&l, "an address over 1024 bytes is refused", test_uri_too_long, NULL);
	tests_add(&l, "sync=periodic/always, writemap; another mode on an open file refused",
		  test_sync_modes, NULL);
	tests_add(&l, "records=plain: values as they are on disk, TTL refused", test_plain_records, NULL);
	tests_add(&l, "create=no: a missing file is an error, nothing created; not a directory",
		  test_create_no, NULL);
	tests_add(&l, "store_check_address: parses only, same errors as store_open",
		  test_check_address, NULL);
	tests_add(&l, "store_stale: replaced, lock file replaced, removed", test_stale, NULL);
	tests_add(&l, "store_sync_pending: periodic commit pending until store_sync", test_sync_pending,
		  NULL);
	tests_add(&l, "store_sync_deferred: commits never flush, store_sync does", test_sync_deferred,
		  NULL);
	return tests_run(&l, "store", NULL, NULL);
}
