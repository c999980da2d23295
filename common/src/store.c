/*++
 * NAME
 *	store 3
 * SUMMARY
 *	key-value state store front end: URI dispatch, checks, errors
 * SYNOPSIS
 *	#include <messec/store.h>
 * DESCRIPTION
 *	store_open() picks a backend by the URI scheme ("lmdb:", "redis:")
 *	from a small table of struct store_ops; every other call checks the
 *	arguments common to all backends and forwards. A URI with an unknown
 *	scheme fails to open: a typo must not silently fall back to another
 *	store. store_parse_query() is the one strict option parser of both
 *	backends' addresses.
 *
 *	store_txn_run() is the retry loop of optimistic transactions
 *	(Redis WATCH/MULTI/EXEC): a CONFLICT means another writer won, so
 *	the caller's function runs again on fresh data, a bounded number
 *	of times. Between attempts it waits a random 0..(50 us << attempt)
 *	(at most 3.2 ms): two writers that conflicted would otherwise retry
 *	in lockstep and conflict again.
 *
 *	Counters (store_incr) are stored as decimal text, as Redis INCR
 *	does, so a value reads the same through store_get() on either
 *	backend.
 * TRUST BOUNDARY
 *	Keys are built by the daemons from peer data (sender, client IP,
 *	user name); only their length is checked here.
 * DIAGNOSTICS
 *	STORE_ERROR with store_error() text (thread-local).
 *--*/
#include "store_int.h"

#include <messec/str.h>

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STORE_URI_MAX 1024

static __thread char store_errbuf[STORE_URI_MAX + 256];
static time_t (*_Atomic store_clock)(void);

static const struct store_ops *const backends[] = {
	&store_lmdb_ops,
	&store_redis_ops,
};

enum store_result store_set_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(store_errbuf, sizeof(store_errbuf), fmt, ap);
	va_end(ap);
	return STORE_ERROR;
}

const char *store_error(void)
{
	return store_errbuf;
}

void store_set_clock(time_t (*now_fn)(void))
{
	atomic_store(&store_clock, now_fn);
}

time_t store_now(void)
{
	time_t (*fn)(void) = atomic_load(&store_clock);

	return fn != NULL ? fn() : time(NULL);
}

int store_parse_int(const void *data, size_t len, int64_t *value_r)
{
	char buf[32];
	uint64_t v;
	int neg;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, data, len);
	buf[len] = '\0';
	neg = buf[0] == '-';
	if (ms_str_parse_uint(buf + neg, 0, neg ? (uint64_t)INT64_MAX + 1 :
			   (uint64_t)INT64_MAX, &v) < 0)
		return -1;
	*value_r = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

void store_set_error_text(const char *text)
{
	str_copy(store_errbuf, text, sizeof(store_errbuf));
}

void store_free_values(const char *const names[], char *values[])
{
	size_t i;

	for (i = 0; names[i] != NULL; i++) {
		free(values[i]);
		values[i] = NULL;
	}
}

int store_parse_query(const char *uri, const char *query,
		      const char *const names[], char *values[])
{
	const char *p = query, *eq;
	size_t i, len, nlen;

	for (i = 0; names[i] != NULL; i++)
		values[i] = NULL;
	while (p != NULL && *p != '\0') {
		len = strcspn(p, "&");
		eq = memchr(p, '=', len);
		if (eq == NULL || eq == p) {
			store_set_error("%s: bad option \"%.*s\" (expected name=value)",
					uri, (int)len, p);
			goto fail;
		}
		nlen = (size_t)(eq - p);
		for (i = 0; names[i] != NULL; i++) {
			if (strlen(names[i]) == nlen && memcmp(p, names[i], nlen) == 0)
				break;
		}
		if (names[i] == NULL) {
			char expected[128] = "";
			size_t j;

			for (j = 0; names[j] != NULL; j++) {
				if (j > 0)
					strncat(expected, ", ", sizeof(expected) - strlen(expected) - 1);
				strncat(expected, names[j], sizeof(expected) - strlen(expected) - 1);
			}
			store_set_error("%s: unknown option \"%.*s\" (expected %s)",
					uri, (int)nlen, p, expected);
			goto fail;
		}
		if (values[i] != NULL) {
			store_set_error("%s: option %s given twice", uri, names[i]);
			goto fail;
		}
		if (len == nlen + 1) {
			store_set_error("%s: option %s has no value", uri, names[i]);
			goto fail;
		}
		values[i] = xstrndup(eq + 1, len - nlen - 1);
		p += len;
		if (*p == '&') {
			p++;
			if (*p == '\0') {
				store_set_error("%s: trailing '&'", uri);
				goto fail;
			}
		}
	}
	return 0;
fail:
	store_free_values(names, values);
	return -1;
}

