/*++
 * NAME
 *	test_store 1
 * SUMMARY
 *	unit tests for store.c/store_lmdb.c: put/get/incr/del, TTL with a
 *	fake clock, expire, limits, threads, URI errors
 *--*/
#include "test_util.h"

#include <pthread.h>
#include <sys/stat.h>

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

static const struct uri_case uri_cases[] = {
	{ "unknown scheme", "bdb:/var/x.db", "bdb:/var/x.db: unknown store (expected lmdb:/path or redis://host:port/db)" },
	{ "no scheme", "/var/x.lmdb", "/var/x.lmdb: unknown store (expected lmdb:/path or redis://host:port/db)" },
	{ "lmdb relative", "lmdb:x.lmdb", "lmdb:x.lmdb: bad path (expected lmdb:/absolute/path)" },
	{ "lmdb bad option", "lmdb:/tmp/x.lmdb?foo=1", "lmdb:/tmp/x.lmdb?foo=1: bad option (expected ?map_size=1M..)" },
	{ "lmdb missing dir", "lmdb:/nonexistent/messec/x.lmdb", "/nonexistent/messec/x.lmdb: open: No such file or directory" },
	{ "redis bad URI", "redis:127.0.0.1", "redis:127.0.0.1: bad redis URI (expected redis://host:port/db or redis:///path.sock)" },
	{ "redis bad db", "redis://127.0.0.1:6379/16", "redis://127.0.0.1:6379/16: bad redis URI (expected redis://host:port/db or redis:///path.sock)" },
	{ "redis credentials refused", "redis://user:pw@127.0.0.1/0", "redis://user:pw@127.0.0.1/0: bad redis URI (expected redis://host:port/db or redis:///path.sock)" },
	{ "redis nobody listening", "redis:///nonexistent/messec/redis.sock", "redis:///nonexistent/messec/redis.sock: redis: connect: No such file or directory" },
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

/* Cases that run on a fresh store in a fresh temp dir. */
static const struct {
	const char *name;
	CMUnitTestFunction fn;
} fixture_cases[] = {
	{ "put, get, overwrite, binary and empty values, file mode 0600", test_put_get },
	{ "del: OK then NOTFOUND", test_del },
	{ "TTL expiry with the test clock; TTL 0 never expires", test_ttl },
	{ "incr: start, add, negative, fixed window, non-integer, overflow", test_incr },
	{ "expire purges exactly the expired keys", test_expire },
	{ "key and value size limits are errors", test_limits },
	{ "8 threads x 250 increments give exactly 2000", test_threads },
	{ "two handles on one file share the environment", test_shared_env },
	{ "data survives close and reopen", test_persist },
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
	return tests_run(&l, "store", NULL, NULL);
}