/* The backend of uri, and its part after "scheme:"; NULL with the error
   set. */
static const struct store_ops *backend_of(const char *uri, const char **rest_r)
{
	size_t i, n;

	if (strlen(uri) > STORE_URI_MAX) {
		store_set_error("store address longer than %d bytes", STORE_URI_MAX);
		return NULL;
	}
	for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		n = strlen(backends[i]->scheme);
		if (strncmp(uri, backends[i]->scheme, n) == 0 && uri[n] == ':') {
			*rest_r = uri + n + 1;
			return backends[i];
		}
	}
	store_set_error("%s: unknown store (expected lmdb:/path, redis://host[:port][/db] or redis:///socket)", uri);
	return NULL;
}

int store_check_address(const char *uri, const char **error_r)
{
	const struct store_ops *ops;
	const char *rest;

	if ((ops = backend_of(uri, &rest)) == NULL || ops->check(uri, rest) < 0) {
		*error_r = store_errbuf;
		return -1;
	}
	return 0;
}

struct store *store_open(const char *uri, const char **error_r)
{
	const struct store_ops *ops;
	struct store *store = NULL;
	const char *rest;

	if ((ops = backend_of(uri, &rest)) != NULL)
		store = ops->open(uri, rest);
	if (store == NULL)
		*error_r = store_errbuf;
	return store;
}

void store_close(struct store **store)
{
	if (*store == NULL)
		return;
	(*store)->ops->close(*store);
	*store = NULL;
}

static enum store_result check_key(size_t klen)
{
	if (klen == 0 || klen > STORE_KEY_MAX)
		return store_set_error("key length %zu (expected 1..%d bytes)",
				       klen, STORE_KEY_MAX);
	return STORE_OK;
}

static enum store_result check_value(size_t vlen)
{
	if (vlen > STORE_VALUE_MAX)
		return store_set_error("value length %zu (expected at most %d bytes)",
				       vlen, STORE_VALUE_MAX);
	return STORE_OK;
}

enum store_result store_get(struct store *store, const void *key, size_t klen,
			    void **value_r, size_t *len_r)
{
	if (check_key(klen) == STORE_ERROR)
		return STORE_ERROR;
	return store->ops->get(store, key, klen, value_r, len_r);
}

enum store_result store_exists(struct store *store, const void *key, size_t klen)
{
	if (check_key(klen) == STORE_ERROR)
		return STORE_ERROR;
	return store->ops->get(store, key, klen, NULL, NULL);
}

enum store_result store_put(struct store *store, const void *key, size_t klen,
			    const void *value, size_t vlen, uint32_t ttl)
{
	if (check_key(klen) == STORE_ERROR || check_value(vlen) == STORE_ERROR)
		return STORE_ERROR;
	return store->ops->put(store, key, klen, value, vlen, ttl);
}

enum store_result store_put_new(struct store *store, const void *key, size_t klen,
				const void *value, size_t vlen, uint32_t ttl)
{
	if (check_key(klen) == STORE_ERROR || check_value(vlen) == STORE_ERROR)
		return STORE_ERROR;
	return store->ops->put_new(store, key, klen, value, vlen, ttl, NULL, NULL);
}

enum store_result store_put_new_get(struct store *store, const void *key, size_t klen,
				    const void *value, size_t vlen, uint32_t ttl,
				    void **old_r, size_t *old_len_r)
{
	if (check_key(klen) == STORE_ERROR || check_value(vlen) == STORE_ERROR)
		return STORE_ERROR;
	return store->ops->put_new(store, key, klen, value, vlen, ttl, old_r, old_len_r);
}

enum store_result store_incr(struct store *store, const void *key, size_t klen,
			     int64_t delta, uint32_t ttl, int64_t *value_r)
{
	if (check_key(klen) == STORE_ERROR)
		return STORE_ERROR;
	return store->ops->incr(store, key, klen, delta, ttl, value_r);
}

enum store_result store_del(struct store *store, const void *key, size_t klen)
{
	if (check_key(klen) == STORE_ERROR)
		return STORE_ERROR;
	return store->ops->del(store, key, klen);
}

enum store_result store_foreach(struct store *store, const void *prefix,
				size_t plen, store_foreach_fn *fn, void *ctx)
{
	if (plen > STORE_KEY_MAX)
		return store_set_error("prefix length %zu (expected at most %d bytes)",
				       plen, STORE_KEY_MAX);
	return store->ops->foreach(store, prefix, plen, fn, ctx);
}

long store_expire(struct store *store)
{
	return store->ops->expire(store);
}

enum store_result store_sync(struct store *store, int force)
{
	return store->ops->sync(store, force);
}

enum store_result store_batch_begin(struct store *store)
{
	return store->ops->batch_begin != NULL ? store->ops->batch_begin(store) : STORE_NOTFOUND;
}

int store_batches(const struct store *store)
{
	return store->ops->batch_begin != NULL;
}

enum store_result store_batch_end(struct store *store, int commit)
{
	return store->ops->batch_end != NULL ? store->ops->batch_end(store, commit) : STORE_OK;
}

struct store_txn *store_txn_begin(struct store *store)
{
	return store->ops->txn_begin(store);
}

enum store_result store_txn_get(struct store_txn *txn, const void *key, size_t klen,
				void **value_r, size_t *len_r)
{
	if (check_key(klen) == STORE_ERROR)
		return STORE_ERROR;
	return txn->store->ops->txn_get(txn, key, klen, value_r, len_r);
}

enum store_result store_txn_put(struct store_txn *txn, const void *key, size_t klen,
				const void *value, size_t vlen, uint32_t ttl)
{
	if (check_key(klen) == STORE_ERROR || check_value(vlen) == STORE_ERROR)
		return STORE_ERROR;
	txn->wrote = 1;
	return txn->store->ops->txn_put(txn, key, klen, value, vlen, ttl);
}

enum store_result store_txn_del(struct store_txn *txn, const void *key, size_t klen)
{
	if (check_key(klen) == STORE_ERROR)
		return STORE_ERROR;
	txn->wrote = 1;
	return txn->store->ops->txn_del(txn, key, klen);
}

enum store_result store_txn_foreach(struct store_txn *txn, const void *prefix,
				    size_t plen, store_foreach_fn *fn, void *ctx)
{
	/* The read-your-writes rule (store.h): a walk sees committed data
	   only, so it must come before the transaction's first write. */
	if (txn->wrote)
		return store_set_error("foreach after a write in the same transaction");
	if (plen > STORE_KEY_MAX)
		return store_set_error("prefix length %zu (expected at most %d bytes)",
				       plen, STORE_KEY_MAX);
	return txn->store->ops->txn_foreach(txn, prefix, plen, fn, ctx);
}

static enum store_result check_field(size_t klen, size_t flen)
{
	if (check_key(klen) == STORE_ERROR)
		return STORE_ERROR;
	if (flen == 0 || flen > STORE_KEY_MAX - klen)
		return store_set_error("field length %zu (expected 1..%zu bytes after a "
				       "key of %zu)", flen, (size_t)STORE_KEY_MAX - klen, klen);
	return STORE_OK;
}

enum store_result store_txn_hget(struct store_txn *txn, const void *key, size_t klen,
				 const void *field, size_t flen,
				 void **value_r, size_t *len_r)
{
	if (check_field(klen, flen) == STORE_ERROR)
		return STORE_ERROR;
	return txn->store->ops->txn_hget(txn, key, klen, field, flen, value_r, len_r);
}

enum store_result store_txn_hput(struct store_txn *txn, const void *key, size_t klen,
				 const void *field, size_t flen,
				 const void *value, size_t vlen)
{
	if (check_field(klen, flen) == STORE_ERROR || check_value(vlen) == STORE_ERROR)
		return STORE_ERROR;
	txn->wrote = 1;
	return txn->store->ops->txn_hput(txn, key, klen, field, flen, value, vlen);
}

enum store_result store_txn_hdel(struct store_txn *txn, const void *key, size_t klen,
				 const void *field, size_t flen)
{
	if (check_field(klen, flen) == STORE_ERROR)
		return STORE_ERROR;
	txn->wrote = 1;
	return txn->store->ops->txn_hdel(txn, key, klen, field, flen);
}

enum store_result store_txn_hforeach(struct store_txn *txn, const void *key,
				     size_t klen, store_foreach_fn *fn, void *ctx)
{
	/* The same rule as store_txn_foreach() (store.h). */
	if (txn->wrote)
		return store_set_error("foreach after a write in the same transaction");
	if (check_key(klen) == STORE_ERROR)
		return STORE_ERROR;
	return txn->store->ops->txn_hforeach(txn, key, klen, fn, ctx);
}

int store_stale(struct store *store)
{
	return store->ops->stale(store);
}

int store_sync_pending(struct store *store)
{
	return store->ops->sync_pending(store);
}

void store_sync_deferred(struct store *store)
{
	if (store->ops->sync_deferred != NULL)
		store->ops->sync_deferred(store);
}

enum store_result store_txn_commit(struct store_txn **txn)
{
	struct store_txn *t = *txn;

	*txn = NULL;
	return t->store->ops->txn_commit(t);
}

void store_txn_abort(struct store_txn **txn)
{
	struct store_txn *t = *txn;

	if (t == NULL)
		return;
	*txn = NULL;
	t->store->ops->txn_abort(t);
}

/* Random wait before retry number attempt (jitter, not a clock). */
static void backoff(int attempt)
{
	static __thread uint64_t x;
	struct timespec ts = { 0, 0 };
	unsigned shift = attempt < 6 ? (unsigned)attempt : 6;

	if (x == 0)
		x = ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)&ts ^
			(uint64_t)time(NULL) ^ 0x9e3779b97f4a7c15ULL;
	/* xorshift64: spreading retries needs no secret randomness */
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	ts.tv_nsec = (long)(x % ((50000ULL << shift) + 1));
	nanosleep(&ts, NULL);
}

enum store_result store_txn_run(struct store *store, store_txn_fn *fn, void *ctx)
{
	struct store_txn *txn;
	enum store_result ret = STORE_CONFLICT;
	int attempt;

	for (attempt = 0; attempt < STORE_TXN_ATTEMPTS; attempt++) {
		if (attempt > 0)
			backoff(attempt);
		if ((txn = store_txn_begin(store)) == NULL)
			return STORE_ERROR;
		ret = fn(txn, ctx);
		if (ret != STORE_OK) {
			store_txn_abort(&txn);
			if (ret != STORE_CONFLICT)
				return ret;
			continue;
		}
		ret = store_txn_commit(&txn);
		if (ret != STORE_CONFLICT)
			return ret;
	}
	store_set_error("transaction still in conflict after %d attempts",
			STORE_TXN_ATTEMPTS);
	return STORE_CONFLICT;
}
